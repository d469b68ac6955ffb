// Outbox throughput: how fast `rapport serve` empties an outbox of N messages into a local SMTP
// server (scripts/smtp-sink.py, aiosmtpd), with 1 and more SMTP connections, against a baseline
// measured in the same run: the same sink fed by a trivial client (Python's smtplib, the same
// number of connections, the same message size, nothing composed or recorded).
//
//   node bench/outbox.mjs [--bin build/release/rapport] [--messages 3000] [--connections 1,4]
//                         [--out docs/benchmarks.md]
//
// The sink accepts and discards (control "discard"), so neither side pays for its disk. Rapport's
// time runs from the server's start to the last row marked sent (polled with the sqlite3 CLI every
// 20 ms), so it includes start-up (tens of ms), every claim and every durable outcome write.
// Rewrites the section between <!-- outbox:begin --> and <!-- outbox:end --> in --out.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startSmtpSink } from '../tests/lib/smtp_sink.mjs';
import { execute, freePort, repoRoot } from '../tests/lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    bin: { type: 'string', default: 'build/release/rapport' },
    messages: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '1,4' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    timeout: { type: 'string', default: '300' },
  },
});
const bin = path.resolve(repoRoot, args.bin);
const n = Number(args.messages);
const connectionCounts = args.connections.split(',').map(Number);
const timeoutMs = Number(args.timeout) * 1000;
// A reply-sized body: about 1.5 KB of text.
const BODY = 'Thanks for getting in touch. '.repeat(50);

const baselineScript = String.raw`
import smtplib, sys, threading, time
from email.message import EmailMessage
host, port, n, conns, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def worker(count):
    s = smtplib.SMTP(host, port)
    for i in range(count):
        m = EmailMessage()
        m['From'] = 'support@acme.test'
        m['To'] = 'customer%d@example.test' % i
        m['Subject'] = 'Benchmark message %d' % i
        m.set_content(body)
        s.send_message(m)
    s.quit()
share = [n // conns + (1 if i < n % conns else 0) for i in range(conns)]
threads = [threading.Thread(target=worker, args=(c,)) for c in share]
t0 = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
print(time.monotonic() - t0)
`;

async function baseline(sink, conns) {
  const { stdout } = await execute('/usr/bin/python3', ['-c', baselineScript, '127.0.0.1', String(sink.port), String(n), String(conns), BODY], {
    timeoutMs,
  });
  const seconds = Number(stdout.trim());
  return { seconds, rate: n / seconds };
}

async function rapport(sink, conns) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rapport-bench-outbox-'));
  const db = path.join(dir, 'bench.db');
  try {
    await execute(bin, ['migrate', '--db', db]);
    const sql =
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n}) ` +
      `INSERT INTO outbox(kind, to_address, subject, body_text, next_attempt_at, created_at) ` +
      `SELECT 'agent_reply', 'customer' || i || '@example.test', 'Benchmark message ' || i, '${BODY}', 0, 0 FROM seq;`;
    await execute('sqlite3', [db, sql]);
    const port = await freePort();
    const t0 = process.hrtime.bigint();
    const proc = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], {
      env: {
        ...process.env,
        ...sink.env({ RAPPORT_MAIL_FROM_ADDRESS: 'support@acme.test', RAPPORT_MAIL_CONNECTIONS: String(conns) }),
        RAPPORT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr.setEncoding('utf8').on('data', (d) => (log += d));
    const exited = new Promise((r) => proc.on('exit', r));
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { stdout } = await execute('sqlite3', ['-cmd', '.timeout 5000', db, "SELECT COUNT(*) FROM outbox WHERE status != 'queued'"]);
        if (Number(stdout.trim()) >= n) break;
        if (Date.now() > deadline) throw new Error(`outbox not empty after ${args.timeout} s\n${log}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const { stdout } = await execute('sqlite3', [db, "SELECT status || ' ' || COUNT(*) FROM outbox GROUP BY status"]);
      const sent = Number(/sent (\d+)/.exec(stdout)?.[1] ?? 0);
      return { seconds, rate: n / seconds, sent };
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start`;
}

const sink = await startSmtpSink();
const rows = [];
const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const where = machine();
try {
  await sink.control({ discard: true });
  for (const c of connectionCounts) {
    const base = await baseline(sink, c);
    const ours = await rapport(sink, c);
    rows.push({ c, base, ours });
    console.log(`connections=${c}: smtplib ${base.rate.toFixed(0)}/s, rapport ${ours.rate.toFixed(0)}/s (sent ${ours.sent}/${n})`);
  }
} finally {
  await sink.close();
}

const fmt = (x) => x.toFixed(0);
const section = [
  '<!-- outbox:begin -->',
  '## Outbox delivery',
  '',
  `\`node bench/outbox.mjs --bin ${args.bin} --messages ${n} --connections ${args.connections}\` (also \`bash bench/outbox.sh\`), ${started}.`,
  `Machine: ${where}.`,
  ...(/debug/.test(args.bin)
    ? ['', '**This run used the debug build (AddressSanitizer, no optimisation)**: rapport\'s numbers say nothing about', 'a release build, which this run did not measure; the baseline is unaffected. Re-run with the release binary.']
    : []),
  '',
  `${n} queued replies (about 1.5 KB of text each) are sent by \`rapport serve\` to the aiosmtpd sink on`,
  'loopback, which accepts and discards them. The baseline is the same sink fed by Python\'s smtplib',
  'over the same number of connections: the cost of SMTP itself on this machine, with nothing composed',
  'and nothing recorded. Rapport\'s time includes its start-up, each batch\'s claim (Message-IDs stored)',
  'and one durable write per message (status, `mail_messages`, event).',
  '',
  '| SMTP connections | baseline (smtplib → sink) msg/s | rapport outbox → sink msg/s | ratio | sent |',
  '|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) => `| ${r.c} | ${fmt(r.base.rate)} | ${fmt(r.ours.rate)} | ${(r.ours.rate / r.base.rate).toFixed(2)} | ${r.ours.sent}/${n} |`,
  ),
  '<!-- outbox:end -->',
].join('\n');

const outPath = path.resolve(repoRoot, args.out);
let doc = readFileSync(outPath, 'utf8');
const re = /<!-- outbox:begin -->[\s\S]*?<!-- outbox:end -->/;
if (re.test(doc)) doc = doc.replace(re, section);
else if (doc.includes('<!-- feedback-bench:begin -->')) doc = doc.replace('<!-- feedback-bench:begin -->', `${section}\n\n<!-- feedback-bench:begin -->`);
else doc += `\n${section}\n`;
writeFileSync(outPath, doc);
console.log(`wrote ${args.out}`);
