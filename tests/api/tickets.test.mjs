// Tickets: create, show, update with audits, delete, create_many with job statuses, show_many,
// comments and audits, as a Zendesk v2 client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  NOT_FOUND,
  client,
  createTicket,
  createUser,
  eventually,
  ticketCount,
  tokenAuth,
  stopClean,
} from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('tickets', () => {
  let srv;
  let api;
  let admin;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    admin = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
  });
  after(() => stopClean(srv));

  test('create returns 201, an absolute Location and the full ticket', async () => {
    const res = await api.post(
      '/api/v2/tickets.json',
      {
        ticket: {
          subject: 'Printer on fire',
          comment: { body: 'It is really on fire.' },
          priority: 'high',
          type: 'incident',
          tags: ['Hardware', 'urgent fire'],
          external_id: 'ext-create-1',
        },
      },
      { expect: 201 },
    );
    const t = res.body.ticket;
    assert.equal(typeof t.id, 'number');
    assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/tickets/${t.id}.json`);
    assert.equal(t.url, `${srv.baseUrl}/api/v2/tickets/${t.id}.json`);
    assert.equal(t.subject, 'Printer on fire');
    assert.equal(t.raw_subject, 'Printer on fire');
    assert.equal(t.description, 'It is really on fire.');
    assert.equal(t.status, 'new');
    assert.equal(t.priority, 'high');
    assert.equal(t.type, 'incident');
    assert.deepEqual(t.tags, ['hardware', 'urgent', 'fire']);
    assert.equal(t.external_id, 'ext-create-1');
    assert.equal(t.via.channel, 'api');
    assert.equal(t.requester_id, admin.id);
    assert.equal(t.submitter_id, admin.id);
    assert.equal(t.is_public, true);
    assert.match(t.created_at, ISO);
    assert.match(t.updated_at, ISO);
    assert.ok(Number.isInteger(t.generated_timestamp));
    for (const k of ['collaborator_ids', 'follower_ids', 'email_cc_ids', 'custom_fields', 'sharing_agreement_ids', 'followup_ids']) {
      assert.ok(Array.isArray(t[k]), `${k} is an array`);
    }
    assert.equal(t.satisfaction_rating, null);
    assert.match(res.headers.get('content-type'), /^application\/json; charset=utf-8$/);
    assert.equal(res.body.audit.ticket_id, t.id);
    assert.ok(res.body.audit.events.some((e) => e.type === 'Comment' && e.body === 'It is really on fire.'));
    // The created ticket is the one show answers with, field for field.
    assert.deepEqual((await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket, t);
  });

  test('create with an assignee defaults the status to open; a requester object makes the user', async () => {
    const t = await createTicket(api, {
      subject: 'Assigned',
      assignee_id: admin.id,
      requester: { name: 'Rita Requester', email: 'rita@example.com' },
    });
    assert.equal(t.status, 'open');
    assert.equal(t.assignee_id, admin.id);
    assert.notEqual(t.requester_id, admin.id);
    const u = (await api.get(`/api/v2/users/${t.requester_id}.json`, { expect: 200 })).body.user;
    assert.equal(u.email, 'rita@example.com');
    assert.equal(u.role, 'end-user');
  });

  test('show answers with and without .json, collapses //, and 404s unknown or non-numeric ids', async () => {
    const t = await createTicket(api, { subject: 'Show me' });
    for (const p of [
      `/api/v2/tickets/${t.id}.json`,
      `/api/v2/tickets/${t.id}`,
      `//api/v2//tickets/${t.id}.json`,
      `/api/v2/tickets/${t.id}/`,
    ]) {
      const res = await api.get(p, { expect: 200 });
      assert.equal(res.body.ticket.id, t.id, p);
      assert.equal(res.body.ticket.subject, 'Show me', p);
    }
    const viaBare = await api.post('/api/v2/tickets', { ticket: { subject: 'no suffix', comment: { body: 'x' } } }, { expect: 201 });
    assert.match(viaBare.headers.get('location'), /\/api\/v2\/tickets\/\d+\.json$/);
    const list = await api.get('//api//v2/tickets?per_page=100', { expect: 200 });
    assert.ok(list.body.tickets.some((x) => x.id === viaBare.body.ticket.id));
    await api.put(`/api/v2//tickets/${t.id}`, { ticket: { priority: 'low' } }, { expect: 200 });
    for (const p of ['/api/v2/tickets/999999.json', '/api/v2/tickets/abc.json', '/api/v2/tickets/0.json']) {
      const res = await api.get(p, { expect: 404 });
      assert.deepEqual(res.body, NOT_FOUND, p);
    }
  });

  test('update with a comment returns 200 {ticket, audit} with Comment and Change events', async () => {
    const t = await createTicket(api, { subject: 'To update', priority: 'low' });
    const res = await api.put(
      `/api/v2/tickets/${t.id}.json`,
      { ticket: { status: 'pending', priority: 'urgent', comment: { body: 'Working on it', public: true } } },
      { expect: 200 },
    );
    assert.equal(res.body.ticket.id, t.id);
    assert.equal(res.body.ticket.status, 'pending');
    assert.equal(res.body.ticket.priority, 'urgent');
    const audit = res.body.audit;
    assert.equal(audit.ticket_id, t.id);
    assert.equal(audit.author_id, admin.id);
    assert.match(audit.created_at, ISO);
    assert.equal(audit.via.channel, 'api');
    const comment = audit.events.find((e) => e.type === 'Comment');
    assert.ok(comment, JSON.stringify(audit.events));
    assert.equal(comment.body, 'Working on it');
    assert.equal(comment.public, true);
    assert.equal(comment.author_id, admin.id);
    const changes = Object.fromEntries(audit.events.filter((e) => e.type === 'Change').map((e) => [e.field_name, e]));
    assert.deepEqual(
      { value: changes.status?.value, previous_value: changes.status?.previous_value },
      { value: 'pending', previous_value: 'new' },
    );
    assert.deepEqual(
      { value: changes.priority?.value, previous_value: changes.priority?.previous_value },
      { value: 'urgent', previous_value: 'low' },
    );
    // The change is durable: a fresh read shows it.
    const shown = (await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket;
    assert.equal(shown.status, 'pending');
    assert.equal(shown.priority, 'urgent');
  });

  test('comments list ascending by default, descending with sort_order=desc, and shows internal notes to staff', async () => {
    const t = await createTicket(api, { subject: 'Chatty', comment: { body: 'one' } });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'two' } } }, { expect: 200 });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'three (internal)', public: false } } }, { expect: 200 });

    const asc = (await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body;
    assert.deepEqual(asc.comments.map((c) => c.body), ['one', 'two', 'three (internal)']);
    assert.deepEqual(asc.comments.map((c) => c.public), [true, true, false]);
    assert.equal(asc.count, 3);
    assert.equal(asc.next_page, null);
    assert.equal(asc.previous_page, null);
    for (const c of asc.comments) {
      assert.equal(c.type, 'Comment');
      assert.equal(c.author_id, admin.id);
      assert.equal(typeof c.html_body, 'string');
      assert.equal(c.plain_body, c.body);
      assert.ok(Array.isArray(c.attachments));
      assert.equal(typeof c.audit_id, 'number');
      assert.match(c.created_at, ISO);
    }
    const desc = (await api.get(`/api/v2/tickets/${t.id}/comments.json?sort_order=desc`, { expect: 200 })).body;
    assert.deepEqual(desc.comments.map((c) => c.body), ['three (internal)', 'two', 'one']);
    const paged = (await api.get(`/api/v2/tickets/${t.id}/comments?per_page=2`, { expect: 200 })).body;
    assert.equal(paged.comments.length, 2);
    assert.equal(paged.count, 3);
    assert.match(paged.next_page, /page=2/);
  });

  test('an end user sees public comments only and cannot add an internal note', async () => {
    const eu = await createUser(api, { name: 'Eve Enduser', email: 'eve-comments@example.com', role: 'end-user' });
    const asEve = api.as(tokenAuth(eu.email, srv.token)); // the admin token may act as any user
    const t = await createTicket(api, { subject: 'Eve asks', requester_id: eu.id, comment: { body: 'question' } });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'agents only', public: false } } }, { expect: 200 });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'answer' } } }, { expect: 200 });

    const seen = (await asEve.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body;
    assert.deepEqual(seen.comments.map((c) => c.body), ['question', 'answer']);
    assert.equal(seen.count, 2);

    const res = await asEve.put(
      `/api/v2/tickets/${t.id}.json`,
      { ticket: { comment: { body: 'secret', public: false } } },
      { expect: 422 },
    );
    assert.equal(res.body.error, 'RecordInvalid');
    assert.ok(res.body.details?.comment?.[0]?.description, JSON.stringify(res.body));
    const all = (await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body;
    assert.equal(all.count, 3, 'the rejected note was not stored');

    // A public reply from the requester is fine.
    await asEve.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'thanks' } } }, { expect: 200 });
    const after = (await asEve.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body;
    assert.deepEqual(after.comments.map((c) => c.body), ['question', 'answer', 'thanks']);
    assert.equal(after.comments[2].author_id, eu.id);
  });

  test('posted html_body is sanitized before it is stored: staff keep formatting and images, customers lose remote images', async () => {
    const hostile =
      '<p onclick="steal()">Hello <b>there</b><script>alert(1)</script></p>' +
      '<img src="https://cdn.example.com/logo.png" onerror="alert(2)"><a href="javascript:alert(3)">click</a>' +
      '<iframe src="https://evil.example.com/"></iframe>';
    const t = await createTicket(api, { subject: 'HTML from an integration', comment: { html_body: hostile } });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'plain too', html_body: hostile } } }, { expect: 200 });
    const eu = await createUser(api, { name: 'Hal Html', email: 'hal-html@example.com', role: 'end-user' });
    const asHal = api.as(tokenAuth(eu.email, srv.token));
    const mine = await createTicket(asHal, { subject: 'Mine', comment: { html_body: hostile } });
    const staff = (await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body.comments;
    const customer = (await api.get(`/api/v2/tickets/${mine.id}/comments.json`, { expect: 200 })).body.comments;
    assert.equal(staff.length, 2);
    for (const c of [...staff, customer[0]]) {
      assert.doesNotMatch(c.html_body, /script|onclick|onerror|javascript:|iframe|alert/i, c.html_body);
      assert.match(c.html_body, /<b>there<\/b>/);
      assert.match(c.html_body, />click</, 'a link without a safe target keeps its text');
    }
    // The html-only create got its plain body from the sanitized HTML; the update kept its own.
    assert.match(staff[0].body, /Hello there/);
    assert.doesNotMatch(staff[0].body, /alert/);
    assert.equal(staff[1].body, 'plain too');
    assert.match(staff[0].html_body, /<img src="https:\/\/cdn\.example\.com\/logo\.png"/);
    assert.doesNotMatch(customer[0].html_body, /\ssrc="https:/, customer[0].html_body);
    assert.match(customer[0].html_body, /data-remote-src="https:\/\/cdn\.example\.com\/logo\.png"/);
  });

  test('audits list the create and every update', async () => {
    const t = await createTicket(api, { subject: 'Audited' });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { priority: 'normal' } }, { expect: 200 });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'note' }, tags: ['x'] } }, { expect: 200 });
    const res = (await api.get(`/api/v2/tickets/${t.id}/audits.json`, { expect: 200 })).body;
    assert.equal(res.count, 3);
    assert.equal(res.audits.length, 3);
    assert.ok(res.audits.every((a) => a.ticket_id === t.id && Array.isArray(a.events)));
    assert.ok(res.audits[0].events.some((e) => e.type === 'Comment' && e.body === 'body of Audited'));
    assert.ok(res.audits[1].events.some((e) => e.type === 'Change' && e.field_name === 'priority' && e.value === 'normal'));
    assert.ok(res.audits[2].events.some((e) => e.type === 'Comment' && e.body === 'note'));
    assert.ok(res.audits[2].events.some((e) => e.type === 'Change' && e.field_name === 'tags'));
  });

  test('a closed ticket cannot be updated (422) and stays unchanged', async () => {
    const t = await createTicket(api, { subject: 'Closing', assignee_id: admin.id });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'closed' } }, { expect: 200 });
    const res = await api.put(
      `/api/v2/tickets/${t.id}.json`,
      { ticket: { status: 'open', comment: { body: 'reopen please' } } },
      { expect: 422 },
    );
    assert.equal(res.body.error, 'RecordInvalid');
    assert.equal(res.body.details.status[0].error, 'InvalidValue');
    assert.match(res.body.details.status[0].description, /closed/i);
    const shown = (await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket;
    assert.equal(shown.status, 'closed');
    const comments = (await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body;
    assert.equal(comments.count, 1);
  });

  test('delete gives 204 with no body, then 404, and the ticket leaves every list', async () => {
    const keep = await createTicket(api, { subject: 'Keep me' });
    const t = await createTicket(api, { subject: 'Delete me', external_id: 'ext-delete-me' });
    const before = await ticketCount(api);
    const del = await api.delete(`/api/v2/tickets/${t.id}.json`, { expect: 204 });
    assert.equal(del.text, '');
    assert.deepEqual((await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 404 })).body, NOT_FOUND);
    assert.equal(await ticketCount(api), before - 1);
    await api.delete(`/api/v2/tickets/${t.id}.json`, { expect: 404 });
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { subject: 'zombie' } }, { expect: 404 });
    await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 404 });

    const byExt = (await api.get('/api/v2/tickets.json?external_id=ext-delete-me', { expect: 200 })).body;
    assert.deepEqual(byExt.tickets, []);
    assert.equal(byExt.count, 0);
    const many = (await api.get(`/api/v2/tickets/show_many.json?ids=${keep.id},${t.id}`, { expect: 200 })).body;
    assert.deepEqual(many.tickets.map((x) => x.id), [keep.id]);
    let ids = [];
    let url = '/api/v2/tickets.json?page[size]=100';
    for (;;) {
      const page = (await api.get(url, { expect: 200 })).body;
      ids = ids.concat(page.tickets.map((x) => x.id));
      if (!page.meta.has_more) break;
      url = new URL(page.links.next).pathname + new URL(page.links.next).search;
    }
    assert.ok(ids.includes(keep.id));
    assert.ok(!ids.includes(t.id));
  });

  test('show_many returns the visible tickets in id order and skips unknown ids', async () => {
    const a = await createTicket(api, { subject: 'many A' });
    const b = await createTicket(api, { subject: 'many B' });
    const res = (await api.get(`/api/v2/tickets/show_many.json?ids=${b.id},999999,${a.id}`, { expect: 200 })).body;
    assert.deepEqual(res.tickets.map((t) => [t.id, t.subject]), [
      [a.id, 'many A'],
      [b.id, 'many B'],
    ]);
    const bad = await api.get('/api/v2/tickets/show_many.json?ids=1,x', { expect: 400 });
    assert.equal(bad.body.error, 'InvalidValue');
    await api.get('/api/v2/tickets/show_many.json', { expect: 400 });
  });

  test('create_many queues a job that completes with results [{index, id}]', async () => {
    const subjects = ['bulk one', 'bulk two', 'bulk three'];
    const res = await api.post(
      '/api/v2/tickets/create_many.json',
      { tickets: subjects.map((s) => ({ subject: s, comment: { body: `${s} body` }, tags: ['bulk'] })) },
      { expect: 200 },
    );
    const job = res.body.job_status;
    assert.equal(typeof job.id, 'string');
    assert.equal(job.url, `${srv.baseUrl}/api/v2/job_statuses/${job.id}.json`);
    assert.equal(job.total, 3);
    assert.equal(job.status, 'queued');
    assert.equal(job.results, null);

    const done = await eventually(
      async () => {
        const s = (await api.get(`/api/v2/job_statuses/${job.id}.json`, { expect: 200 })).body.job_status;
        assert.ok(['queued', 'working', 'completed'].includes(s.status), s.status);
        return s.status === 'completed' && s;
      },
      { message: 'job completed' },
    );
    assert.equal(done.total, 3);
    assert.equal(done.progress, 3);
    assert.deepEqual(done.results.map((r) => r.index), [0, 1, 2]);
    assert.ok(done.results.every((r) => Number.isInteger(r.id)), JSON.stringify(done.results));
    const ids = done.results.map((r) => r.id).join(',');
    const created = (await api.get(`/api/v2/tickets/show_many.json?ids=${ids}`, { expect: 200 })).body.tickets;
    assert.deepEqual(created.map((t) => t.subject), subjects);
    assert.ok(created.every((t) => t.tags.includes('bulk') && t.via.channel === 'api'));
  });

  test('create_many reports a bad item in its results and still creates the others', async () => {
    const res = await api.post(
      '/api/v2/tickets/create_many.json',
      { tickets: [{ subject: 'good 1', comment: { body: 'ok' } }, { subject: 'no comment' }, { subject: 'good 2', comment: { body: 'ok' } }] },
      { expect: 200 },
    );
    const id = res.body.job_status.id;
    const done = await eventually(async () => {
      const s = (await api.get(`/api/v2/job_statuses/${id}`, { expect: 200 })).body.job_status;
      return s.status === 'completed' && s;
    });
    assert.equal(done.results.length, 3);
    assert.ok(Number.isInteger(done.results[0].id));
    assert.equal(done.results[1].id, undefined);
    assert.ok(done.results[1].error, JSON.stringify(done.results[1]));
    assert.ok(Number.isInteger(done.results[2].id));
    const noComment = (await api.get('/api/v2/search.json?query=type:ticket%20%22no%20comment%22', { expect: 200 })).body;
    assert.equal(noComment.count, 0, 'the bad item left nothing behind');
  });

  test('create_many rejects an empty or oversized batch and unknown jobs are 404', async () => {
    await api.post('/api/v2/tickets/create_many.json', { tickets: [] }, { expect: 400 });
    const many = Array.from({ length: 101 }, (_, i) => ({ subject: `x${i}`, comment: { body: 'b' } }));
    const before = await ticketCount(api);
    await api.post('/api/v2/tickets/create_many.json', { tickets: many }, { expect: 400 });
    assert.equal(await ticketCount(api), before);
    assert.deepEqual((await api.get('/api/v2/job_statuses/nope.json', { expect: 404 })).body, NOT_FOUND);
  });

  test('the list filters by external_id and status and sorts in offset mode', async () => {
    const a = await createTicket(api, { subject: 'ext A', external_id: 'shared-ext' });
    const b = await createTicket(api, { subject: 'ext B', external_id: 'shared-ext' });
    const res = (await api.get('/api/v2/tickets.json?external_id=shared-ext', { expect: 200 })).body;
    assert.deepEqual(res.tickets.map((t) => t.id), [a.id, b.id]);
    assert.equal(res.count, 2);
    const desc = (await api.get('/api/v2/tickets.json?external_id=shared-ext&sort_by=id&sort_order=desc', { expect: 200 })).body;
    assert.deepEqual(desc.tickets.map((t) => t.id), [b.id, a.id]);
    const pending = (await api.get('/api/v2/tickets.json?status=pending', { expect: 200 })).body;
    assert.ok(pending.tickets.length > 0);
    assert.ok(pending.tickets.every((t) => t.status === 'pending'));
  });

  test('nested lists: a user\'s requested and assigned tickets, an organization\'s tickets', async () => {
    const org = (await api.post('/api/v2/organizations.json', { organization: { name: 'Nested Org' } }, { expect: 201 })).body
      .organization;
    const req = await createUser(api, { name: 'Nina Nested', email: 'nina@example.com', organization_id: org.id });
    const mine = [
      await createTicket(api, { subject: 'nina 1', requester_id: req.id }),
      await createTicket(api, { subject: 'nina 2', requester_id: req.id, assignee_id: admin.id }),
    ];
    const requested = (await api.get(`/api/v2/users/${req.id}/tickets/requested.json`, { expect: 200 })).body;
    assert.deepEqual(requested.tickets.map((t) => t.id), mine.map((t) => t.id));
    assert.equal(requested.count, 2);
    const byOrg = (await api.get(`/api/v2/organizations/${org.id}/tickets.json?page[size]=1`, { expect: 200 })).body;
    assert.deepEqual(byOrg.tickets.map((t) => t.id), [mine[0].id]);
    assert.equal(byOrg.meta.has_more, true);
    const next = (await api.get(new URL(byOrg.links.next).pathname + new URL(byOrg.links.next).search, { expect: 200 })).body;
    assert.deepEqual(next.tickets.map((t) => t.id), [mine[1].id]);
    const assigned = (await api.get(`/api/v2/users/${admin.id}/tickets/assigned.json?per_page=100`, { expect: 200 })).body;
    assert.ok(assigned.tickets.some((t) => t.id === mine[1].id));
    assert.ok(assigned.tickets.every((t) => t.assignee_id === admin.id));
    assert.ok(!assigned.tickets.some((t) => t.id === mine[0].id));
  });

  test('an unknown route is 404 and a wrong method on a known path is 405, both as JSON', async () => {
    assert.deepEqual((await api.get('/api/v2/nonsense.json', { expect: 404 })).body, NOT_FOUND);
    const res = await api.call('PATCH', '/api/v2/tickets.json', { ticket: {} }, { expect: 405 });
    assert.equal(res.body.error, 'MethodNotAllowed');
  });
});
