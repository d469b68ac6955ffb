// Users: list with role filters, create, duplicates, show, update, search, me, show_many.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createUser, follow, stopClean, tokenAuth, userCount } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

describe('users', () => {
  let srv;
  let api;
  let admin;
  let agent;
  let customer;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    admin = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
    agent = await createUser(api, { name: 'Andy Agent', email: 'andy@example.com', role: 'agent' });
    customer = await createUser(api, {
      name: 'Cora Customer',
      email: 'Cora@Example.com',
      external_id: 'crm-cora',
      tags: ['VIP'],
    });
  });
  after(() => stopClean(srv));

  test('create returns 201 with Location and the user; the role defaults to end-user', async () => {
    const res = await api.post(
      '/api/v2/users.json',
      { user: { name: 'New Person', email: 'new.person@example.com', phone: '+1 555 0100', verified: true } },
      { expect: 201 },
    );
    const u = res.body.user;
    assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/users/${u.id}.json`);
    assert.equal(u.url, `${srv.baseUrl}/api/v2/users/${u.id}.json`);
    assert.equal(u.name, 'New Person');
    assert.equal(u.email, 'new.person@example.com');
    assert.equal(u.role, 'end-user');
    assert.equal(u.verified, true);
    assert.equal(u.active, true);
    assert.equal(u.suspended, false);
    assert.equal(u.phone, '+1 555 0100');
    assert.deepEqual(customer.tags, ['vip']);
    assert.equal(agent.role, 'agent');
  });

  test('a duplicate email (any case) gives 422 DuplicateValue on details.email and creates nothing', async () => {
    const before = await userCount(api);
    const res = await api.post('/api/v2/users.json', { user: { name: 'Copy', email: 'cora@example.COM' } }, { expect: 422 });
    assert.equal(res.body.error, 'RecordInvalid');
    assert.equal(res.body.description, 'Record validation errors');
    assert.equal(res.body.details.email.length, 1);
    assert.equal(res.body.details.email[0].error, 'DuplicateValue');
    assert.match(res.body.details.email[0].description, /^Email: cora@example\.COM is already being used by another user$/);
    assert.equal(await userCount(api), before);
  });

  test('a user without a name, or with a malformed email, is 422 on that field', async () => {
    const before = await userCount(api);
    const noName = await api.post('/api/v2/users.json', { user: { email: 'nameless@example.com' } }, { expect: 422 });
    assert.equal(noName.body.details.name[0].error, 'BlankValue');
    const badEmail = await api.post('/api/v2/users.json', { user: { name: 'X', email: 'not-an-email' } }, { expect: 422 });
    assert.equal(badEmail.body.details.email[0].error, 'InvalidValue');
    assert.equal(await userCount(api), before);
  });

  test('list filters with role= and role[]=', async () => {
    const all = (await api.get('/api/v2/users.json', { expect: 200 })).body;
    assert.ok(all.count >= 3);
    const agents = (await api.get('/api/v2/users.json?role=agent', { expect: 200 })).body;
    assert.deepEqual(agents.users.map((u) => u.id), [agent.id]);
    const staff = (await api.get('/api/v2/users.json?role[]=agent&role[]=admin', { expect: 200 })).body;
    assert.deepEqual(staff.users.map((u) => u.id).sort((a, b) => a - b), [admin.id, agent.id].sort((a, b) => a - b));
    const enc = (await api.get('/api/v2/users.json?role%5B%5D=admin', { expect: 200 })).body;
    assert.deepEqual(enc.users.map((u) => u.id), [admin.id]);
    const ends = (await api.get('/api/v2/users.json?role=end-user', { expect: 200 })).body;
    assert.ok(ends.users.length >= 1);
    assert.ok(ends.users.every((u) => u.role === 'end-user'));
    assert.equal(ends.count, all.count - 2);
    // Cursor links carry the role filter.
    const p1 = (await api.get('/api/v2/users.json?role[]=end-user&page[size]=1', { expect: 200 })).body;
    assert.equal(new URL(p1.links.next).searchParams.get('role[]'), 'end-user');
    const p2 = (await follow(srv, p1.links.next)).body;
    assert.ok(p2.users.length === 1 && p2.users[0].role === 'end-user', JSON.stringify(p2.users));
    assert.ok(p2.users[0].id > p1.users[0].id);
    const bad = await api.get('/api/v2/users.json?role=overlord', { expect: 400 });
    assert.equal(bad.body.error, 'InvalidValue');
  });

  test('show returns the user; unknown ids are 404', async () => {
    const u = (await api.get(`/api/v2/users/${customer.id}.json`, { expect: 200 })).body.user;
    assert.equal(u.id, customer.id);
    assert.equal(u.email, 'Cora@Example.com');
    assert.equal(u.external_id, 'crm-cora');
    assert.deepEqual((await api.get('/api/v2/users/424242.json', { expect: 404 })).body, NOT_FOUND);
  });

  test('update changes the fields given and keeps the rest; a taken email is 422', async () => {
    const target = await createUser(api, { name: 'Up Date', email: 'update-me@example.com', notes: 'keep' });
    const res = await api.put(`/api/v2/users/${target.id}.json`, { user: { name: 'Updated Name', phone: '123' } }, { expect: 200 });
    assert.equal(res.body.user.name, 'Updated Name');
    assert.equal(res.body.user.phone, '123');
    assert.equal(res.body.user.notes, 'keep');
    assert.equal(res.body.user.email, 'update-me@example.com');
    const shown = (await api.get(`/api/v2/users/${target.id}.json`, { expect: 200 })).body.user;
    assert.equal(shown.name, 'Updated Name');

    const dup = await api.put(`/api/v2/users/${target.id}.json`, { user: { email: 'andy@example.com' } }, { expect: 422 });
    assert.equal(dup.body.details.email[0].error, 'DuplicateValue');
    const unchanged = (await api.get(`/api/v2/users/${target.id}.json`, { expect: 200 })).body.user;
    assert.equal(unchanged.email, 'update-me@example.com');
    await api.put('/api/v2/users/424242.json', { user: { name: 'ghost' } }, { expect: 404 });
  });

  test('search by query (name or email) and by external_id, in the offset envelope', async () => {
    const byName = (await api.get('/api/v2/users/search.json?query=cora', { expect: 200 })).body;
    assert.deepEqual(byName.users.map((u) => u.id), [customer.id]);
    assert.equal(byName.count, 1);
    assert.equal(byName.next_page, null);
    assert.equal(byName.previous_page, null);
    const byEmail = (await api.get('/api/v2/users/search.json?query=andy%40example.com', { expect: 200 })).body;
    assert.deepEqual(byEmail.users.map((u) => u.id), [agent.id]);
    const byExt = (await api.get('/api/v2/users/search.json?external_id=crm-cora', { expect: 200 })).body;
    assert.deepEqual(byExt.users.map((u) => u.id), [customer.id]);
    const none = (await api.get('/api/v2/users/search.json?query=zzzz-nobody', { expect: 200 })).body;
    assert.deepEqual(none.users, []);
    assert.equal(none.count, 0);
    const wildcard = (await api.get('/api/v2/users/search.json?query=%25', { expect: 200 })).body;
    assert.equal(wildcard.count, 0, '% is text, not a wildcard');
    await api.get('/api/v2/users/search.json', { expect: 400 });
  });

  test('me returns the caller; without valid credentials it is the anonymous user with id null', async () => {
    const me = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
    assert.equal(me.id, admin.id);
    assert.equal(me.email, srv.adminEmail);
    assert.equal(me.role, 'admin');
    const asCustomer = (await api.get('/api/v2/users/me', { auth: tokenAuth(customer.email, srv.token), expect: 200 })).body.user;
    assert.equal(asCustomer.id, customer.id);
    for (const auth of ['none', tokenAuth(srv.adminEmail, 'wrong-token')]) {
      const anon = await api.get('/api/v2/users/me.json', { auth, expect: 200 });
      assert.equal(anon.body.user.id, null);
      assert.equal(anon.body.user.role, 'end-user');
    }
  });

  test('show_many returns the users asked for', async () => {
    const res = (await api.get(`/api/v2/users/show_many.json?ids=${customer.id},${agent.id},99999`, { expect: 200 })).body;
    assert.deepEqual(res.users.map((u) => u.id).sort((a, b) => a - b), [agent.id, customer.id].sort((a, b) => a - b));
    await api.get('/api/v2/users/show_many.json?ids=', { expect: 400 });
  });

  test('an end user cannot list, search or create users (403) but can see themselves', async () => {
    const asCustomer = api.as(tokenAuth(customer.email, srv.token));
    for (const p of ['/api/v2/users.json', '/api/v2/users/search.json?query=a', `/api/v2/users/show_many.json?ids=${agent.id}`]) {
      assert.deepEqual((await asCustomer.get(p, { expect: 403 })).body, FORBIDDEN, p);
    }
    assert.deepEqual((await asCustomer.get(`/api/v2/users/${agent.id}.json`, { expect: 403 })).body, FORBIDDEN);
    await asCustomer.get(`/api/v2/users/${customer.id}.json`, { expect: 200 });
    const before = await userCount(api);
    await asCustomer.post('/api/v2/users.json', { user: { name: 'Sneaky', email: 'sneaky@example.com' } }, { expect: 403 });
    assert.equal(await userCount(api), before);
    // Their own profile, yes; their role, no.
    await asCustomer.put(`/api/v2/users/${customer.id}.json`, { user: { phone: '999' } }, { expect: 200 });
    await asCustomer.put(`/api/v2/users/${customer.id}.json`, { user: { role: 'admin' } }, { expect: 403 });
    assert.equal((await api.get(`/api/v2/users/${customer.id}.json`, { expect: 200 })).body.user.role, 'end-user');
  });

  test('an agent can create end users but not agents or admins', async () => {
    const asAgent = api.as(tokenAuth(agent.email, srv.token));
    const eu = await createUser(asAgent, { name: 'Agent Made', email: 'agent-made@example.com' });
    assert.equal(eu.role, 'end-user');
    const before = await userCount(api);
    for (const role of ['admin', 'agent']) {
      const res = await asAgent.post(
        '/api/v2/users.json',
        { user: { name: `Would-be ${role}`, email: `wannabe-${role}@example.com`, role } },
        { expect: 422 },
      );
      assert.equal(res.body.error, 'RecordInvalid');
      assert.equal(res.body.details.role[0].error, 'InvalidValue');
    }
    assert.equal(await userCount(api), before);
    // Nor promote anyone.
    await asAgent.put(`/api/v2/users/${eu.id}.json`, { user: { role: 'admin' } }, { expect: 403 });
    await asAgent.put(`/api/v2/users/${admin.id}.json`, { user: { name: 'pwned' } }, { expect: 403 });
    assert.equal((await api.get(`/api/v2/users/${admin.id}.json`, { expect: 200 })).body.user.name, srv.adminName);
  });
});
