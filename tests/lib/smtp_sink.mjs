// A real SMTP server for the black-box tests: scripts/smtp-sink.py (Debian's aiosmtpd) on
// 127.0.0.1, recording each message it accepts as a file.
//
//   const sink = await startSmtpSink();                 // or { auth: 'user:password' }
//   const srv = await startServer({ env: sink.env() }); // RAPPORT_MAIL_* pointing at the sink
//   const mail = await sink.waitFor((m) => m.subject.includes('[#12]'));
//   mail.header('in-reply-to'); mail.headers('received'); mail.rcptTos; mail.text; mail.raw
//   await sink.control({ rcpt: { 'x@example.test': '550 5.1.1 No such user' } });
//   await sink.stop(); await sink.start();               // the mail server goes down and comes back
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { eventually } from './api.mjs';
import { execute, freePort, repoRoot } from './server.mjs';

const PYTHON = '/usr/bin/python3'; // Debian's, which has aiosmtpd (python3 on PATH may be a pyenv shim)
const SCRIPT = path.join(repoRoot, 'scripts', 'smtp-sink.py');

const live = new Set();
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** RFC 2047 encoded words (B and Q, any charset Node's TextDecoder knows) to text. */
export function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between adjacent encoded words is not text
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, enc, data) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return new TextDecoder(charset.split('*')[0]).decode(bytes);
    });
}

/** Decodes a body part by its Content-Transfer-Encoding, to bytes. */
function decodeBody(body, encoding) {
  const enc = (encoding || '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const latin = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(latin, 'latin1');
  }
  return Buffer.from(body, 'latin1');
}

/** Splits an entity into {headerLines: [[name, value]], body}; header lines are unfolded. */
function splitEntity(raw) {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end + 4);
  const lines = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && lines.length) lines[lines.length - 1] += line;
    else lines.push(line);
  }
  return {
    headerLines: lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }),
    body,
  };
}

/** The leaf parts of a MIME entity: [{type, params, headers, body (decoded)}]. Enough for our own mail. */
function leafParts(raw) {
  const { headerLines, body } = splitEntity(raw);
  const get = (n) => headerLines.find(([k]) => k === n)?.[1] ?? '';
  const ct = get('content-type') || 'text/plain';
  const type = ct.split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
    const pieces = body.split(`--${boundary}`).slice(1);
    return pieces.filter((p) => !p.startsWith('--')).flatMap((p) => leafParts(p.replace(/^\r\n/, '').replace(/\r\n$/, '')));
  }
  const bytes = decodeBody(body, get('content-transfer-encoding'));
  return [{ type, contentType: ct, disposition: get('content-disposition'), bytes, body: bytes.toString('utf8') }];
}

export function parseMessage(raw, meta = {}) {
  const { headerLines } = splitEntity(raw);
  const parts = leafParts(raw);
  const all = (name) => headerLines.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v);
  return {
    raw,
    headerLines,
    mailFrom: meta.mail_from,
    rcptTos: meta.rcpt_tos ?? [],
    authUser: meta.auth_user ?? null,
    /** All values of a header, raw (not decoded). */
    headers: all,
    /** The one value of a header, RFC 2047-decoded; undefined when absent. */
    header(name) {
      const v = all(name);
      return v.length ? decodeWords(v[0]) : undefined;
    },
    get subject() {
      return this.header('subject') ?? '';
    },
    parts,
    text: parts.find((p) => p.type === 'text/plain')?.body ?? '',
    html: parts.find((p) => p.type === 'text/html')?.body ?? '',
  };
}

/**
 * Starts the sink. `auth`: 'user:password' to require AUTH; `tls`: true to offer and require
 * STARTTLS with a self-signed certificate made for the run (openssl).
 */
export async function startSmtpSink({ auth = null, tls = false } = {}) {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: scripts/install-deps.sh installs python3-aiosmtpd`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rapport-smtp-'));
  const port = await freePort();
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  if (tls) {
    await execute('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  }
  let proc = null;
  let exited = null;

  async function start() {
    let output = '';
    const args = [SCRIPT, '--port', String(port), '--dir', dir];
    if (auth) args.push('--auth', auth);
    if (tls) args.push('--tls-cert', cert, '--tls-key', key);
    proc = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    const me = proc;
    exited = new Promise((resolve) => me.on('exit', (code, signal) => resolve({ code, signal }))).then((r) => {
      live.delete(me);
      return r;
    });
    let alive = true;
    exited.then(() => (alive = false));
    for (const s of [proc.stdout, proc.stderr]) s.setEncoding('utf8').on('data', (d) => (output += d));
    await eventually(
      () => {
        if (!alive) throw new Error(`smtp-sink exited before listening:\n${output}`);
        return output.includes('listening');
      },
      { timeoutMs: 20_000, intervalMs: 50, message: `smtp-sink listening on ${port}` },
    );
  }

  async function stop() {
    if (!proc) return;
    const p = proc;
    proc = null;
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  }

  async function messages() {
    const names = (await readdir(dir)).filter((n) => /^\d+\.json$/.test(n)).sort();
    const out = [];
    for (const n of names) {
      const meta = JSON.parse(await readFile(path.join(dir, n), 'utf8'));
      const raw = await readFile(path.join(dir, n.replace(/\.json$/, '.eml')), 'latin1');
      out.push(parseMessage(raw, meta));
    }
    return out;
  }

  await start();
  return {
    host: '127.0.0.1',
    port,
    dir,
    start,
    stop,
    messages,
    /** The environment that points `rapport serve` at this sink (plain SMTP, short retries). */
    env(extra = {}) {
      return {
        RAPPORT_MAIL_SMTP_HOST: '127.0.0.1',
        RAPPORT_MAIL_SMTP_PORT: String(port),
        RAPPORT_MAIL_TLS: 'none',
        ...extra,
      };
    },
    /** Polls until a recorded message satisfies `pred`; returns it. */
    waitFor(pred, { timeoutMs = 20_000, message = 'a message at the SMTP sink' } = {}) {
      return eventually(async () => (await messages()).find(pred), { timeoutMs, message });
    },
    /** Replaces the sink's answers (see scripts/smtp-sink.py); {} restores plain acceptance. */
    async control(obj) {
      const tmp = path.join(dir, 'control.json.tmp');
      await writeFile(tmp, JSON.stringify(obj));
      await rename(tmp, path.join(dir, 'control.json'));
    },
    async close() {
      await stop();
      if (!process.env.RAPPORT_KEEP_TMP) await rm(dir, { recursive: true, force: true });
    },
  };
}
