// Collision detection as two agents, a restricted agent and a customer see it: heartbeats put an
// agent on a ticket as viewing or replying, the others' list and the live stream show it, leaving
// or falling silent for the TTL takes them off, and only agents who may see the ticket take part.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createTicket, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { openStream } from '../lib/feedback.mjs';
import { startServer } from '../lib/server.mjs';

describe('ticket presence', { timeout: 90_000 }, () => {
  let srv;
  let api;
  let as;
  let ana;
  let ben;
  let ticket;

  before(async () => {
    // A short TTL so the test sees an agent who stopped beating drop off without waiting 30 s.
    srv = await startServer({ env: { RAPPORT_PRESENCE_TTL_SECONDS: '2' } });
    api = client(srv);
    ana = await createUser(api, { name: 'Ana Agent', email: 'ana@example.com', role: 'agent', ticket_restriction: null });
    ben = await createUser(api, { name: 'Ben Agent', email: 'ben@example.com', role: 'agent', ticket_restriction: null });
    const rita = await createUser(api, { name: 'Rita Restricted', email: 'rita@example.com', role: 'agent', ticket_restriction: 'assigned' });
    const cy = await createUser(api, { name: 'Cy Customer', email: 'cy@example.com' });
    as = Object.fromEntries(Object.entries({ ana, ben, rita, cy }).map(([k, u]) => [k, api.as(tokenAuth(u.email, srv.token))]));
    ticket = await createTicket(api, { subject: 'Double refund?', requester_id: cy.id });
  });
  after(async () => {
    await stopClean(srv);
  });

  const path = () => `/api/v2/tickets/${ticket.id}/presence.json`;
  const beat = async (who, state) => (await who.post(path(), { state }, { expect: 200 })).body.presence;
  const names = (list) => list.map((p) => `${p.name}:${p.state}`);

  test('each agent sees the others, not themself, with name and state', async () => {
    assert.deepEqual(await beat(as.ana, 'viewing'), []);
    assert.deepEqual(names(await beat(as.ben, 'replying')), ['Ana Agent:viewing']);
    const seen = (await as.ana.get(path(), { expect: 200 })).body.presence;
    assert.deepEqual(names(seen), ['Ben Agent:replying']);
    assert.equal(seen[0].user_id, ben.id);
    assert.ok(Date.parse(seen[0].since) > 0);
    // Zendesk-style wrapping works too; a bad state names the field.
    await as.ana.post(path(), { presence: { state: 'viewing' } }, { expect: 200 });
    const bad = await as.ana.post(path(), { state: 'typing' }, { expect: 422 });
    assert.match(bad.body.details.state[0].description, /viewing or replying/);
    await as.ana.post(path(), { mood: 'happy' }, { expect: 400 });
  });

  test('only agents who may see the ticket: others get 404, customers 403', async () => {
    assert.deepEqual((await as.rita.post(path(), { state: 'viewing' }, { expect: 404 })).body, NOT_FOUND);
    await as.rita.get(path(), { expect: 404 });
    assert.deepEqual((await as.cy.get(path(), { expect: 403 })).body, FORBIDDEN);
    await api.get(`/api/v2/tickets/999999/presence.json`, { expect: 404 });
  });

  test('changes arrive live: replying, leaving, and silence past the TTL', async () => {
    await beat(as.ben, 'replying');
    const stream = await openStream(srv, '', { path: `/api/v2/tickets/${ticket.id}/presence/stream`, auth: tokenAuth(ana.email, srv.token) });
    assert.equal(stream.status, 200);
    try {
      await stream.waitFor((e) => e.event === 'presence' && names(e.data.presence).includes('Ben Agent:replying'), {
        message: 'the snapshot shows Ben replying',
      });
      await as.ben.delete(path(), { expect: 204 });
      await stream.waitFor((e) => e.event === 'presence' && e.data.presence.length === 0, { message: 'Ben left' });
      await beat(as.ben, 'viewing');
      await stream.waitFor((e) => e.event === 'presence' && names(e.data.presence).includes('Ben Agent:viewing'), {
        message: 'Ben is back, viewing',
      });
      // Ben stops sending heartbeats: within the TTL (2 s) plus a sweep he is gone.
      const before = stream.events.length;
      await stream.waitFor((e) => stream.events.indexOf(e) >= before && e.data.presence.length === 0, {
        timeoutMs: 10_000,
        message: 'Ben expired',
      });
      assert.deepEqual((await as.ana.get(path(), { expect: 200 })).body.presence, []);
    } finally {
      await stream.close();
    }
    const denied = await openStream(srv, '', { path: `/api/v2/tickets/${ticket.id}/presence/stream`, auth: tokenAuth('rita@example.com', srv.token) });
    assert.equal(denied.status, 404);
  });

  test('Ana, still beating, stays while Ben expires', async () => {
    await beat(as.ana, 'viewing');
    await beat(as.ben, 'viewing');
    // Ana keeps beating every 500 ms; Ben does not. Poll until Ben is gone from Ana's list.
    const deadline = Date.now() + 10_000;
    let list;
    for (;;) {
      await beat(as.ana, 'viewing');
      list = (await as.ben.get(path(), { expect: 200 })).body.presence;
      const anaList = (await as.ana.get(path(), { expect: 200 })).body.presence;
      if (anaList.length === 0) break;
      assert.ok(Date.now() < deadline, 'Ben never expired');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(names(list), ['Ana Agent:viewing'], 'Ana, who kept beating, is still there');
  });
});
