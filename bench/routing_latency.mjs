// Assignment latency: from sending a ticket create in a routed group to seeing its assignee, on a
// release server, idle and under the create benchmark's load (wrk with bench/create.lua, every
// ticket in the routed group). bench/routing.sh runs it and writes the report.
//
//   node bench/routing_latency.mjs --bin build/release/rapport --out result.json
//          [--duration 10] [--connections 16] [--agents 50] [--probes 300]
//
// A probe client creates one ticket at a time (POST, keep-alive) and then asks for it again at
// once, again and again, until `assignee_id` is set. What it reports is an upper bound on the
// server's create-commit -> routing.assigned-commit time: it includes the create's own
// round trip and up to one extra GET round trip, both of which grow under load. The same run's
// baseline is the create latency alone (POST sent -> 201 read) seen by the same probe.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const bin = path.resolve(args.bin ?? 'build/release/rapport');
const out = args.out ?? 'routing_latency.json';
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 16);
const agentCount = Number(args.agents ?? 50);
const idleProbes = Number(args.probes ?? 300);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rapport-routing-bench-'));
const run = (...a) => {
  const r = spawnSync(bin, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let port;
let auth;
const request = (method, p, body, as = auth) =>
  new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: p,
        agent,
        headers: {
          Authorization: as,
          Accept: 'application/json',
          ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = text; // /readyz answers plain text
          }
          resolve({ status: res.statusCode, body });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
const must = async (status, method, p, body, as) => {
  const r = await request(method, p, body, as);
  if (r.status !== status) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
};
const basic = (email, token) => `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null;
};
const summary = (xs) => ({ n: xs.length, p50_ms: pct(xs, 50), p90_ms: pct(xs, 90), p99_ms: pct(xs, 99), max_ms: pct(xs, 100) });

// One server, measured idle and under wrk's create load. atCreate=false turns off routing inside
// the create (routing.assign_at_create): every assignment is then the routing consumer's second
// commit, the path before it existed, measured as the same run's baseline.
const measure = async (atCreate) => {
let server;
const db = path.join(tmp, `bench-${atCreate ? 'at-create' : 'consumer'}.db`);
try {
  run('migrate', '--db', db);
  run('user', 'create', '--db', db, '--email', 'admin@example.com', '--name', 'Admin', '--role', 'admin');
  const token = run('token', 'create', '--db', db, '--email', 'admin@example.com', '--description', 'bench').trim().split(/\s+/).at(-1);
  auth = basic('admin@example.com', token);
  port = await freePort();
  server = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      RAPPORT_API_RATE_LIMIT_PER_MINUTE: '0',
      RAPPORT_LOG_LEVEL: 'warn',
      RAPPORT_ROUTING_ASSIGN_AT_CREATE: String(atCreate),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await request('GET', '/readyz')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('the server did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const group = (await must(201, 'POST', '/api/v2/groups.json', { group: { name: 'Routed' } })).group;
  for (let i = 0; i < agentCount; i++) {
    const email = `agent${i}@example.com`;
    const u = (await must(201, 'POST', '/api/v2/users.json', { user: { name: `Agent ${i}`, email, role: 'agent', group_ids: [group.id] } })).user;
    await must(200, 'PUT', `/api/v2/routing/agents/${u.id}/capacity`, { capacity: { api: 1000 } });
    await must(200, 'PUT', '/api/v2/agents/me/presence', { presence: { status: 'online' } }, basic(email, token));
  }
  await must(201, 'POST', '/api/v2/routing/policies', { routing_policy: { group_id: group.id, method: 'least_busy' } });

  // One probe: create, then read until assigned.
  const probe = async () => {
    const t0 = performance.now();
    const created = await must(201, 'POST', '/api/v2/tickets.json', {
      ticket: { subject: 'probe', comment: { body: 'probe' }, requester_id: 1, group_id: group.id },
    });
    const t1 = performance.now();
    const id = created.ticket.id;
    let polls = 0;
    if (created.ticket.assignee_id == null) {
      for (;;) {
        polls++;
        const t = (await must(200, 'GET', `/api/v2/tickets/${id}.json`)).ticket;
        if (t.assignee_id != null) break;
        if (performance.now() - t0 > 30_000) throw new Error(`ticket ${id} not assigned after 30 s`);
      }
    }
    const t2 = performance.now();
    return { create: t1 - t0, assign: t2 - t0, after201: t2 - t1, polls, inCreate: created.ticket.assignee_id != null };
  };
  const phase = async (until) => {
    const create = [];
    const assign = [];
    const after201 = [];
    let polls = 0;
    let inCreate = 0;
    while (until()) {
      const r = await probe();
      create.push(r.create);
      assign.push(r.assign);
      after201.push(r.after201);
      polls += r.polls;
      if (r.inCreate) inCreate++;
    }
    return {
      create: summary(create),
      assign: summary(assign),
      after_201: summary(after201),
      polls_per_probe: polls / Math.max(1, create.length),
      // probes whose 201 already named the assignee: assigned in the create's own commit
      assigned_in_create: inCreate,
    };
  };

  let n = 0;
  const idle = await phase(() => n++ < idleProbes);

  const wrk = spawn(
    'wrk',
    ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '30s', '--latency', '-s', path.join(root, 'bench/create.lua'), `http://127.0.0.1:${port}`],
    { env: { ...process.env, BENCH_AUTH: auth, BENCH_LUA_DIR: path.join(root, 'bench'), BENCH_CREATE_GROUP: String(group.id) } },
  );
  let wrkOut = '';
  wrk.stdout.on('data', (d) => (wrkOut += d));
  let wrkDone = false;
  const wrkExit = new Promise((resolve) => wrk.on('close', (code) => ((wrkDone = true), resolve(code))));
  // Start probing once wrk is connected and sending; stop when it stops.
  await new Promise((r) => setTimeout(r, 500));
  const loaded = await phase(() => !wrkDone);
  const code = await wrkExit;
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${wrkOut}`);
  const line = (wrkOut.match(/^BENCH (.*)$/m) ?? [])[1] ?? '';
  const stats = await must(200, 'GET', `/api/v2/routing/queue?group_id=${group.id}`);
  const count = (q) => Number(spawnSync('sqlite3', ['-cmd', '.timeout 30000', db, q], { encoding: 'utf8' }).stdout.trim());
  const assigned = count("SELECT COUNT(*) FROM events WHERE kind = 'routing.assigned'");
  const assignedAtCreate = count("SELECT COUNT(*) FROM events WHERE kind = 'routing.assigned' AND json_extract(data, '$.at_create') = 1");
  return {
    idle,
    loaded,
    wrk: Object.fromEntries(line.split(' ').filter(Boolean).map((kv) => kv.split('='))),
    routing_assigned_total: assigned,
    routing_assigned_at_create: assignedAtCreate,
    queue_left: stats.count,
  };
} finally {
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('close', r));
  }
}
};

try {
  // The baseline first, then the measured path, on fresh databases of their own.
  const baseline = await measure(false);
  const measured = await measure(true);
  const result = { agents: agentCount, connections, duration_s: duration, ...measured, baseline, load: os.loadavg() };
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
} finally {
  agent.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
