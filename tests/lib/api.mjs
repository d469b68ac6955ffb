// Helpers for the black-box API tests (tests/api/*.test.mjs), on top of server.mjs.
//
//   const srv = await startServer();
//   const api = client(srv);                    // every response is checked for the invariants below
//   const { body } = await api.post('/api/v2/tickets.json', { ticket: {...} }, { expect: 201 });
//
// Invariants checked on every response that goes through `client`:
//   * an X-Request-Id header;
//   * a JSON body under /api/ comes with `Content-Type: application/json; charset=utf-8` and parses;
//   * Retry-After only on a 429.
import assert from 'node:assert/strict';
import net from 'node:net';

import { parseToken } from './server.mjs';

export const JSON_CT = 'application/json; charset=utf-8';

export const FORBIDDEN = {
  error: 'Forbidden',
  description:
    'You do not have access to this page. Please contact the account owner of this help desk for further help.',
};
export const NOT_FOUND = { error: 'RecordNotFound', description: 'Not found' };
export const UNAUTHENTICATED = { error: "Couldn't authenticate you" };
export const INVALID_TOKEN = {
  error: 'invalid_token',
  error_description:
    'The access token provided is expired, revoked, malformed or invalid for other reasons.',
};

/** Authorization header values. */
export const tokenAuth = (email, token) => `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
export const passwordAuth = (email, password) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
export const bearerAuth = (token) => `Bearer ${token}`;

/**
 * Stops the server (SIGTERM) and asserts a clean exit: code 0, no sanitizer report and no 5xx or
 * handler exception in its log. For `after` hooks.
 */
export async function stopClean(srv) {
  if (!srv) return;
  const r = await srv.stop({ timeoutMs: 30_000 }); // an ASan build under load can take a while to exit
  const out = srv.output();
  assert.doesNotMatch(out, /AddressSanitizer|LeakSanitizer|runtime error:/, `sanitizer report:\n${out.slice(-4000)}`);
  const internal = out.split('\n').filter((l) => /status=5\d\d|event=handler_exception/.test(l));
  assert.deepEqual(internal, [], 'the server answered with a 5xx or a handler threw');
  assert.equal(r.code, 0, `server exit ${JSON.stringify(r)}\n${out.slice(-3000)}`);
}

/** Checks what every response must carry; returns `res`. */
export function checkInvariants(method, urlPath, res) {
  const where = `${method} ${urlPath} -> ${res.status}`;
  assert.ok(res.headers.get('x-request-id'), `${where}: no X-Request-Id`);
  if (res.status !== 429) assert.equal(res.headers.get('retry-after'), null, `${where}: Retry-After on a non-429`);
  if (urlPath.startsWith('/api/') && res.text.length > 0) {
    assert.equal(res.headers.get('content-type'), JSON_CT, `${where}: Content-Type`);
    assert.notEqual(res.body, null, `${where}: body is not JSON: ${res.text.slice(0, 200)}`);
  }
  return res;
}

/**
 * A small client over srv.request. Each method takes {auth, headers, expect}; `expect` is the
 * status the test requires (asserted with the body in the message, so failures explain themselves).
 */
export function client(srv, defaults = {}) {
  const call = async (method, urlPath, body, opts = {}) => {
    const o = { ...defaults, ...opts };
    const res = await srv.request(method, urlPath, { body, auth: o.auth, headers: o.headers });
    checkInvariants(method, urlPath, res);
    if (o.expect !== undefined) {
      assert.equal(res.status, o.expect, `${method} ${urlPath}: want ${o.expect}, got ${res.status}: ${res.text.slice(0, 500)}`);
    }
    return res;
  };
  return {
    srv,
    as: (auth) => client(srv, { ...defaults, auth }),
    call,
    get: (p, opts) => call('GET', p, undefined, opts),
    delete: (p, opts) => call('DELETE', p, undefined, opts),
    post: (p, body, opts) => call('POST', p, body, opts),
    put: (p, body, opts) => call('PUT', p, body, opts),
  };
}

/** Fetches an absolute URL the server handed out (next_page, links.next, ...) with the same checks. */
export async function follow(srv, url, { auth = srv.basicAuth, expect = 200 } = {}) {
  const u = new URL(url);
  const res = await srv.request('GET', u.pathname + u.search, { auth });
  checkInvariants('GET', u.pathname, res);
  assert.equal(res.status, expect, `GET ${url}: want ${expect}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the deadline passes. This is
 * the only way tests wait: for a condition the server makes true, never for a fixed time.
 */
export async function eventually(fn, { timeoutMs = 15_000, intervalMs = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${message} not met after ${timeoutMs} ms (last: ${last instanceof Error ? last.stack : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A new API token for `email`, made with the CLI against the server's database. */
export async function newToken(srv, email) {
  return parseToken((await srv.run(['token', 'create', '--email', email])).stdout);
}

/** Creates a user over the API (as admin unless `auth` says otherwise); returns the user object. */
export async function createUser(api, fields, opts = {}) {
  const res = await api.post('/api/v2/users.json', { user: fields }, { expect: 201, ...opts });
  return res.body.user;
}

/** Creates a ticket; `comment` defaults to a body. Returns the ticket object. */
export async function createTicket(api, fields = {}, opts = {}) {
  const ticket = { comment: { body: `body of ${fields.subject ?? 'a ticket'}` }, ...fields };
  const res = await api.post('/api/v2/tickets.json', { ticket }, { expect: 201, ...opts });
  return res.body.ticket;
}

/** Total tickets the admin can list (offset `count`); used to prove nothing was half-written. */
export async function ticketCount(api) {
  const res = await api.get('/api/v2/tickets.json?per_page=1', { auth: 'token', expect: 200 });
  return res.body.count;
}

export async function userCount(api) {
  const res = await api.get('/api/v2/users.json?per_page=1', { auth: 'token', expect: 200 });
  return res.body.count;
}

/**
 * Sends raw bytes over a fresh TCP connection and reads until the server closes it or
 * `timeoutMs` passes. Resolves {status, headers (lower-cased keys), body, raw}. For requests fetch
 * will not make (huge headers, broken HTTP).
 */
export function rawHttp(port, data, { host = '127.0.0.1', timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const chunks = [];
    const timer = setTimeout(() => sock.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d) => {
      chunks.push(d);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, head));
      if (m && text.length >= head + 4 + Number(m[1])) sock.end();
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length) finish();
      else reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      finish();
    });
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const raw = Buffer.concat(chunks).toString('utf8');
      const head = raw.indexOf('\r\n\r\n');
      if (head < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
      const lines = raw.slice(0, head).split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const text = raw.slice(head + 4);
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      resolve({ status, headers, text, body, raw });
    }
  });
}
