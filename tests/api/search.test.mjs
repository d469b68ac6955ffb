// Search: the documented query syntax, form encoding, result types, count and export.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createTicket, createUser, follow, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

/** Encodes a query the way a browser form does: %-escapes and `+` for spaces. */
const form = (q) => encodeURIComponent(q).replace(/%20/g, '+');

describe('search', () => {
  let srv;
  let api;
  let admin;
  let alice;
  let T; // fixtures by letter

  /** Runs a search and returns the ids of the results, sorted. */
  async function ids(query, extra = '') {
    const res = await api.get(`/api/v2/search.json?query=${form(query)}${extra}`, { expect: 200 });
    return res.body.results.map((r) => r.id).sort((a, b) => a - b);
  }
  const idsOf = (...xs) => xs.map((x) => x.id).sort((a, b) => a - b);

  before(async () => {
    srv = await startServer();
    api = client(srv);
    admin = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
    alice = await createUser(api, { name: 'Alice Liddell', email: 'alice@example.com' });
    const bob = await createUser(api, { name: 'Bob Builder', email: 'bob@example.com' });
    T = {
      A: await createTicket(api, {
        subject: 'Refund for order 1234',
        requester_id: alice.id,
        priority: 'high',
        type: 'question',
        tags: ['billing', 'refund'],
      }),
      B: await createTicket(api, {
        subject: 'Printer jam',
        requester_id: bob.id,
        assignee_id: admin.id,
        priority: 'low',
        type: 'incident',
        tags: ['hardware'],
      }),
      C: await createTicket(api, {
        subject: 'Login trouble',
        comment: { body: 'I cannot reset my password' },
        assignee_id: admin.id,
        status: 'pending',
        priority: 'urgent',
        tags: ['account'],
      }),
      D: await createTicket(api, {
        subject: 'Refund request, older',
        requester_id: alice.id,
        assignee_id: admin.id,
        status: 'solved',
        priority: 'normal',
        tags: ['billing'],
      }),
      E: await createTicket(api, {
        subject: 'Closed billing issue',
        requester_id: bob.id,
        assignee_id: admin.id,
        status: 'closed',
        tags: ['billing', 'archived'],
      }),
    };
    // A deleted ticket never shows up.
    const gone = await createTicket(api, { subject: 'Refund deleted', tags: ['billing'] });
    await api.delete(`/api/v2/tickets/${gone.id}.json`, { expect: 204 });
    await api.post('/api/v2/organizations.json', { organization: { name: 'Refund Partners' } }, { expect: 201 });
  });
  after(() => stopClean(srv));

  test('the envelope: results with result_type, facets null, count, offset links', async () => {
    const res = (await api.get(`/api/v2/search.json?query=${form('type:ticket')}&per_page=2`, { expect: 200 })).body;
    assert.equal(res.count, 5);
    assert.equal(res.results.length, 2);
    assert.ok(res.results.every((r) => r.result_type === 'ticket' && r.url.endsWith(`/api/v2/tickets/${r.id}.json`)));
    assert.equal(res.facets, null);
    assert.equal(res.previous_page, null);
    const next = new URL(res.next_page);
    assert.equal(`${next.origin}${next.pathname}`, `${srv.baseUrl}/api/v2/search.json`);
    assert.equal(next.searchParams.get('query'), 'type:ticket');
    assert.equal(next.searchParams.get('page'), '2');
    const p2 = (await follow(srv, res.next_page)).body;
    const p3 = (await follow(srv, p2.next_page)).body;
    assert.equal(p3.next_page, null);
    const seen = [...res.results, ...p2.results, ...p3.results].map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(seen, idsOf(...Object.values(T)));
  });

  test('type:, status:, status< and status>', async () => {
    assert.deepEqual(await ids('type:ticket status:open'), idsOf(T.B));
    assert.deepEqual(await ids('type:ticket status<solved'), idsOf(T.A, T.B, T.C));
    assert.deepEqual(await ids('type:ticket status>pending'), idsOf(T.D, T.E));
    assert.deepEqual(await ids('status:new'), idsOf(T.A));
  });

  test('priority:, ticket_type:, tags: and -tags:', async () => {
    assert.deepEqual(await ids('priority:urgent'), idsOf(T.C));
    assert.deepEqual(await ids('priority>normal'), idsOf(T.A, T.C));
    assert.deepEqual(await ids('ticket_type:incident'), idsOf(T.B));
    assert.deepEqual(await ids('tags:billing'), idsOf(T.A, T.D, T.E));
    assert.deepEqual(await ids('tags:billing -tags:archived'), idsOf(T.A, T.D));
    assert.deepEqual(await ids('type:ticket -tags:billing'), idsOf(T.B, T.C));
  });

  test('requester: and assignee: with me, an email, an id or none', async () => {
    assert.deepEqual(await ids('requester:me'), idsOf(T.C));
    assert.deepEqual(await ids('requester:alice@example.com'), idsOf(T.A, T.D));
    assert.deepEqual(await ids('requester:ALICE@example.com'), idsOf(T.A, T.D));
    assert.deepEqual(await ids(`requester:${alice.id}`), idsOf(T.A, T.D));
    assert.deepEqual(await ids('requester:none'), []);
    assert.deepEqual(await ids('assignee:none'), idsOf(T.A));
    assert.deepEqual(await ids('assignee:me status:solved'), idsOf(T.D));
  });

  test('created> and created< with dates', async () => {
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(await ids('type:ticket created>2000-01-01'), idsOf(...Object.values(T)));
    assert.deepEqual(await ids('type:ticket created<2000-01-01'), []);
    assert.deepEqual(await ids('type:ticket created>2999-01-01'), []);
    assert.deepEqual(await ids(`type:ticket created:${today}`), idsOf(...Object.values(T)));
    const bad = await api.get(`/api/v2/search.json?query=${form('created>yesterdayish')}`, { expect: 400 });
    assert.equal(bad.body.error, 'invalid');
  });

  test('free text, prefixes and quoted phrases (subject and comments)', async () => {
    assert.deepEqual(await ids('type:ticket refund'), idsOf(T.A, T.D));
    assert.deepEqual(await ids('type:ticket printer'), idsOf(T.B));
    assert.deepEqual(await ids('type:ticket password'), idsOf(T.C));
    assert.deepEqual(await ids('type:ticket "order 1234"'), idsOf(T.A));
    assert.deepEqual(await ids('type:ticket "1234 order"'), []);
    assert.deepEqual(await ids('type:ticket refund tags:billing -older'), idsOf(T.A));
  });

  test('form encoding: + is a space, %2B is a plus', async () => {
    const plus = (await api.get('/api/v2/search.json?query=type%3Aticket+status%3Aopen', { expect: 200 })).body;
    assert.deepEqual(plus.results.map((r) => r.id), [T.B.id]);
    const pct = (await api.get('/api/v2/search.json?query=type%3Aticket%20status%3Aopen', { expect: 200 })).body;
    assert.deepEqual(pct.results.map((r) => r.id), [T.B.id]);
  });

  test('without type: users and organizations match too, each with its result_type', async () => {
    const res = (await api.get(`/api/v2/search.json?query=${form('alice')}`, { expect: 200 })).body;
    assert.deepEqual(res.results.map((r) => [r.result_type, r.id]), [['user', alice.id]]);
    const mixed = (await api.get(`/api/v2/search.json?query=${form('refund')}`, { expect: 200 })).body;
    const types = mixed.results.map((r) => r.result_type).sort();
    assert.deepEqual(types, ['organization', 'ticket', 'ticket']);
    assert.equal(mixed.count, 3);
    const users = (await api.get(`/api/v2/search.json?query=${form('type:user bob')}`, { expect: 200 })).body;
    assert.deepEqual(users.results.map((r) => r.result_type), ['user']);
    const orgs = (await api.get(`/api/v2/search.json?query=${form('type:organization partners')}`, { expect: 200 })).body;
    assert.deepEqual(orgs.results.map((r) => [r.result_type, r.name]), [['organization', 'Refund Partners']]);
  });

  test('sort_by and sort_order', async () => {
    const asc = (await api.get(`/api/v2/search.json?query=${form('type:ticket')}&sort_by=created_at&sort_order=asc`, { expect: 200 })).body;
    assert.deepEqual(asc.results.map((r) => r.id), idsOf(...Object.values(T)));
    const byPriority = (
      await api.get(`/api/v2/search.json?query=${form('type:ticket tags:billing')}&sort_by=priority&sort_order=desc`, { expect: 200 })
    ).body;
    assert.deepEqual(byPriority.results.map((r) => r.priority), ['high', 'normal', null]);
    const bad = await api.get(`/api/v2/search.json?query=x&sort_by=color`, { expect: 400 });
    assert.equal(bad.body.error, 'invalid');
  });

  test('count returns {count}', async () => {
    const res = await api.get(`/api/v2/search/count.json?query=${form('type:ticket tags:billing')}`, { expect: 200 });
    assert.deepEqual(res.body, { count: 3 });
    assert.deepEqual((await api.get(`/api/v2/search/count.json?query=${form('type:ticket tags:nothing')}`, { expect: 200 })).body, {
      count: 0,
    });
  });

  test('export needs filter[type]=ticket and pages by cursor to an empty terminator', async () => {
    const first = (
      await api.get(`/api/v2/search/export.json?query=${form('tags:billing')}&filter[type]=ticket&page[size]=2`, { expect: 200 })
    ).body;
    assert.equal(first.results.length, 2);
    assert.ok(first.results.every((r) => r.result_type === 'ticket'));
    assert.equal(first.meta.has_more, true);
    assert.equal(typeof first.meta.after_cursor, 'string');
    assert.ok(first.links.next.startsWith(`${srv.baseUrl}/api/v2/search/export.json?`), first.links.next);
    const nextUrl = new URL(first.links.next);
    assert.equal(nextUrl.searchParams.get('filter[type]'), 'ticket');
    assert.equal(nextUrl.searchParams.get('query'), 'tags:billing');
    const second = (await follow(srv, first.links.next)).body;
    assert.equal(second.results.length, 1);
    assert.equal(second.meta.has_more, false);
    assert.equal(second.links.next, null);
    assert.deepEqual([...first.results, ...second.results].map((r) => r.id), idsOf(T.A, T.D, T.E));
    const enc = (
      await api.get(`/api/v2/search/export.json?query=${form('tags:billing')}&filter%5Btype%5D=ticket&page%5Bsize%5D=2`, { expect: 200 })
    ).body;
    assert.deepEqual(enc.results.map((r) => r.id), first.results.map((r) => r.id));
    for (const q of ['', '&filter[type]=user']) {
      const res = await api.get(`/api/v2/search/export.json?query=${form('tags:billing')}${q}`, { expect: 400 });
      assert.equal(res.body.error, 'invalid');
    }
  });

  // The CLI is another process: the server's in-memory search fields (the facet table) must not
  // go on answering with what they held before its writes.
  test('tickets another process writes and reopens are found by their new status at once', async () => {
    const mail = (subject, id, extra = '') =>
      `From: Mara Post <mara@customer.example>\r\nTo: support@help.example\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${id}>\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\n${extra}MIME-Version: 1.0\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n\r\nThe scanner hums.\r\n';
    const first = await srv.run(['mail', 'receive'], { input: mail('Scanner hums', 'hum1@customer.example') });
    const id = Number(/ticket=(\d+)/.exec(first.stdout)[1]);
    assert.ok((await ids('status<solved')).includes(id), 'a ticket the CLI created is found');
    await api.put(`/api/v2/tickets/${id}.json`, { ticket: { status: 'solved', assignee_id: admin.id } }, { expect: 200 });
    assert.ok((await ids('status:solved')).includes(id));
    assert.ok(!(await ids('status<solved')).includes(id));

    // The customer writes back: `rapport mail receive` reopens the solved ticket.
    const reply = await srv.run(['mail', 'receive'],
      { input: mail('Re: Scanner hums', 'hum2@customer.example', 'In-Reply-To: <hum1@customer.example>\r\n') });
    assert.match(reply.stdout, new RegExp(`ticket=${id}\\b`));
    assert.equal((await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket.status, 'open');
    for (let i = 0; i < 3; i++) { // the first search after the write, and those after the server caught up
      assert.ok((await ids('status:open')).includes(id), `status:open, search ${i + 1}`);
      assert.ok(!(await ids('status:solved')).includes(id), `status:solved, search ${i + 1}`);
      assert.ok((await ids(`status:open requester:mara@customer.example`)).includes(id));
    }
  });

  test('errors: no query, a bad status or type, past 1,000 results', async () => {
    for (const q of ['', `query=`, `query=${form('status:sleeping')}`, `query=${form('type:spaceship')}`, `query=x&page=11&per_page=100`]) {
      const res = await api.get(`/api/v2/search.json?${q}`, { expect: 400 });
      assert.equal(res.body.error, 'invalid', q);
      assert.equal(typeof res.body.description, 'string', q);
    }
    await api.get(`/api/v2/search/count.json`, { expect: 400 });
  });
});
