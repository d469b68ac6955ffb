// Who sees what: end users see only their own tickets, group-restricted agents see their groups'
// tickets (plus unrouted and their own), admins see everything. Hidden tickets are 404, not 403.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createTicket, createUser, newToken, ticketCount, tokenAuth, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const sortIds = (xs) => xs.map((x) => x.id).sort((a, b) => a - b);

describe('permissions', () => {
  let srv;
  let api;
  let g1;
  let g2;
  let agent; // member of g1, default restriction "groups"
  let freeAgent; // ticket_restriction null: sees all
  let eve;
  let mallory;
  let t; // tickets by name

  before(async () => {
    srv = await startServer();
    api = client(srv);
    g1 = (await api.post('/api/v2/groups.json', { group: { name: 'Billing' } }, { expect: 201 })).body.group;
    g2 = (await api.post('/api/v2/groups.json', { group: { name: 'Hardware' } }, { expect: 201 })).body.group;
    agent = await createUser(api, { name: 'Gina Grouped', email: 'gina@example.com', role: 'agent', group_ids: [g1.id] });
    freeAgent = await createUser(api, { name: 'Fred Free', email: 'fred@example.com', role: 'agent', ticket_restriction: null });
    eve = await createUser(api, { name: 'Eve', email: 'eve@example.com' });
    mallory = await createUser(api, { name: 'Mallory', email: 'mallory@example.com' });
    t = {
      g1: await createTicket(api, { subject: 'in billing', group_id: g1.id, requester_id: eve.id }),
      g2: await createTicket(api, { subject: 'in hardware', group_id: g2.id, requester_id: mallory.id }),
      unrouted: await createTicket(api, { subject: 'no group yet', requester_id: mallory.id }),
      g2Assigned: await createTicket(api, { subject: 'hardware, assigned to gina', group_id: g2.id, assignee_id: agent.id }),
      g2Requested: await createTicket(api, { subject: 'hardware, asked by gina', group_id: g2.id, requester_id: agent.id }),
      eveG2: await createTicket(api, { subject: 'eve in hardware', group_id: g2.id, requester_id: eve.id }),
    };
  });
  after(() => stopClean(srv));

  test('the agent defaults to group restriction', () => {
    assert.equal(agent.ticket_restriction, 'groups');
    assert.deepEqual(agent.group_ids, [g1.id]);
    assert.equal(freeAgent.ticket_restriction, null);
  });

  test('an end user sees only their own tickets; others are 404, not 403', async () => {
    const asEve = api.as(tokenAuth(eve.email, srv.token));
    const list = (await asEve.get('/api/v2/tickets.json', { expect: 200 })).body;
    assert.deepEqual(sortIds(list.tickets), sortIds([t.g1, t.eveG2]));
    assert.equal(list.count, 2);
    const cursor = (await asEve.get('/api/v2/tickets.json?page[size]=100', { expect: 200 })).body;
    assert.deepEqual(sortIds(cursor.tickets), sortIds([t.g1, t.eveG2]));
    await asEve.get(`/api/v2/tickets/${t.g1.id}.json`, { expect: 200 });
    for (const other of [t.g2, t.unrouted, t.g2Assigned]) {
      assert.deepEqual((await asEve.get(`/api/v2/tickets/${other.id}.json`, { expect: 404 })).body, NOT_FOUND);
      await asEve.get(`/api/v2/tickets/${other.id}/comments.json`, { expect: 404 });
      await asEve.put(`/api/v2/tickets/${other.id}.json`, { ticket: { comment: { body: 'hi' } } }, { expect: 404 });
    }
    const many = (await asEve.get(`/api/v2/tickets/show_many.json?ids=${t.g1.id},${t.g2.id}`, { expect: 200 })).body;
    assert.deepEqual(sortIds(many.tickets), [t.g1.id]);
    for (const p of [`/api/v2/users/${mallory.id}/tickets/requested.json`, `/api/v2/users/${agent.id}/tickets/assigned.json`]) {
      const res = await asEve.get(p);
      assert.ok([200, 403, 404].includes(res.status), `${p}: ${res.status}`);
      assert.deepEqual(res.body.tickets ?? [], [], `${p} reveals another user's tickets`);
    }
    const search = (await asEve.get('/api/v2/search.json?query=type%3Aticket', { expect: 200 })).body;
    assert.deepEqual(sortIds(search.results), sortIds([t.g1, t.eveG2]));
    // Nothing of Mallory's changed.
    assert.equal((await api.get(`/api/v2/tickets/${t.g2.id}/comments.json`, { expect: 200 })).body.count, 1);
  });

  test('an end user cannot list users, read audits, delete, or set staff-only fields', async () => {
    const asEve = api.as(tokenAuth(eve.email, srv.token));
    assert.deepEqual((await asEve.get('/api/v2/users.json', { expect: 403 })).body, FORBIDDEN);
    await asEve.get(`/api/v2/tickets/${t.g1.id}/audits.json`, { expect: 403 });
    await asEve.delete(`/api/v2/tickets/${t.g1.id}.json`, { expect: 403 });
    await api.get(`/api/v2/tickets/${t.g1.id}.json`, { expect: 200 });
    const before = await ticketCount(api);
    await asEve.post('/api/v2/tickets/create_many.json', { tickets: [{ comment: { body: 'x' } }] }, { expect: 403 });
    await asEve.post('/api/v2/tickets.json', { ticket: { comment: { body: 'x' }, assignee_id: agent.id } }, { expect: 403 });
    await asEve.put(`/api/v2/tickets/${t.g1.id}.json`, { ticket: { status: 'solved' } }, { expect: 403 });
    assert.equal(await ticketCount(api), before);
    assert.equal((await api.get(`/api/v2/tickets/${t.g1.id}.json`, { expect: 200 })).body.ticket.status, 'new');
    // Their own plain ticket is fine, and it is theirs.
    const mine = await createTicket(asEve, { subject: 'eve writes in', comment: { body: 'help' } });
    assert.equal(mine.requester_id, eve.id);
  });

  test('a group-restricted agent sees their groups, unrouted tickets and their own; the rest is 404', async () => {
    const asGina = api.as(tokenAuth(agent.email, srv.token));
    const visible = [t.g1, t.unrouted, t.g2Assigned, t.g2Requested];
    const list = (await asGina.get('/api/v2/tickets.json?per_page=100', { expect: 200 })).body;
    const listed = list.tickets.map((x) => x.id);
    for (const v of visible) assert.ok(listed.includes(v.id), `agent should see ${v.subject}`);
    for (const h of [t.g2, t.eveG2]) {
      assert.ok(!listed.includes(h.id), `agent should not see ${h.subject}`);
      assert.deepEqual((await asGina.get(`/api/v2/tickets/${h.id}.json`, { expect: 404 })).body, NOT_FOUND);
      await asGina.put(`/api/v2/tickets/${h.id}.json`, { ticket: { status: 'open' } }, { expect: 404 });
      await asGina.delete(`/api/v2/tickets/${h.id}.json`, { expect: 404 });
    }
    for (const v of visible) await asGina.get(`/api/v2/tickets/${v.id}.json`, { expect: 200 });
    const search = (await asGina.get('/api/v2/search.json?query=type%3Aticket%20hardware', { expect: 200 })).body;
    assert.deepEqual(sortIds(search.results), sortIds([t.g2Assigned, t.g2Requested]));
    assert.equal((await api.get(`/api/v2/tickets/${t.g2.id}.json`, { expect: 200 })).body.ticket.status, 'new');
  });

  test("the agent's own token works for them but cannot act as anyone else", async () => {
    const token = await newToken(srv, agent.email);
    const own = client(srv, { auth: tokenAuth(agent.email, token) });
    assert.equal((await own.get('/api/v2/users/me.json', { expect: 200 })).body.user.id, agent.id);
    await own.get(`/api/v2/tickets/${t.g2.id}.json`, { expect: 404 });
    const res = await own.get('/api/v2/tickets.json', { auth: tokenAuth(eve.email, token), expect: 401 });
    assert.equal(res.body.error, "Couldn't authenticate you");
    await own.get('/api/v2/tickets.json', { auth: tokenAuth(srv.adminEmail, token), expect: 401 });
  });

  test('an unrestricted agent and the admin see every ticket', async () => {
    const all = Object.values(t);
    for (const who of [srv.adminEmail, freeAgent.email]) {
      const as = api.as(tokenAuth(who, srv.token));
      const listed = (await as.get('/api/v2/tickets.json?per_page=100', { expect: 200 })).body.tickets.map((x) => x.id);
      for (const x of all) assert.ok(listed.includes(x.id), `${who} should see ${x.subject}`);
      for (const x of all) await as.get(`/api/v2/tickets/${x.id}.json`, { expect: 200 });
    }
  });

  test('moving a ticket into the agent\'s group makes it visible to them', async () => {
    const asGina = api.as(tokenAuth(agent.email, srv.token));
    const x = await createTicket(api, { subject: 'moving', group_id: g2.id, requester_id: mallory.id });
    await asGina.get(`/api/v2/tickets/${x.id}.json`, { expect: 404 });
    await api.put(`/api/v2/tickets/${x.id}.json`, { ticket: { group_id: g1.id } }, { expect: 200 });
    await asGina.get(`/api/v2/tickets/${x.id}.json`, { expect: 200 });
  });
});
