// Rate limits: a server allowing 5 API requests per minute per credential, and a server with the
// default limits for login throttling (10 attempts per minute per IP address and email).
// Windows are calendar minutes; a burst that straddles a minute boundary is retried with a fresh
// credential instead of waiting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, newToken, passwordAuth, stopClean, ticketCount, tokenAuth } from '../lib/api.mjs';
import { ADMIN_PASSWORD, startServer } from '../lib/server.mjs';

const LIMIT = 5;
const minuteNow = () => Math.floor(Date.now() / 60_000);

/** Runs `burst()` until it completes within one calendar minute (at most 3 tries); returns its result. */
async function withinOneMinute(burst) {
  for (let attempt = 0; ; attempt += 1) {
    const m = minuteNow();
    const result = await burst();
    if (minuteNow() === m || attempt >= 2) return result;
  }
}

describe('API rate limit (5 per minute)', () => {
  let srv;
  let api;

  before(async () => {
    srv = await startServer({ env: { RAPPORT_API_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    api = client(srv);
  });
  after(() => stopClean(srv));

  const freshClient = async () => client(srv, { auth: tokenAuth(srv.adminEmail, await newToken(srv, srv.adminEmail)) });

  test('every response carries the limit headers; the 6th request is 429 with Retry-After', async () => {
    const { responses } = await withinOneMinute(async () => {
      const ex = await freshClient();
      const responses = [];
      for (let i = 0; i < LIMIT + 1; i += 1) responses.push(await ex.get('/api/v2/tickets.json'));
      // Still limited, whatever the endpoint.
      responses.push(await ex.get('/api/v2/users/me.json'));
      return { responses };
    });
    const again = responses.pop();
    assert.equal(again.status, 429);
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
    responses.forEach((r, i) => {
      assert.equal(r.headers.get('x-rate-limit'), String(LIMIT));
      assert.equal(r.headers.get('ratelimit-limit'), String(LIMIT));
      const remaining = String(Math.max(0, LIMIT - 1 - i));
      assert.equal(r.headers.get('x-rate-limit-remaining'), remaining, `request ${i + 1}`);
      assert.equal(r.headers.get('ratelimit-remaining'), remaining, `request ${i + 1}`);
      const reset = Number(r.headers.get('ratelimit-reset'));
      assert.ok(reset >= 0 && reset <= 60, `ratelimit-reset ${reset}`);
      if (r.status !== 429) assert.equal(r.headers.get('retry-after'), null);
      if (r.status === 200) {
        // Ticket lists also report their own budget, counted per credential.
        assert.equal(
          r.headers.get('zendesk-ratelimit-tickets-index'),
          `total=100; remaining=${99 - i}; resets=${r.headers.get('ratelimit-reset')}`,
        );
      }
    });
    assert.equal(again.headers.get('zendesk-ratelimit-tickets-index'), null, 'not on other endpoints');
    const limited = responses.at(-1);
    assert.deepEqual(limited.body, {
      error: 'APIRateLimitExceeded',
      description: 'Number of allowed API requests per minute exceeded',
    });
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  });

  test('a limited POST writes nothing, and other credentials keep their own budget', async () => {
    const before = await ticketCount(await freshClient());
    const posts = []; // every POST status, retries included (a POST in a fresh minute may pass)
    const res = await withinOneMinute(async () => {
      const c = await freshClient();
      for (let i = 0; i < LIMIT; i += 1) await c.get('/api/v2/users/me.json', { expect: 200 });
      const r = await c.post('/api/v2/tickets.json', { ticket: { subject: 'over the limit', comment: { body: 'x' } } });
      posts.push(r.status);
      return r;
    });
    assert.equal(res.status, 429);
    assert.equal(res.body.error, 'APIRateLimitExceeded');
    const other = await freshClient();
    assert.equal(await ticketCount(other), before + posts.filter((s) => s === 201).length);
    const pw = client(srv, { auth: passwordAuth(srv.adminEmail, ADMIN_PASSWORD) });
    await pw.get('/api/v2/tickets.json', { expect: 200 });
  });

  test('failed authentication is limited per IP address', async () => {
    // Anonymous traffic from this address (the harness's readiness polls included) shares one budget.
    const statuses = await withinOneMinute(async () => {
      const out = [];
      for (let i = 0; i < LIMIT + 2; i += 1) {
        const r = await api.get('/api/v2/tickets.json', { auth: tokenAuth(srv.adminEmail, 'guess') });
        out.push(r.status);
        assert.equal(r.headers.get('x-rate-limit'), String(LIMIT));
        if (r.status === 429) {
          assert.equal(r.body.error, 'APIRateLimitExceeded');
          assert.ok(Number(r.headers.get('retry-after')) >= 1);
        } else {
          assert.equal(r.status, 401);
          assert.equal(r.headers.get('retry-after'), null);
        }
      }
      return out;
    });
    assert.ok(statuses.includes(429), `no 429 among ${statuses}`);
    assert.ok(statuses.filter((s) => s === 401).length <= LIMIT);
    // Once limited, guessing stays limited while a valid credential works.
    assert.equal(statuses.at(-1), 429);
    await (await freshClient()).get('/api/v2/tickets.json', { expect: 200 });
    // Health checks and metrics scrapes from the same address are not API traffic: never limited.
    for (const p of ['/healthz', '/readyz', '/metrics']) await api.get(p, { auth: 'none', expect: 200 });
  });
});

describe('login throttling (10 attempts per minute)', () => {
  let srv;
  let api;

  before(async () => {
    srv = await startServer();
    api = client(srv);
  });
  after(() => stopClean(srv));

  test('the 11th login attempt in a minute is 429, even with the right password', async () => {
    // Attempts until the first 429; all before it are plain 401s and at most 10 fall in its minute.
    const attempts = [];
    for (let i = 0; i < 25; i += 1) {
      const minute = minuteNow();
      const r = await api.post('/api/v2/session', { email: srv.adminEmail, password: `wrong ${i}` }, { auth: 'none' });
      attempts.push({ status: r.status, minute, body: r.body, retry: r.headers.get('retry-after') });
      if (r.status === 429) break;
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('set-cookie'), null);
    }
    const limited = attempts.at(-1);
    assert.equal(limited.status, 429, 'login attempts are throttled');
    assert.equal(limited.body.error, 'TooManyLoginAttempts');
    assert.ok(Number(limited.retry) >= 1);
    const inMinute = attempts.filter((a) => a.minute === limited.minute && a.status === 401).length;
    assert.ok(inMinute <= 10, `${inMinute} attempts allowed in one minute`);
    // The right password is refused too while throttled (unless the minute just turned).
    const m = minuteNow();
    const right = await api.post('/api/v2/session', { email: srv.adminEmail, password: srv.adminPassword }, { auth: 'none' });
    if (minuteNow() === limited.minute && m === limited.minute) {
      assert.equal(right.status, 429);
      assert.equal(right.headers.get('set-cookie'), null);
    }
    // API tokens are not affected by login throttling.
    await api.get('/api/v2/tickets.json', { expect: 200 });
  });
});
