// Authentication: API tokens (Basic email/token), passwords (Basic email:password), Bearer tokens
// with X-On-Behalf-Of, and browser sessions with a CSRF token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  INVALID_TOKEN,
  UNAUTHENTICATED,
  bearerAuth,
  checkInvariants,
  client,
  createTicket,
  createUser,
  newToken,
  passwordAuth,
  stopClean,
  ticketCount,
  tokenAuth,
} from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

describe('auth', () => {
  let srv;
  let api;
  let admin;
  let eve;
  let agent;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    admin = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
    eve = await createUser(api, { name: 'Eve', email: 'eve@example.com' });
    agent = await createUser(api, { name: 'Agent Smith', email: 'smith@example.com', role: 'agent', password: 'agent password 1' });
  });
  after(() => stopClean(srv));

  const me = async (auth, headers) => (await api.get('/api/v2/users/me.json', { auth, headers, expect: 200 })).body.user;

  test('Basic email/token, Basic email:password and Bearer all authenticate', async () => {
    assert.equal((await me(tokenAuth(srv.adminEmail, srv.token))).id, admin.id);
    assert.equal((await me(tokenAuth(srv.adminEmail.toUpperCase(), srv.token))).id, admin.id, 'emails are case-insensitive');
    assert.equal((await me(passwordAuth(srv.adminEmail, srv.adminPassword))).id, admin.id);
    assert.equal((await me(passwordAuth(agent.email, 'agent password 1'))).id, agent.id);
    assert.equal((await me(bearerAuth(srv.token))).id, admin.id);
    await api.get('/api/v2/tickets.json', { auth: bearerAuth(srv.token), expect: 200 });
  });

  test("an admin's token acts as any user, end users included", async () => {
    assert.equal((await me(tokenAuth(eve.email, srv.token))).id, eve.id);
    assert.equal((await me(bearerAuth(srv.token), { 'X-On-Behalf-Of': eve.email })).id, eve.id);
    // Acting as Eve means Eve's permissions.
    await api.get('/api/v2/users.json', { auth: tokenAuth(eve.email, srv.token), expect: 403 });
    await api.get('/api/v2/users.json', { auth: bearerAuth(srv.token), headers: { 'X-On-Behalf-Of': eve.email }, expect: 403 });
  });

  test("a non-admin's token acts only as its owner", async () => {
    const t = await newToken(srv, agent.email);
    assert.equal((await me(tokenAuth(agent.email, t))).id, agent.id);
    assert.equal((await me(bearerAuth(t))).id, agent.id);
    const res = await api.get('/api/v2/tickets.json', { auth: tokenAuth(eve.email, t), expect: 401 });
    assert.deepEqual(res.body, UNAUTHENTICATED);
    await api.get('/api/v2/tickets.json', { auth: bearerAuth(t), headers: { 'X-On-Behalf-Of': eve.email }, expect: 403 });
  });

  test('failures are 401 {"error":"Couldn\'t authenticate you"} with WWW-Authenticate', async () => {
    for (const auth of [
      'none',
      tokenAuth(srv.adminEmail, `${srv.token}x`),
      tokenAuth('ghost@example.com', srv.token),
      passwordAuth(srv.adminEmail, 'wrong password'),
      passwordAuth(eve.email, ''), // Eve has no password
      passwordAuth(srv.adminEmail, srv.token), // a token is not a password
      tokenAuth(srv.adminEmail, srv.adminPassword), // nor the other way round
    ]) {
      const res = await api.get('/api/v2/tickets.json', { auth, expect: 401 });
      assert.deepEqual(res.body, UNAUTHENTICATED);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Web Password"');
    }
  });

  test('a bad Bearer token is 401 invalid_token', async () => {
    for (const token of ['nope', `${srv.token}0`, 'a.b.c']) {
      const res = await api.get('/api/v2/tickets.json', { auth: bearerAuth(token), expect: 401 });
      assert.deepEqual(res.body, INVALID_TOKEN);
      assert.ok(res.headers.get('www-authenticate'));
    }
  });

  test('a suspended user cannot authenticate', async () => {
    const sus = await createUser(api, { name: 'Sus', email: 'sus@example.com' });
    await me(tokenAuth(sus.email, srv.token));
    await api.put(`/api/v2/users/${sus.id}.json`, { user: { suspended: true } }, { expect: 200 });
    await api.get('/api/v2/tickets.json', { auth: tokenAuth(sus.email, srv.token), expect: 401 });
    assert.equal((await me(tokenAuth(sus.email, srv.token))).id, null, 'me falls back to the anonymous user');
  });

  test("a token's permissions follow the user's role, groups and organization on the very next request", async () => {
    // The server caches a checked token's principal; every change below must show at once.
    const g = (await api.post('/api/v2/groups.json', { group: { name: 'Cache Team' } }, { expect: 201 })).body.group;
    const mover = await createUser(api, { name: 'Mo Ver', email: 'mover@example.com', role: 'agent' });
    const auth = tokenAuth(mover.email, srv.token);
    const t = await createTicket(api, { subject: 'In the cache team', group_id: g.id, assignee_id: admin.id });
    for (let i = 0; i < 3; i++) await api.get(`/api/v2/tickets/${t.id}.json`, { auth, expect: 404 });
    await api.put(`/api/v2/users/${mover.id}.json`, { user: { group_ids: [g.id] } }, { expect: 200 });
    await api.get(`/api/v2/tickets/${t.id}.json`, { auth, expect: 200 });
    await api.put(`/api/v2/users/${mover.id}.json`, { user: { group_ids: [] } }, { expect: 200 });
    await api.get(`/api/v2/tickets/${t.id}.json`, { auth, expect: 404 });
    await api.get('/api/v2/users.json', { auth, expect: 200 });
    await api.put(`/api/v2/users/${mover.id}.json`, { user: { role: 'end-user' } }, { expect: 200 });
    await api.get('/api/v2/users.json', { auth, expect: 403 });
    // An end user sees their organization's tickets only while it shares them.
    const org = (await api.post('/api/v2/organizations.json', { organization: { name: 'Cache Org', shared_tickets: true } }, { expect: 201 }))
      .body.organization;
    const peer = await createUser(api, { name: 'Pe Er', email: 'peer@example.com', organization_id: org.id });
    await api.put(`/api/v2/users/${mover.id}.json`, { user: { organization_id: org.id } }, { expect: 200 });
    const shared = await createTicket(api, { subject: 'Shared', requester_id: peer.id });
    await api.get(`/api/v2/tickets/${shared.id}.json`, { auth, expect: 200 });
    await api.put(`/api/v2/organizations/${org.id}.json`, { organization: { shared_tickets: false } }, { expect: 200 });
    await api.get(`/api/v2/tickets/${shared.id}.json`, { auth, expect: 404 });
    await api.put(`/api/v2/users/${mover.id}.json`, { user: { suspended: true } }, { expect: 200 });
    await api.get('/api/v2/tickets.json', { auth, expect: 401 });
  });

  test("a suspended admin's token acts for nobody, through Basic or Bearer", async () => {
    const boss = await createUser(api, { name: 'Sus Boss', email: 'sus-boss@example.com', role: 'admin' });
    const t = await newToken(srv, boss.email);
    assert.equal((await me(tokenAuth(eve.email, t))).id, eve.id);
    assert.equal((await me(bearerAuth(t), { 'X-On-Behalf-Of': eve.email })).id, eve.id);
    await api.put(`/api/v2/users/${boss.id}.json`, { user: { suspended: true } }, { expect: 200 });
    await api.get('/api/v2/tickets.json', { auth: tokenAuth(eve.email, t), expect: 401 });
    await api.get('/api/v2/tickets.json', { auth: tokenAuth(boss.email, t), expect: 401 });
    await api.get('/api/v2/tickets.json', { auth: bearerAuth(t), headers: { 'X-On-Behalf-Of': eve.email }, expect: 401 });
  });

  test('a token revoked with the CLI is refused by the running server on the next request', async () => {
    const owner = await createUser(api, { name: 'Rev Oke', email: 'revoke@example.com', role: 'agent' });
    const t = await newToken(srv, owner.email);
    for (const auth of [tokenAuth(owner.email, t), bearerAuth(t)]) assert.equal((await me(auth)).id, owner.id);
    const listed = (await srv.run(['token', 'list', '--email', owner.email])).stdout.trim().split('\n');
    assert.equal(listed.length, 1, listed.join('\n'));
    const [id, created, state] = listed[0].split('\t');
    assert.match(created, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(state, 'active');
    // A ticket by id is a point request, answered on the I/O thread: it must be refused there too.
    const ticket = await createTicket(api, { subject: 'seen before the revocation' });
    for (const auth of [tokenAuth(owner.email, t), bearerAuth(t)])
      assert.notEqual((await api.get(`/api/v2/tickets/${ticket.id}.json`, { auth })).status, 401);
    await srv.run(['token', 'revoke', '--id', id]);
    for (const auth of [tokenAuth(owner.email, t), bearerAuth(t)]) {
      const res = await api.get(`/api/v2/tickets/${ticket.id}.json`, { auth, expect: 401 });
      assert.deepEqual(res.body, auth.startsWith('Bearer ') ? INVALID_TOKEN : UNAUTHENTICATED);
    }
    await api.get('/api/v2/tickets.json', { auth: tokenAuth(owner.email, t), expect: 401 });
    await api.get('/api/v2/tickets.json', { auth: bearerAuth(t), expect: 401 });
    assert.match((await srv.run(['token', 'list', '--email', owner.email])).stdout, /\trevoked \d{4}-/);
    // The admin's own token still works, and an unknown id is an error.
    await api.get('/api/v2/tickets.json', { expect: 200 });
    const bad = await srv.run(['token', 'revoke', '--id', '999999'], { check: false });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no API token 999999/);
  });

  test('one ticket by id answers alike on the I/O thread and off it: token, password, large body', async () => {
    // A ticket's show, create and update run on the I/O thread, unless the credential is a password
    // (Argon2id is slow on purpose) or the body is over 16 KiB: then on a database thread.
    const password = passwordAuth(srv.adminEmail, srv.adminPassword);
    const small = await createTicket(api, { subject: 'created with a password' }, { auth: password });
    const large = await createTicket(api, { subject: 'created with a large body', comment: { body: 'x'.repeat(20_000) } });
    assert.equal(small.requester_id, admin.id);
    for (const auth of [tokenAuth(srv.adminEmail, srv.token), password, bearerAuth(srv.token)]) {
      for (const t of [small, large]) {
        const shown = (await api.get(`/api/v2/tickets/${t.id}.json`, { auth, expect: 200 })).body.ticket;
        assert.equal(shown.subject, t.subject);
      }
    }
    await api.put(`/api/v2/tickets/${small.id}.json`, { ticket: { priority: 'high', comment: { body: 'y'.repeat(20_000), public: false } } }, { expect: 200 });
    await api.put(`/api/v2/tickets/${small.id}.json`, { ticket: { status: 'pending' } }, { auth: password, expect: 200 });
    const now = (await api.get(`/api/v2/tickets/${small.id}.json`, { expect: 200 })).body.ticket;
    assert.equal(now.priority, 'high');
    assert.equal(now.status, 'pending');
    const comments = (await api.get(`/api/v2/tickets/${small.id}/comments.json`, { expect: 200 })).body.comments;
    assert.equal(comments.at(-1).body.length, 20_000);
    for (const auth of [passwordAuth(srv.adminEmail, 'wrong password'), tokenAuth(srv.adminEmail, `${srv.token}x`)]) {
      const res = await api.get(`/api/v2/tickets/${small.id}.json`, { auth, expect: 401 });
      assert.deepEqual(res.body, UNAUTHENTICATED);
    }
  });

  describe('browser sessions', () => {
    /** POST /api/v2/session; returns {res, cookie (name=value), csrf}. */
    async function login(email, password) {
      const res = await api.post('/api/v2/session', { email, password }, { auth: 'none' });
      const setCookie = res.headers.get('set-cookie') ?? '';
      return { res, setCookie, cookie: setCookie.split(';')[0], csrf: res.body?.session?.csrf_token };
    }
    const withCookie = (cookie, csrf) => ({ auth: 'none', headers: { Cookie: cookie, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) } });

    test('login sets an HttpOnly SameSite cookie and returns the user and a CSRF token', async () => {
      const { res, setCookie, cookie, csrf } = await login(srv.adminEmail, srv.adminPassword);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.session.user.id, admin.id);
      assert.equal(typeof csrf, 'string');
      assert.ok(csrf.length >= 16);
      assert.match(cookie, /^rapport_session=[^;\s]{16,}$/);
      assert.match(setCookie, /;\s*HttpOnly/i);
      assert.match(setCookie, /;\s*SameSite=(Lax|Strict)/i);
      assert.match(setCookie, /;\s*Path=\//);
      assert.doesNotMatch(setCookie, new RegExp(csrf), 'the CSRF token is not the cookie');

      const current = await api.get('/api/v2/session', { ...withCookie(cookie), expect: 200 });
      assert.equal(current.body.session.user.id, admin.id);
      assert.equal(current.body.session.csrf_token, csrf);
      assert.equal((await api.get('/api/v2/users/me.json', { ...withCookie(cookie), expect: 200 })).body.user.id, admin.id);
    });

    test('a state-changing request needs the right X-CSRF-Token', async () => {
      const { cookie, csrf } = await login(srv.adminEmail, srv.adminPassword);
      const before = await ticketCount(api);
      const ticket = { ticket: { subject: 'from the browser', comment: { body: 'hi' } } };
      for (const bad of [undefined, 'wrong-token', `${csrf}x`]) {
        const res = await api.post('/api/v2/tickets.json', ticket, { ...withCookie(cookie, bad), expect: 403 });
        assert.equal(res.body.error, 'InvalidCsrfToken');
      }
      const t = await api.post('/api/v2/tickets.json', ticket, { ...withCookie(cookie), expect: 403 });
      assert.equal(t.body.error, 'InvalidCsrfToken');
      assert.equal(await ticketCount(api), before, 'nothing was created without the token');
      const created = await api.post('/api/v2/tickets.json', ticket, { ...withCookie(cookie, csrf), expect: 201 });
      assert.equal(created.body.ticket.requester_id, admin.id);
      await api.put(`/api/v2/tickets/${created.body.ticket.id}.json`, { ticket: { priority: 'low' } }, { ...withCookie(cookie), expect: 403 });
      await api.put(`/api/v2/tickets/${created.body.ticket.id}.json`, { ticket: { priority: 'low' } }, { ...withCookie(cookie, csrf), expect: 200 });
      // Another session's token does not fit this cookie.
      const other = await login(srv.adminEmail, srv.adminPassword);
      await api.post('/api/v2/tickets.json', ticket, { ...withCookie(cookie, other.csrf), expect: 403 });
    });

    test('logout needs the CSRF token, clears the cookie and ends the session', async () => {
      const { cookie, csrf } = await login(agent.email, 'agent password 1');
      await api.delete('/api/v2/session', { ...withCookie(cookie), expect: 403 });
      await api.get('/api/v2/session', { ...withCookie(cookie), expect: 200 });
      const out = await api.delete('/api/v2/session', { ...withCookie(cookie, csrf), expect: 204 });
      assert.match(out.headers.get('set-cookie') ?? '', /^rapport_session=;.*Max-Age=0/i);
      const after = await api.get('/api/v2/session', { ...withCookie(cookie), expect: 401 });
      assert.deepEqual(after.body, UNAUTHENTICATED);
      await api.get('/api/v2/tickets.json', { ...withCookie(cookie), expect: 401 });
      await api.get('/api/v2/session', { auth: 'none', expect: 401 });
      await api.get('/api/v2/tickets.json', { ...withCookie('rapport_session=forged-session-value'), expect: 401 });
    });

    test('bad logins: wrong password 401, malformed body 400, and the cookie is not set', async () => {
      const wrong = await login(srv.adminEmail, 'nope nope nope');
      assert.equal(wrong.res.status, 401);
      assert.deepEqual(wrong.res.body, UNAUTHENTICATED);
      assert.equal(wrong.setCookie, '');
      const noPw = await login(eve.email, '');
      assert.equal(noPw.res.status, 401);
      for (const body of ['{"email": "x"}', 'not json', '{"email": 1, "password": 2}']) {
        const res = await api.post('/api/v2/session', body, { auth: 'none', expect: 400 });
        assert.equal(res.body.error, 'InvalidValue');
        assert.equal(res.headers.get('set-cookie'), null);
      }
      checkInvariants('POST', '/api/v2/session', wrong.res);
    });
  });
});
