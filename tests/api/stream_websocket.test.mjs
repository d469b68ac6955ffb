// The live feedback stream over WebSocket (the transport the UI uses): the same events as the
// Server-Sent Events form, one JSON message each, with backfill, filters, agents kept to their
// own feedback, resumption after the last event seen, and the Origin check that keeps other
// sites from riding a signed-in browser's cookie.
//
// Runs with node's WebSocket client (undici, `--experimental-websocket`, set in CMake), which
// can send the Authorization or Cookie header a browser would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { feedbackKit } from '../lib/feedback.mjs';
import { startServer } from '../lib/server.mjs';

/** Opens a WebSocket to the stream; resolves once open, or with the failure when refused. */
function openWs(srv, query, headers) {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/v2/feedback/stream${query}`, { headers });
  const messages = [];
  const waiters = [];
  ws.addEventListener('message', (m) => {
    messages.push(JSON.parse(m.data));
    for (const w of [...waiters]) w();
  });
  const opened = new Promise((resolve) => {
    ws.addEventListener('open', () => resolve({ open: true }));
    ws.addEventListener('error', () => resolve({ open: false }));
    ws.addEventListener('close', () => resolve({ open: false }));
  });
  /** Waits (bounded) for a message matching `pred`. */
  const waitFor = (pred, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = messages.find(pred);
        if (!hit) return false;
        waiters.splice(waiters.indexOf(check), 1);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.id))}`));
      }, timeoutMs);
      waiters.push(check);
      check();
    });
  return { ws, messages, opened, waitFor, close: () => ws.close() };
}

describe('feedback stream over WebSocket', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let fb;
  let amy;
  let bob;
  const open = [];

  before(async () => {
    srv = await startServer();
    api = client(srv);
    fb = feedbackKit(srv, api);
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    bob = await createUser(api, { name: 'Bob Builder', email: 'bob@example.com', role: 'agent', ticket_restriction: null });
  });
  after(async () => {
    for (const s of open) s.close();
    await stopClean(srv);
  });

  const ws = async (query, headers = { Authorization: srv.basicAuth }) => {
    const s = openWs(srv, query, headers);
    open.push(s);
    return s;
  };
  const rate = (agent, stars, answer = {}) => fb.rated({ agent, subject: `${stars} stars for ${agent.name}` }, { stars, ...answer });

  test('each new rating arrives as one message {id, event, data}, with the backfill first', async () => {
    const earlier = await rate(amy, 4, { comment: 'Quick and kind' });
    const s = await ws('?backfill=5');
    assert.deepEqual(await s.opened, { open: true });
    const back = await s.waitFor((m) => m.data.id === earlier.rating.id);
    assert.equal(back.event, 'rating');
    assert.equal(back.data.comment, 'Quick and kind');
    assert.equal(back.data.agent_name, 'Amy Agent');
    const live = await rate(bob, 2, { comment: 'Slow' });
    const msg = await s.waitFor((m) => m.data.id === live.rating.id);
    assert.equal(msg.event, 'rating');
    assert.equal(msg.data.stars, 2);
    assert.equal(msg.data.score, 'bad');
    assert.ok(msg.id > back.id, 'event ids grow');
  });

  test('filters apply, and an agent only ever receives their own feedback', async () => {
    const onlyBad = await ws('?backfill=0&score=bad');
    const asAmy = await ws('?backfill=0', { Authorization: tokenAuth(amy.email, srv.token) });
    await Promise.all([onlyBad.opened, asAmy.opened]);
    await rate(amy, 5);
    const bobBad = await rate(bob, 1);
    const amyBad = await rate(amy, 1);
    await onlyBad.waitFor((m) => m.data.id === amyBad.rating.id);
    assert.deepEqual(
      onlyBad.messages.map((m) => m.data.score),
      ['bad', 'bad'],
      'the good rating was filtered out; both bad ones came, in order',
    );
    assert.equal(onlyBad.messages[0].data.id, bobBad.rating.id);
    await asAmy.waitFor((m) => m.data.id === amyBad.rating.id);
    assert.ok(asAmy.messages.every((m) => m.data.agent_id === amy.id), 'nothing of Bob reaches Amy');
    assert.equal(asAmy.messages.length, 2);
  });

  test('reconnecting with last_event_id resumes exactly after the last message seen', async () => {
    const first = await ws('?backfill=0');
    await first.opened;
    const a = await rate(amy, 3);
    const seen = await first.waitFor((m) => m.data.id === a.rating.id);
    first.close();
    const missed1 = await rate(bob, 4);
    const missed2 = await rate(amy, 5);
    const again = await ws(`?last_event_id=${seen.id}`);
    const last = await again.waitFor((m) => m.data.id === missed2.rating.id);
    assert.deepEqual(
      again.messages.map((m) => m.data.id),
      [missed1.rating.id, missed2.rating.id],
      'the two missed ratings, nothing before them, nothing twice',
    );
    assert.ok(last.id > seen.id);
  });

  test('a cookie session must come from our own pages: a foreign Origin is refused', async () => {
    const login = await api.post('/api/v2/session', { email: srv.adminEmail, password: srv.adminPassword }, { auth: 'none', expect: 200 });
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const foreign = await ws('?backfill=0', { Cookie: cookie, Origin: 'http://evil.example' });
    assert.deepEqual(await foreign.opened, { open: false }, 'cross-site WebSocket hijacking is refused');
    const noOrigin = await ws('?backfill=0', { Cookie: cookie });
    assert.deepEqual(await noOrigin.opened, { open: false }, 'a cookie without an Origin is refused too');
    const own = await ws('?backfill=0', { Cookie: cookie, Origin: `http://127.0.0.1:${srv.port}` });
    assert.deepEqual(await own.opened, { open: true });
    const r = await rate(amy, 5);
    await own.waitFor((m) => m.data.id === r.rating.id);
  });

  test('without credentials, or as an end user, the upgrade is refused', async () => {
    const anon = await ws('?backfill=0', {});
    assert.deepEqual(await anon.opened, { open: false });
    const eve = await createUser(api, { name: 'Eve End', email: 'eve-ws@example.com' });
    const asEve = await ws('?backfill=0', { Authorization: tokenAuth(eve.email, srv.token) });
    assert.deepEqual(await asEve.opened, { open: false });
    // The same request without the upgrade says why.
    const res = await fetch(`${srv.baseUrl}/api/v2/feedback/stream`, { headers: { Authorization: tokenAuth(eve.email, srv.token) } });
    assert.equal(res.status, 403);
  });
});
