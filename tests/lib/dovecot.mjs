// A real Dovecot IMAP server for the email tests, started with scripts/dovecot.sh in a temp
// directory on a free loopback port, and a tiny IMAP client to put mail in and look at flags.
//
//   const dc = await startDovecot();            // {port, dir, user, password}
//   await dc.append(rawMessage);                // IMAP APPEND, unseen (no \Seen flag)
//   await dc.flags();                           // Map uid -> ['\\Seen', ...]
//   await dc.down(); await dc.deliver(raw); await dc.up();  // IMAP down, mail still delivered, back
//   await dc.stop();
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { execute, repoRoot } from './server.mjs';

const script = path.join(repoRoot, 'scripts', 'dovecot.sh');

/** One IMAP session: login, then tagged commands; resolves each command's full response text. */
async function imapSession(port, user, password) {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.setEncoding('latin1'); // bytes in, bytes out: messages are not necessarily UTF-8
  let buf = '';
  let waiter = null;
  sock.on('data', (d) => {
    buf += d;
    waiter?.();
  });
  const closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('error', () => {});
  const until = (pred, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`IMAP: no ${what} within 10 s; got ${buf.slice(-300)}`)), 10_000);
      const check = () => {
        const v = pred();
        if (v !== null) {
          clearTimeout(timer);
          waiter = null;
          resolve(v);
        }
      };
      waiter = check;
      check();
    });
  await until(() => (buf.includes('\r\n') ? '' : null), 'greeting');
  buf = '';
  let n = 0;
  const command = async (text, literal = null) => {
    const tag = `T${++n}`;
    if (literal === null) {
      sock.write(`${tag} ${text}\r\n`, 'latin1');
    } else {
      const bytes = Buffer.from(literal, 'latin1');
      sock.write(`${tag} ${text} {${bytes.length}+}\r\n`, 'latin1'); // LITERAL+: no continuation round trip
      sock.write(bytes);
      sock.write('\r\n');
    }
    const out = await until(() => {
      const m = buf.match(new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r]*\\r\\n`));
      return m ? buf.slice(0, m.index + m[0].length) : null;
    }, `answer to ${text}`);
    buf = buf.slice(out.length);
    if (!new RegExp(`${tag} OK`).test(out)) throw new Error(`IMAP ${text.split(' ')[0]} failed: ${out.slice(-300)}`);
    return out;
  };
  const quote = (s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  await command(`LOGIN ${quote(user)} ${quote(password)}`);
  return {
    command,
    async close() {
      try {
        await command('LOGOUT');
      } catch {
        // the server may close first
      }
      sock.end();
      await closed;
    },
  };
}

/** Starts Dovecot with one account; stop() stops it and removes its directory. */
export async function startDovecot({ user = 'support', password = 'imap secret 1' } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rapport-dovecot-'));
  await execute('bash', [script, 'user', dir, user, password]);
  const started = await execute('bash', [script, 'start', dir], { timeoutMs: 30_000 });
  const port = Number(/port=(\d+)/.exec(started.stdout)?.[1]);
  if (!port) throw new Error(`dovecot.sh printed no port: ${started.stdout} ${started.stderr}`);
  const withSession = async (fn) => {
    const s = await imapSession(port, user, password);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  let stopped = null;
  return {
    port,
    dir,
    user,
    password,
    /** Appends a raw message to INBOX without flags (so it is unseen). */
    append: (raw, folder = 'INBOX') => withSession((s) => s.command(`APPEND ${folder} ()`, raw)),
    /** Map uid -> flags of every message in INBOX. */
    flags: (folder = 'INBOX') =>
      withSession(async (s) => {
        await s.command(`SELECT ${folder}`);
        const out = await s.command('UID FETCH 1:* (FLAGS)').catch(() => '');
        const map = new Map();
        for (const m of out.matchAll(/\* \d+ FETCH \((?:UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+))\)/g)) {
          const uid = Number(m[1] ?? m[4]);
          map.set(uid, (m[2] ?? m[3]).split(' ').filter(Boolean));
        }
        return map;
      }),
    /** Drops a message into the Maildir as an MTA's delivery agent does (works while IMAP is down). */
    deliver: (raw) => execute('bash', [script, 'deliver', dir, user], { input: Buffer.from(raw, 'latin1') }),
    /** Stops the IMAP server, keeping its mail and port, as an outage does. */
    down: () => execute('bash', [script, 'stop', dir]),
    /** Starts it again on the same port with the same mail (UIDVALIDITY unchanged). */
    up: () => execute('bash', [script, 'start', dir, String(port)], { timeoutMs: 30_000 }),
    /** Log lines of the server, for failure messages. */
    log: async () => (await execute('cat', [path.join(dir, 'dovecot.log')], { check: false })).stdout,
    stop() {
      stopped ??= (async () => {
        await execute('bash', [script, 'stop', dir], { check: false });
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
