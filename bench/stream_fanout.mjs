// Live feedback stream fan-out: how long a new rating takes to reach every subscriber of
// GET /api/v2/feedback/stream (Server-Sent Events).
//
//   node bench/stream_fanout.mjs [--bin build/release/rapport] [--subscribers 1000] [--ratings 200]
//                                [--out result.json] [--perf-out perf.data] [--timeout-s 240]
//
// Target (issue): 1,000 concurrent subscribers receive a new rating with p99 < 50 ms.
//
// What it does, on 127.0.0.1 only:
//   1. a fresh temp database (`rapport migrate`, an admin and an agent through the CLI), and the
//      release server with RAPPORT_API_RATE_LIMIT_PER_MINUTE=0 RAPPORT_LOG_LEVEL=warn;
//   2. prepares 2 × --ratings surveys before anything is measured: a ticket from a new customer
//      assigned to the agent, solved, and its delivered feedback request's survey link;
//   3. baseline: 1 subscriber (`?backfill=0`, admin token), then --ratings survey answers one at a
//      time (POST /s/{token} {"stars":5}, expecting 201), each only after the previous one reached
//      every subscriber;
//   4. the same with --subscribers subscribers (opened, and their first frame received, before the
//      first answer).
// For every rating and every subscriber it records when the `event: rating` frame carrying that
// rating's id arrived, measured from sending the POST and from its 201 (a frame can arrive
// before the submitter reads its 201: the stream is woken by the same commit; such deliveries
// count as negative from-201 times). Every subscriber must receive every rating exactly once.
//
// The client is one node process on the same cores as the server: a frame's arrival time is
// when node's event loop got to that socket, so with 1,000 sockets it includes the time node
// spent on the sockets before it. The result records node's and the server's CPU over each phase.
//
// No dependencies beyond node's standard library. Every wait is bounded; the whole run is
// bounded by --timeout-s (the server is killed and the script exits 1).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- options ---------------------------------------------------------------------------------
const opts = { bin: 'build/release/rapport', subscribers: 1000, ratings: 200, out: '', perfOut: '', timeoutS: 240, gapMs: 20 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
  if (!(k in opts)) {
    console.error(`unknown option ${process.argv[i]}`);
    process.exit(2);
  }
  const v = process.argv[i + 1];
  opts[k] = typeof opts[k] === 'number' ? Number(v) : v;
}
const bin = path.resolve(root, opts.bin);
if (!existsSync(bin)) {
  console.error(`no server binary at ${bin}`);
  process.exit(2);
}

const say = (msg) => process.stderr.write(`[stream_fanout ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server ------------------------------------------------------------------------------
const dir = mkdtempSync(path.join(os.tmpdir(), 'rapport-fanout-'));
const db = path.join(dir, 'rapport.db');
let server = null;
let serverLog = '';
let perf = null;

function cleanup() {
  if (perf && perf.exitCode === null) perf.kill('SIGINT');
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const deadline = setTimeout(() => {
  say(`error: the run took over ${opts.timeoutS} s; giving up`);
  cleanup();
  process.exit(1);
}, opts.timeoutS * 1000);
deadline.unref();

const cli = (...args) => execFileSync(bin, [...args, '--db', db], { encoding: 'utf8', timeout: 60_000 }).trim();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cpuTicks(pid) {
  // utime + stime of a process, in clock ticks (USER_HZ, 100/s on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

// ---- HTTP ------------------------------------------------------------------------------------
const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const streamAgent = new http.Agent({ keepAlive: false, maxSockets: 4096, maxTotalSockets: 4096 });
let port = 0;
let auth = '';

function request(method, urlPath, body, { headers = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { Accept: 'application/json', ...headers };
    if (data) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = data.length;
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent: apiAgent }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {}
        resolve({ status: res.statusCode, json, text, end: performance.now() });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

const api = (method, urlPath, body, o = {}) => request(method, urlPath, body, { ...o, headers: { Authorization: auth, ...o.headers } });

async function expect(res, status, what) {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: want ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

// ---- preparing surveys -----------------------------------------------------------------------
let customerSeq = 0;
async function prepareSurvey(agentId) {
  const n = ++customerSeq;
  const t = await expect(
    api('POST', '/api/v2/tickets.json', {
      ticket: {
        subject: `Order ${100000 + n} never arrived`,
        comment: { body: 'My order never arrived. Please help.' },
        requester: { name: `Cara Customer ${n}`, email: `cara-${n}@example.com` },
        assignee_id: agentId,
      },
    }),
    201,
    'create ticket',
  );
  const id = t.json.ticket.id;
  await expect(api('PUT', `/api/v2/tickets/${id}.json`, { ticket: { status: 'solved', comment: { body: 'All sorted.' } } }), 200, 'solve');
  // The request is created by a background consumer: poll, bounded.
  const until = performance.now() + 15_000;
  while (performance.now() < until) {
    const r = await expect(api('GET', `/api/v2/tickets/${id}/feedback_requests.json`), 200, 'feedback requests');
    const fr = r.json.feedback_requests?.[0];
    if (fr) {
      if (fr.status !== 'delivered' || !fr.url) throw new Error(`ticket ${id}: request not delivered: ${JSON.stringify(fr)}`);
      return new URL(fr.url).pathname;
    }
    await sleep(20);
  }
  throw new Error(`ticket ${id}: no feedback request after 15 s`);
}

async function prepareSurveys(count, agentId) {
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      out.push(await prepareSurvey(agentId));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

// ---- subscribers -----------------------------------------------------------------------------
// Each subscriber records, per rating id, when its `event: rating` frame arrived.
class Subscriber {
  constructor(index, arrivals) {
    this.index = index;
    this.arrivals = arrivals; // Map ratingId -> {times: Float64Array(n), count}
    this.buf = '';
    this.ready = false;
    this.closed = false;
    this.duplicates = 0;
    this.ratingFrames = 0;
  }

  open(total) {
    this.total = total;
    return new Promise((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v2/feedback/stream?backfill=0',
          headers: { Authorization: auth, Accept: 'text/event-stream' },
          agent: streamAgent,
        },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`subscriber ${this.index}: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk) => this.onData(chunk, resolve));
          res.on('end', () => (this.closed = true));
          res.on('error', () => (this.closed = true));
        },
      );
      req.on('error', (e) => {
        this.closed = true;
        reject(e);
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`subscriber ${this.index}: no first frame in 60 s`)));
      this.req = req;
    });
  }

  onData(chunk, resolveReady) {
    const now = performance.now();
    this.buf += chunk;
    let at;
    while ((at = this.buf.indexOf('\n\n')) >= 0) {
      const frame = this.buf.slice(0, at);
      this.buf = this.buf.slice(at + 2);
      if (!this.ready) {
        // The first frame is the retry hint: the subscription is registered.
        this.ready = true;
        this.req.setTimeout(0);
        resolveReady();
      }
      if (!frame.includes('\nevent: rating\n')) continue;
      this.ratingFrames += 1;
      // The data is the rating as JSON; its own "id" (not agent_id, ticket_id) is the rating id.
      const m = /"id":(\d+)/.exec(frame);
      if (!m) continue;
      const id = Number(m[1]);
      let a = this.arrivals.get(id);
      if (!a) {
        a = { times: new Float64Array(this.total).fill(NaN), count: 0, done: null };
        this.arrivals.set(id, a);
      }
      if (!Number.isNaN(a.times[this.index])) {
        this.duplicates += 1;
        continue;
      }
      a.times[this.index] = now;
      a.count += 1;
      if (a.count === this.total && a.done) a.done();
    }
  }

  close() {
    this.req?.destroy();
  }
}

// ---- one phase -------------------------------------------------------------------------------
function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
function summary(values) {
  const s = Float64Array.from(values).sort();
  const r3 = (x) => Math.round(x * 1000) / 1000;
  return { n: s.length, min: r3(s[0]), p50: r3(percentile(s, 50)), p90: r3(percentile(s, 90)), p99: r3(percentile(s, 99)),
           p999: r3(percentile(s, 99.9)), max: r3(s[s.length - 1]) };
}

async function phase(name, subscriberCount, surveys) {
  const arrivals = new Map();
  const subs = Array.from({ length: subscriberCount }, (_, i) => new Subscriber(i, arrivals));
  const openStart = performance.now();
  // Open in waves of 100 so the accept queue and the auth reads are not flooded at once.
  for (let i = 0; i < subs.length; i += 100) await Promise.all(subs.slice(i, i + 100).map((s) => s.open(subscriberCount)));
  const openMs = performance.now() - openStart;
  say(`${name}: ${subscriberCount} subscriber(s) open in ${Math.round(openMs)} ms`);
  await sleep(500);

  const sends = [];
  const timeouts = [];
  const badStatus = [];
  const elu = monitorEventLoopDelay({ resolution: 1 });
  let perfPid = null;
  if (opts.perfOut && subscriberCount > 1) {
    perf = spawn('perf', ['record', '-g', '-F', '999', '-p', String(server.pid), '-o', opts.perfOut], { stdio: 'ignore' });
    perfPid = perf.pid;
    await sleep(300);
  }
  const cpu0 = process.cpuUsage();
  const srv0 = cpuTicks(server.pid);
  const t0 = performance.now();
  elu.enable();
  for (const surveyPath of surveys) {
    const sent = performance.now();
    const r = await request('POST', surveyPath, { stars: 5 });
    if (r.status !== 201) {
      badStatus.push(r.status);
      continue;
    }
    const ratingId = r.json.rating.id;
    let a = arrivals.get(ratingId);
    if (!a) {
      a = { times: new Float64Array(subscriberCount).fill(NaN), count: 0, done: null };
      arrivals.set(ratingId, a);
    }
    if (a.count < subscriberCount) {
      // Wait (bounded) until every subscriber has it, then send the next one.
      const ok = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        a.done = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      if (!ok) timeouts.push(ratingId);
    }
    sends.push({ ratingId, sent, got201: r.end });
    await sleep(opts.gapMs);
  }
  elu.disable();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srvTicks = cpuTicks(server.pid) - srv0;
  if (perfPid) {
    perf.kill('SIGINT');
    await new Promise((r) => (perf.exitCode !== null ? r() : perf.on('exit', r)));
    perf = null;
  }

  // Every delivery of every rating.
  const fromSend = [];
  const from201 = [];
  const lastFromSend = [];
  const submitMs = [];
  let missing = 0;
  let before201 = 0;
  for (const s of sends) {
    submitMs.push(s.got201 - s.sent);
    const a = arrivals.get(s.ratingId);
    let last = -Infinity;
    for (let i = 0; i < subscriberCount; i++) {
      const t = a.times[i];
      if (Number.isNaN(t)) {
        missing += 1;
        continue;
      }
      fromSend.push(t - s.sent);
      from201.push(t - s.got201);
      if (t < s.got201) before201 += 1;
      last = Math.max(last, t - s.sent);
    }
    if (last > -Infinity) lastFromSend.push(last);
  }
  const duplicates = subs.reduce((n, s) => n + s.duplicates, 0);
  const closed = subs.filter((s) => s.closed).length;
  const extraRatings = [...arrivals.keys()].filter((id) => !sends.some((s) => s.ratingId === id)).length;
  for (const s of subs) s.close();
  await sleep(200);

  const result = {
    subscribers: subscriberCount,
    ratings_submitted: surveys.length,
    ratings_201: sends.length,
    non_201: badStatus,
    expected_deliveries: sends.length * subscriberCount,
    deliveries: fromSend.length,
    missing,
    duplicates,
    unexpected_ratings: extraRatings,
    subscribers_closed_early: closed,
    timeouts: timeouts.length,
    all_delivered: missing === 0 && duplicates === 0 && timeouts.length === 0 && badStatus.length === 0 && closed === 0,
    delivered_before_201: before201,
    open_ms: Math.round(openMs),
    wall_s: Math.round(wallS * 100) / 100,
    latency_from_send_ms: summary(fromSend),
    latency_from_201_ms: summary(from201),
    last_subscriber_from_send_ms: summary(lastFromSend),
    submit_ms: summary(submitMs),
    client_cpu_pct: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 1000) / 10,
    server_cpu_pct: Math.round(((srvTicks / 100) / wallS) * 1000) / 10,
    client_event_loop_delay_ms: { p50: elu.percentile(50) / 1e6, p99: elu.percentile(99) / 1e6, max: elu.max / 1e6 },
  };
  say(`${name}: deliveries ${result.deliveries}/${result.expected_deliveries}, from send p50 ${result.latency_from_send_ms.p50} ` +
      `p99 ${result.latency_from_send_ms.p99} max ${result.latency_from_send_ms.max} ms; from 201 p99 ` +
      `${result.latency_from_201_ms.p99} ms; client CPU ${result.client_cpu_pct}%, server CPU ${result.server_cpu_pct}%`);
  return result;
}

// ---- main ------------------------------------------------------------------------------------
async function main() {
  const started = new Date();
  cli('migrate');
  cli('user', 'create', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin');
  cli('user', 'create', '--email', 'amy@example.com', '--name', 'Amy Agent', '--role', 'agent');
  const tokenOut = cli('token', 'create', '--email', 'admin@example.com', '--description', 'stream bench');
  let token;
  try {
    token = JSON.parse(tokenOut).token ?? JSON.parse(tokenOut);
  } catch {
    token = tokenOut.split(/\s+/).at(-1);
  }
  auth = `Basic ${Buffer.from(`admin@example.com/token:${token}`).toString('base64')}`;

  port = await freePort();
  server = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, RAPPORT_API_RATE_LIMIT_PER_MINUTE: '0', RAPPORT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [server.stdout, server.stderr]) s.setEncoding('utf8').on('data', (d) => (serverLog = (serverLog + d).slice(-100_000)));
  const until = performance.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited: ${serverLog}`);
    const ok = await request('GET', '/readyz', undefined, { timeoutMs: 1000 }).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (performance.now() > until) throw new Error('the server did not become ready in 30 s');
    await sleep(100);
  }
  const agent = (await expect(api('GET', '/api/v2/users/search.json?query=amy%40example.com'), 200, 'find the agent')).json.users[0];
  if (!agent) throw new Error('the agent was not found');

  say(`preparing ${2 * opts.ratings} solved tickets with delivered surveys`);
  const p0 = performance.now();
  const surveys = await prepareSurveys(2 * opts.ratings, agent.id);
  say(`prepared in ${Math.round(performance.now() - p0)} ms`);

  const baseline = await phase('baseline', 1, surveys.slice(0, opts.ratings));
  const fanout = await phase('fanout', opts.subscribers, surveys.slice(opts.ratings));

  const out = {
    date: started.toISOString(),
    node: process.version,
    settings: { subscribers: opts.subscribers, ratings: opts.ratings, gap_ms: opts.gapMs },
    baseline,
    fanout,
  };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(out, null, 2) + '\n');
  else process.stdout.write(JSON.stringify(out, null, 2) + '\n');

  server.kill('SIGTERM');
  const code = await Promise.race([new Promise((r) => server.on('exit', (c) => r(c))), sleep(30_000).then(() => 'timeout')]);
  if (code === 'timeout') server.kill('SIGKILL');
  if (/status=5\d\d|event=handler_exception/.test(serverLog)) say(`warning: the server logged errors:\n${serverLog.slice(-2000)}`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err) => {
    say(`error: ${err.stack || err.message}`);
    if (serverLog) say(`server log (tail):\n${serverLog.slice(-3000)}`);
    cleanup();
    process.exit(1);
  },
);
