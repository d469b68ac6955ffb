// Incremental ticket exports (cursor and time based). The server runs with a one-second export lag
// (RAPPORT_API_EXPORT_LAG_SECONDS=1), so a change becomes visible about a second after it is made;
// tests poll until it is. Exports allow 10 requests per minute per credential, so each test uses
// its own API token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createTicket, createUser, eventually, newToken, stopClean, tokenAuth } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const POLL = { timeoutMs: 15_000, intervalMs: 300 };

describe('incremental export', () => {
  let srv;
  let api;
  let startTime;

  before(async () => {
    srv = await startServer({ env: { RAPPORT_API_EXPORT_LAG_SECONDS: '1' } });
    api = client(srv);
    startTime = Math.floor(Date.now() / 1000) - 5;
  });
  after(() => stopClean(srv));

  /** A client with a fresh admin token (its own export budget). */
  const exporter = async () => client(srv, { auth: tokenAuth(srv.adminEmail, await newToken(srv, srv.adminEmail)) });

  /**
   * Reads the cursor export from `query` until `done(tickets, body)` holds; returns {body, tickets}.
   * Uses a token of its own, so polling never eats into the caller's export budget.
   */
  async function pollExport(query, done, message) {
    const ex = await exporter();
    return eventually(async () => {
      const body = (await ex.get(`/api/v2/incremental/tickets/cursor.json?${query}`, { expect: 200 })).body;
      return done(body.tickets, body) && { body, tickets: body.tickets };
    }, { ...POLL, message });
  }

  test('start_time returns changed tickets in generated_timestamp order, with after_cursor at end_of_stream', async () => {
    const ex = await exporter();
    const made = [];
    for (const s of ['export one', 'export two', 'export three']) made.push(await createTicket(api, { subject: s }));
    const { body, tickets } = await pollExport(
      `start_time=${startTime}`,
      (ts) => made.every((m) => ts.some((t) => t.id === m.id)),
      'the new tickets appear in the export',
    );
    assert.equal(body.end_of_stream, true);
    assert.equal(typeof body.after_cursor, 'string');
    assert.equal(body.after_url, `${srv.baseUrl}/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(body.after_cursor)}`);
    assert.equal(typeof body.before_cursor, 'string');
    assert.ok(body.before_url.startsWith(`${srv.baseUrl}/api/v2/incremental/tickets/cursor.json?cursor=`));
    const stamps = tickets.map((t) => t.generated_timestamp);
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b), 'ordered by generated_timestamp');
    assert.deepEqual(tickets.map((t) => t.subject).filter((s) => s.startsWith('export')), ['export one', 'export two', 'export three']);
    assert.ok(tickets.every((t) => t.url && t.status !== undefined));

    // Resuming from after_cursor with nothing new gives an empty page that still has a cursor.
    const again = (await ex.get(`/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(body.after_cursor)}`, { expect: 200 }))
      .body;
    assert.deepEqual(again.tickets, []);
    assert.equal(again.end_of_stream, true);
    assert.equal(again.after_cursor, body.after_cursor, 'an empty page keeps the resume point');
  });

  test('resuming from after_cursor yields only later changes; a deleted ticket shows as status "deleted"', async () => {
    const ex = await exporter();
    const keep = await createTicket(api, { subject: 'will change' });
    const doomed = await createTicket(api, { subject: 'will be deleted' });
    const quiet = await createTicket(api, { subject: 'stays quiet' });
    const first = await pollExport(
      `start_time=${startTime}`,
      (ts) => [keep, doomed, quiet].every((m) => ts.some((t) => t.id === m.id)),
      'the tickets appear',
    );
    const cursor = encodeURIComponent(first.body.after_cursor);

    await api.put(`/api/v2/tickets/${keep.id}.json`, { ticket: { status: 'open', comment: { body: 'changed' } } }, { expect: 200 });
    await api.delete(`/api/v2/tickets/${doomed.id}.json`, { expect: 204 });
    const { tickets } = await pollExport(
      `cursor=${cursor}`,
      (ts) => ts.some((t) => t.id === keep.id) && ts.some((t) => t.id === doomed.id),
      'the update and the delete appear after the cursor',
    );
    assert.equal(tickets.find((t) => t.id === keep.id).status, 'open');
    assert.equal(tickets.find((t) => t.id === doomed.id).status, 'deleted');
    assert.ok(!tickets.some((t) => t.id === quiet.id), 'an unchanged ticket is not repeated');

    const noDeleted = (await ex.get(`/api/v2/incremental/tickets/cursor.json?cursor=${cursor}&exclude_deleted=true`, { expect: 200 }))
      .body;
    assert.ok(noDeleted.tickets.some((t) => t.id === keep.id));
    assert.ok(!noDeleted.tickets.some((t) => t.id === doomed.id));
    // The deleted ticket is gone everywhere else.
    await api.get(`/api/v2/tickets/${doomed.id}.json`, { expect: 404 });
  });

  test('per_page pages the stream; following after_cursor reads every ticket exactly once', async () => {
    const ex = await exporter();
    const made = [];
    for (let i = 0; i < 5; i += 1) made.push(await createTicket(api, { subject: `paged export ${i}` }));
    const all = await pollExport(
      `start_time=${startTime}`,
      (ts) => made.every((m) => ts.some((t) => t.id === m.id)),
      'the tickets appear',
    );
    const total = all.tickets.length;
    assert.ok(total >= 5);
    const seen = [];
    let body = (await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}&per_page=2`, { expect: 200 })).body;
    for (let guard = 0; ; guard += 1) {
      assert.ok(guard < 20, 'runaway export');
      assert.ok(body.tickets.length <= 2);
      seen.push(...body.tickets.map((t) => t.id));
      if (body.end_of_stream) break;
      assert.equal(body.tickets.length, 2);
      body = (await ex.get(`/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(body.after_cursor)}&per_page=2`, { expect: 200 }))
        .body;
    }
    assert.equal(typeof body.after_cursor, 'string', 'after_cursor is present at end_of_stream');
    assert.equal(new Set(seen).size, seen.length, 'no ticket twice');
    assert.deepEqual([...seen].sort((a, b) => a - b), all.tickets.map((t) => t.id).sort((a, b) => a - b));
  });

  test('the newest changes are withheld (the lag), then appear', async () => {
    const ex = await exporter();
    let checked = null;
    for (let attempt = 0; attempt < 5 && !checked; attempt += 1) {
      const t = await createTicket(api, { subject: `fresh ${attempt}` });
      const sentAt = Math.floor(Date.now() / 1000);
      const body = (await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}`, { expect: 200 })).body;
      const doneAt = Math.floor(Date.now() / 1000);
      // Only meaningful when the whole read happened within the ticket's own second.
      if (sentAt === t.generated_timestamp && doneAt === sentAt) {
        assert.ok(!body.tickets.some((x) => x.id === t.id), 'a change from the current second was exported');
        checked = t;
      }
    }
    assert.ok(checked, 'could not read the export within the same second as a create');
    await pollExport(`start_time=${startTime}`, (ts) => ts.some((x) => x.id === checked.id), 'the withheld ticket appears');
  });

  test('what node-zendesk adds is tolerated: cursor=undefined with start_time, page[size]=100', async () => {
    const ex = await exporter();
    const a = (await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}&cursor=undefined`, { expect: 200 })).body;
    const b = (await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}&page[size]=100`, { expect: 200 })).body;
    const c = (await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}&page%5Bsize%5D=100&include=users`, { expect: 200 }))
      .body;
    for (const x of [a, b, c]) {
      assert.ok(Array.isArray(x.tickets));
      assert.equal(typeof x.after_cursor, 'string');
      assert.equal(typeof x.end_of_stream, 'boolean');
    }
  });

  test('start_time in the future, or missing, or not a number is 400', async () => {
    const ex = await exporter();
    const future = Math.floor(Date.now() / 1000) + 3600;
    for (const q of [`start_time=${future}`, '', 'start_time=yesterday', 'cursor=undefined', 'cursor=%21%21garbage']) {
      const res = await ex.get(`/api/v2/incremental/tickets/cursor.json?${q}`, { expect: 400 });
      assert.equal(res.body.error, 'InvalidValue', q);
      assert.equal(typeof res.body.description, 'string', q);
    }
    await ex.get(`/api/v2/incremental/tickets.json?start_time=${future}`, { expect: 400 });
  });

  test('the time-based export returns {tickets, next_page, count, end_time, end_of_stream}', async () => {
    const ex = await exporter();
    const t = await createTicket(api, { subject: 'time based' });
    const body = await eventually(async () => {
      const b = (await ex.get(`/api/v2/incremental/tickets.json?start_time=${startTime}`, { expect: 200 })).body;
      return b.tickets.some((x) => x.id === t.id) && b;
    }, { ...POLL, message: 'the ticket appears in the time-based export' });
    assert.equal(body.count, body.tickets.length);
    assert.equal(body.end_of_stream, true);
    assert.ok(Number.isInteger(body.end_time));
    assert.ok(body.end_time >= t.generated_timestamp);
    assert.equal(body.next_page, `${srv.baseUrl}/api/v2/incremental/tickets.json?start_time=${body.end_time}`);
  });

  test('exports are for admins', async () => {
    const agent = await createUser(api, { name: 'Export Agent', email: 'export-agent@example.com', role: 'agent', ticket_restriction: null });
    const res = await api.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}`, {
      auth: tokenAuth(agent.email, srv.token),
      expect: 403,
    });
    assert.deepEqual(res.body, FORBIDDEN);
  });

  test('exports allow 10 requests per minute per credential, then 429 with Retry-After', async () => {
    // The window is the calendar minute; if the burst straddles a minute boundary, try again.
    for (let attempt = 0; ; attempt += 1) {
      const ex = await exporter();
      const minute = Math.floor(Date.now() / 60_000);
      const statuses = [];
      let last;
      for (let i = 0; i < 11; i += 1) {
        last = await ex.get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}&per_page=1`);
        statuses.push(last.status);
      }
      if (Math.floor(Date.now() / 60_000) !== minute && attempt < 2) continue;
      assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
      assert.equal(last.body.error, 'APIRateLimitExceeded');
      assert.ok(Number(last.headers.get('retry-after')) >= 1);
      // Other endpoints and other credentials are unaffected.
      await ex.get('/api/v2/tickets.json', { expect: 200 });
      await (await exporter()).get(`/api/v2/incremental/tickets/cursor.json?start_time=${startTime}`, { expect: 200 });
      break;
    }
  });
});
