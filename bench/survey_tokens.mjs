// Inserts delivered survey requests straight into a database with the sqlite3 CLI and writes
// their signed link tokens, one a line, for bench/survey.lua.
//
//   node bench/survey_tokens.mjs --db DB --count 100000 --ticket ID --agent ID --requester ID --out tokens.txt
//
// The rows are what the feedback consumer would have written for a solved API ticket (status
// delivered, channel api), with random 16-byte hex nonces and expiry a year away. Ids continue
// after the largest existing one. The token is the server's format (feedback::link_token):
//   "<id>.<expires_at>.<first 40 hex of HMAC-SHA256(secret, "<id>.<expires_at>.<nonce>")>"
// with the secret from settings.feedback_secret (the server creates it when it starts). Safe
// while the server runs (WAL; the CLI waits up to 30 s for the write lock).
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const o = { db: '', count: 100000, ticket: 0, agent: 0, requester: 0, group: '', out: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in o)) throw new Error(`unknown option ${process.argv[i]}`);
  o[k] = typeof o[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
if (!o.db || !o.out || !o.ticket || !o.agent || !o.requester) {
  console.error('usage: node bench/survey_tokens.mjs --db DB --count N --ticket ID --agent ID --requester ID --out FILE');
  process.exit(2);
}

const sql = (query, input) =>
  execFileSync('sqlite3', ['-cmd', '.timeout 30000', o.db, ...(query ? [query] : [])], {
    input,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  }).trim();

const secret = sql("SELECT value FROM settings WHERE key = 'feedback_secret'");
if (!secret) throw new Error('no feedback_secret in settings: start the server once on this database first');
const firstId = Number(sql('SELECT COALESCE(MAX(id), 0) FROM feedback_requests')) + 1;
const now = Math.floor(Date.now() / 1000);
const expires = now + 365 * 86400;
const group = o.group ? Number(o.group) : 'NULL';

const tokens = [];
const lines = ['BEGIN;'];
const chunk = 500;
for (let start = 0; start < o.count; start += chunk) {
  const values = [];
  for (let i = start; i < Math.min(o.count, start + chunk); i++) {
    const id = firstId + i;
    const nonce = randomBytes(16).toString('hex');
    const sig = createHmac('sha256', secret).update(`${id}.${expires}.${nonce}`).digest('hex').slice(0, 40);
    tokens.push(`${id}.${expires}.${sig}`);
    values.push(`(${id},'survey',${o.ticket},${o.agent},${o.requester},${group},NULL,'api','delivered','${nonce}',${now},${now},${expires})`);
  }
  lines.push(
    'INSERT INTO feedback_requests(id, kind, ticket_id, agent_id, requester_id, group_id, site_id, channel, status, ' +
      `nonce, created_at, delivered_at, expires_at) VALUES ${values.join(',')};`,
  );
}
lines.push('COMMIT;');
sql('', 'PRAGMA foreign_keys=ON;\n' + lines.join('\n') + '\n');
const inserted = Number(sql(`SELECT COUNT(*) FROM feedback_requests WHERE id >= ${firstId}`));
if (inserted !== o.count) throw new Error(`inserted ${inserted} rows, wanted ${o.count}`);
writeFileSync(o.out, tokens.join('\n') + '\n');
console.log(JSON.stringify({ first_id: firstId, count: o.count, expires_at: expires }));
