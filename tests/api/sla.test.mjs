// SLAs on business hours as an admin, an agent and a customer see them: business-hours schedules
// with holidays (Zendesk's business_hours API), SLA policies (slas/policies with reorder and
// definitions), and a ticket's clocks through `?include=slas` — across a weekend, a holiday, a
// DST change and a pending pause, fulfilled by a reply or breached, where the breach is announced
// once and escalates the ticket. The server runs with the test-only clock so nothing waits for
// real time: each ticket is created at a set instant in March 2024 and the clock is moved on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

describe('SLAs and business hours', { timeout: 180_000 }, () => {
  let srv;
  let original; // the first server, once a test has restarted on its database
  let api;
  let agentApi;
  let customerApi;
  let customer;
  let agent;
  let tier2;
  const schedules = {};
  const policies = {};

  const setClock = async (iso) => {
    const { body } = await api.put('/api/v2/testing/clock', { clock: { now: iso } }, { expect: 200 });
    assert.equal(body.clock.now, iso);
  };
  const sql = async (query) =>
    (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  const office = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 }));

  // A ticket from the customer (the first comment is theirs), tagged to pick a policy.
  const customerTicket = async (tags, extra = {}) => {
    const { body } = await api.post(
      '/api/v2/tickets.json',
      {
        ticket: {
          subject: `SLA ${tags.join(' ')}`,
          comment: { body: 'Please help', author_id: customer.id },
          requester_id: customer.id,
          tags,
          ...extra,
        },
      },
      { expect: 201 },
    );
    return body.ticket.id;
  };
  // The ticket's metrics once the tracker has caught up with `ready`.
  const metricsWhen = (id, ready, message) =>
    eventually(
      async () => {
        const { body } = await api.get(`/api/v2/tickets/${id}.json?include=slas`, { expect: 200 });
        const m = body.ticket.slas?.policy_metrics ?? [];
        return ready(m) ? m : null;
      },
      { message },
    );
  const metric = (list, name) => list.find((m) => m.metric === name);

  const createPolicy = async (title, tag, fields) => {
    const { body } = await api.post(
      '/api/v2/slas/policies.json',
      { sla_policy: { title, filter: { all: [{ field: 'current_tags', operator: 'includes', value: tag }], any: [] }, ...fields } },
      { expect: 201 },
    );
    return body.sla_policy;
  };

  before(async () => {
    srv = await startServer({ env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(srv);
    customer = await createUser(api, { name: 'Cara Customer', email: 'cara@example.com' });
    agent = await createUser(api, { name: 'Ava Agent', email: 'ava@example.com', role: 'agent', ticket_restriction: null });
    agentApi = api.as(tokenAuth(agent.email, srv.token));
    customerApi = api.as(tokenAuth(customer.email, srv.token));
    tier2 = (await api.post('/api/v2/groups.json', { group: { name: 'Tier 2' } }, { expect: 201 })).body.group;
  });
  after(async () => {
    await stopClean(srv);
    await original?.stop(); // removes the temp directory it created
  });

  test('schedules: create, validate, workweek, holidays; admins write and staff read', async () => {
    // Everything wrong at once is reported at once.
    const bad = await api.post(
      '/api/v2/business_hours/schedules.json',
      { schedule: { name: '', time_zone: 'Mars/Olympus', intervals: [{ start_time: 600, end_time: 500 }] } },
      { expect: 422 },
    );
    assert.equal(bad.body.error, 'RecordInvalid');
    assert.ok(bad.body.details.name && bad.body.details.time_zone, JSON.stringify(bad.body));
    const overlap = await api.post(
      '/api/v2/business_hours/schedules.json',
      { schedule: { name: 'x', time_zone: 'UTC', intervals: [{ start_time: 100, end_time: 300 }, { start_time: 200, end_time: 400 }] } },
      { expect: 422 },
    );
    assert.match(overlap.body.details.intervals[0].description, /overlap/);

    const created = await api.post(
      '/api/v2/business_hours/schedules.json',
      { schedule: { name: 'Berlin office', time_zone: 'Europe/Berlin', intervals: office } },
      { expect: 201 },
    );
    schedules.berlin = created.body.schedule;
    assert.match(created.headers.get('location'), new RegExp(`/api/v2/business_hours/schedules/${schedules.berlin.id}\\.json$`));
    assert.deepEqual(schedules.berlin.intervals, office);
    assert.equal(schedules.berlin.iana_time_zone, 'Europe/Berlin');

    // Zendesk's Rails zone names work and say which IANA zone they mean.
    schedules.ny = (
      await api.post(
        '/api/v2/business_hours/schedules.json',
        { schedule: { name: 'New York', time_zone: 'Eastern Time (US & Canada)', intervals: office } },
        { expect: 201 },
      )
    ).body.schedule;
    assert.equal(schedules.ny.iana_time_zone, 'America/New_York');

    schedules.closed = (
      await api.post('/api/v2/business_hours/schedules.json', { schedule: { name: 'With a holiday', time_zone: 'Europe/Berlin' } }, { expect: 201 })
    ).body.schedule;
    assert.deepEqual(schedules.closed.intervals, office, 'Monday to Friday 09:00-17:00 by default');
    const ww = await api.put(
      `/api/v2/business_hours/schedules/${schedules.closed.id}/workweek.json`,
      { workweek: { intervals: office.slice(0, 4) } },
      { expect: 200 },
    );
    assert.equal(ww.body.schedule.intervals.length, 4);
    await api.put(`/api/v2/business_hours/schedules/${schedules.closed.id}/workweek.json`, { workweek: { intervals: office } }, { expect: 200 });

    // Holidays.
    const hpath = `/api/v2/business_hours/schedules/${schedules.closed.id}/holidays.json`;
    const badDates = await api.post(hpath, { holiday: { name: 'Backwards', start_date: '2024-03-12', end_date: '2024-03-11' } }, { expect: 422 });
    assert.ok(badDates.body.details.end_date);
    await api.post(hpath, { holiday: { name: 'Nonsense', start_date: 'soon' } }, { expect: 422 });
    const h = (await api.post(hpath, { holiday: { name: 'Closed Monday', start_date: '2024-03-11', end_date: '2024-03-11' } }, { expect: 201 })).body
      .holiday;
    const extra = (await api.post(hpath, { holiday: { name: 'Spare', start_date: '2024-12-24' } }, { expect: 201 })).body.holiday;
    assert.equal(extra.end_date, '2024-12-24', 'a one-day holiday by default');
    const renamed = await api.put(
      `/api/v2/business_hours/schedules/${schedules.closed.id}/holidays/${extra.id}.json`,
      { holiday: { name: 'Christmas', end_date: '2024-12-26' } },
      { expect: 200 },
    );
    assert.deepEqual([renamed.body.holiday.name, renamed.body.holiday.end_date], ['Christmas', '2024-12-26']);
    await api.delete(`/api/v2/business_hours/schedules/${schedules.closed.id}/holidays/${extra.id}.json`, { expect: 204 });
    const listed = await agentApi.get(hpath, { expect: 200 });
    assert.deepEqual(listed.body.holidays.map((x) => x.id), [h.id]);

    // Agents read, only admins write; customers see nothing.
    const all = await agentApi.get('/api/v2/business_hours/schedules.json', { expect: 200 });
    assert.deepEqual(all.body.schedules.map((s) => s.name), ['Berlin office', 'New York', 'With a holiday']);
    const denied = await agentApi.post('/api/v2/business_hours/schedules.json', { schedule: { name: 'x', time_zone: 'UTC' } }, { expect: 403 });
    assert.deepEqual(denied.body, FORBIDDEN);
    await agentApi.put(`/api/v2/business_hours/schedules/${schedules.berlin.id}.json`, { schedule: { name: 'x' } }, { expect: 403 });
    await customerApi.get('/api/v2/business_hours/schedules.json', { expect: 403 });
    await api.get('/api/v2/business_hours/schedules/999999.json', { expect: 404 });
  });

  test('policies: create with conditions and targets, validate, reorder; admins write and agents read', async () => {
    const bad = await api.post(
      '/api/v2/slas/policies.json',
      {
        sla_policy: {
          title: 'Broken',
          filter: { all: [{ field: 'colour', operator: 'is', value: 'red' }] },
          policy_metrics: [
            { priority: 'normal', metric: 'fastest_time', target: 10, business_hours: false },
            { priority: 'normal', metric: 'first_reply_time', target: 0, business_hours: false },
          ],
        },
      },
      { expect: 422 },
    );
    assert.ok(bad.body.details.filter && bad.body.details.policy_metrics, JSON.stringify(bad.body));
    await api.post('/api/v2/slas/policies.json', { sla_policy: { title: 'No filter' } }, { expect: 422 });

    const frt = (minutes, business) => [{ priority: 'normal', metric: 'first_reply_time', target: minutes, business_hours: business }];
    policies.weekend = await createPolicy('Weekend', 'weekend', { policy_metrics: frt(60, true), schedule_id: schedules.berlin.id });
    policies.holiday = await createPolicy('Holiday', 'holiday', { policy_metrics: frt(60, true), schedule_id: schedules.closed.id });
    policies.dst = await createPolicy('DST', 'dst', { policy_metrics: frt(60, true), schedule_id: schedules.ny.id });
    policies.pause = await createPolicy('Pause', 'pause', {
      policy_metrics: [
        { priority: 'normal', metric: 'requester_wait_time', target: 120, business_hours: false },
        { priority: 'normal', metric: 'first_reply_time', target: 600, business_hours: false },
      ],
    });
    policies.escalate = await createPolicy('Escalate', 'escalate', {
      policy_metrics: frt(30, false),
      escalation: { priority: 'urgent', add_tags: ['sla_escalated'], group_id: tier2.id },
    });
    assert.deepEqual(
      [policies.weekend.position, policies.escalate.position],
      [1, 5],
    );
    assert.deepEqual(policies.weekend.policy_metrics, [
      { priority: 'normal', metric: 'first_reply_time', target: 60, target_in_seconds: 3600, business_hours: true },
    ]);
    assert.deepEqual(policies.escalate.escalation, { priority: 'urgent', add_tags: ['sla_escalated'], group_id: tier2.id });

    // A throwaway policy placed first, reordered to last, then deleted.
    const temp = await createPolicy('Temporary', 'nothing-has-this', { policy_metrics: frt(5, false), position: 1 });
    assert.equal(temp.position, 1);
    let list = (await agentApi.get('/api/v2/slas/policies.json', { expect: 200 })).body.sla_policies;
    assert.deepEqual(list.map((p) => p.title), ['Temporary', 'Weekend', 'Holiday', 'DST', 'Pause', 'Escalate']);
    const order = [...list.slice(1).map((p) => p.id), temp.id];
    await api.put('/api/v2/slas/policies/reorder.json', { sla_policy_ids: order.slice(1) }, { expect: 422 });
    const reordered = await api.put('/api/v2/slas/policies/reorder.json', { sla_policy_ids: order }, { expect: 200 });
    assert.deepEqual(reordered.body.sla_policies.map((p) => p.id), order);
    assert.deepEqual(reordered.body.sla_policies.map((p) => p.position), [1, 2, 3, 4, 5, 6]);

    await agentApi.put(`/api/v2/slas/policies/${temp.id}.json`, { sla_policy: { title: 'Mine' } }, { expect: 403 });
    await agentApi.delete(`/api/v2/slas/policies/${temp.id}.json`, { expect: 403 });
    await agentApi.put('/api/v2/slas/policies/reorder.json', { sla_policy_ids: order }, { expect: 403 });
    await customerApi.get('/api/v2/slas/policies.json', { expect: 403 });
    const renamed = await api.put(`/api/v2/slas/policies/${temp.id}.json`, { sla_policy: { title: 'Renamed' } }, { expect: 200 });
    assert.equal(renamed.body.sla_policy.title, 'Renamed');
    await api.delete(`/api/v2/slas/policies/${temp.id}.json`, { expect: 204 });
    await api.get(`/api/v2/slas/policies/${temp.id}.json`, { expect: 404 });

    const defs = (await agentApi.get('/api/v2/slas/policies/definitions.json', { expect: 200 })).body.definitions;
    assert.deepEqual(
      defs.all.map((d) => d.value),
      ['priority', 'group_id', 'organization_id', 'via', 'type', 'current_tags'],
    );
  });

  test("a weekend stops the business-hours clock; a holiday moves the breach a day later", async () => {
    await setClock('2024-03-08T15:30:00Z'); // Friday 16:30 in Berlin
    const weekend = await customerTicket(['weekend']);
    const holiday = await customerTicket(['holiday']);
    const m = await metricsWhen(weekend, (l) => metric(l, 'first_reply_time'), 'weekend ticket clock');
    const frt = metric(m, 'first_reply_time');
    assert.equal(frt.stage, 'active');
    assert.equal(frt.breach_at, '2024-03-11T08:30:00Z', '30 minutes on Friday, 30 on Monday from 09:00 CET');
    assert.equal(frt.business_hours, true);
    assert.equal(frt.target, 60);
    // Time left is counted to breach_at: Friday 15:30Z to Monday 08:30Z is 2 days 17 hours.
    assert.deepEqual([frt.days, frt.hours, frt.minutes], [2, 17, 0]);
    const h = metric(await metricsWhen(holiday, (l) => metric(l, 'first_reply_time'), 'holiday ticket clock'), 'first_reply_time');
    assert.equal(h.breach_at, '2024-03-12T08:30:00Z', 'Monday the 11th is a holiday');
  });

  test('across the New York DST change the clock counts real business time', async () => {
    await setClock('2024-03-08T21:30:00Z'); // Friday 16:30 EST
    const id = await customerTicket(['dst']);
    const frt = metric(await metricsWhen(id, (l) => metric(l, 'first_reply_time'), 'dst clock'), 'first_reply_time');
    assert.equal(frt.breach_at, '2024-03-11T13:30:00Z', 'Monday 09:30 EDT');
  });

  test("pending pauses the requester's wait and the customer's reply resumes it", async () => {
    await setClock('2024-03-12T09:00:00Z');
    const id = await customerTicket(['pause']);
    await metricsWhen(id, (l) => metric(l, 'requester_wait_time')?.stage === 'active', 'clock starts');
    await setClock('2024-03-12T09:30:00Z');
    await agentApi.put(`/api/v2/tickets/${id}.json`, { ticket: { status: 'pending', comment: { body: 'Can you send a photo?' } } }, { expect: 200 });
    await setClock('2024-03-12T14:00:00Z');
    const paused = await metricsWhen(id, (l) => metric(l, 'requester_wait_time')?.stage === 'paused', 'paused');
    const rwt = metric(paused, 'requester_wait_time');
    assert.equal(rwt.breach_at, null);
    assert.deepEqual([rwt.days, rwt.hours, rwt.minutes], [0, 1, 30], '90 of 120 minutes left while paused');
    assert.equal(metric(paused, 'first_reply_time').stage, 'achieved', 'the public reply fulfilled first reply');

    await customerApi.put(`/api/v2/tickets/${id}.json`, { ticket: { comment: { body: 'Here it is' } } }, { expect: 200 });
    const resumed = await metricsWhen(id, (l) => metric(l, 'requester_wait_time')?.stage === 'active', 'resumed');
    assert.equal(metric(resumed, 'requester_wait_time').breach_at, '2024-03-12T15:30:00Z');
  });

  test('a breach is announced exactly once and escalates the ticket, also across a restart', async () => {
    await setClock('2024-03-13T10:00:00Z');
    const late = await customerTicket(['escalate']);
    const onTime = await customerTicket(['escalate']);
    await metricsWhen(onTime, (l) => metric(l, 'first_reply_time')?.breach_at === '2024-03-13T10:30:00Z', 'escalate clocks');
    await setClock('2024-03-13T10:20:00Z');
    await agentApi.put(`/api/v2/tickets/${onTime}.json`, { ticket: { comment: { body: 'Looking now', public: true } } }, { expect: 200 });
    const achieved = await metricsWhen(onTime, (l) => metric(l, 'first_reply_time')?.stage === 'achieved', 'reply achieves');
    assert.equal(metric(achieved, 'first_reply_time').fulfilled_at, '2024-03-13T10:20:00Z');

    await setClock('2024-03-13T10:31:00Z');
    const escalated = await eventually(
      async () => {
        const t = (await api.get(`/api/v2/tickets/${late}.json?include=slas`, { expect: 200 })).body.ticket;
        return t.priority === 'urgent' ? t : null;
      },
      { message: 'escalation' },
    );
    assert.equal(escalated.group_id, tier2.id);
    assert.ok(escalated.tags.includes('sla_escalated'), JSON.stringify(escalated.tags));
    assert.equal(metric(escalated.slas.policy_metrics, 'first_reply_time').stage, 'breached');
    const audits = (await api.get(`/api/v2/tickets/${late}/audits.json`, { expect: 200 })).body.audits;
    const rule = audits.find((a) => a.via.channel === 'rule');
    assert.ok(rule, JSON.stringify(audits.map((a) => a.via)));
    assert.deepEqual(rule.via.source.from, { id: policies.escalate.id, title: 'Escalate', type: 'sla_policy' });
    assert.ok(rule.events.some((e) => e.field_name === 'priority' && e.value === 'urgent'));

    const breachCount = (id) => sql(`SELECT COUNT(*) FROM events WHERE kind = 'sla.breached' AND entity_id = ${id}`);
    assert.equal(await breachCount(late), '1');
    assert.equal(await breachCount(onTime), '0', 'the answered ticket did not breach');
    // More time, more wake-ups: still one.
    await setClock('2024-03-13T12:00:00Z');
    await setClock('2024-03-14T12:00:00Z');
    assert.equal(await breachCount(late), '1');

    // A restart (back on the real clock, long after every March 2024 target) announces what was
    // never announced, and nothing twice. A ticket breached while the server was down is the
    // barrier: once its event is there, the timer has run.
    await setClock('2024-03-15T10:00:00Z');
    const whileDown = await customerTicket(['escalate']);
    await metricsWhen(whileDown, (l) => metric(l, 'first_reply_time')?.stage === 'active', 'clock before restart');
    original = srv;
    assert.deepEqual(await original.kill('SIGTERM'), { code: 0, signal: null });
    srv = await startServer({ db: original.db, skipSetup: true, token: original.token, env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(srv);
    agentApi = api.as(tokenAuth(agent.email, srv.token));
    customerApi = api.as(tokenAuth(customer.email, srv.token));
    await eventually(async () => (await breachCount(whileDown)) === '1', { message: 'breach after restart' });
    assert.equal(await breachCount(late), '1');
  });

  test('the report counts achieved, breached and active instances per policy, metric and group', async () => {
    const q = '/api/v2/slas/report.json?start=2024-03-01&end=2024-04-01';
    const byPolicy = (await api.get(`${q}&group_by=policy`, { expect: 200 })).body.sla_report;
    const esc = byPolicy.rows.find((r) => r.policy_id === policies.escalate.id);
    assert.ok(esc, JSON.stringify(byPolicy));
    assert.deepEqual(
      [esc.label, esc.achieved, esc.breached, esc.active, esc.total],
      ['Escalate', 1, 2, 0, 3],
    );
    assert.deepEqual(esc.achievement, { numerator: 1, denominator: 3, percent: 100 / 3 });
    const byMetric = (await api.get(`${q}&group_by=metric`, { expect: 200 })).body.sla_report;
    assert.ok(byMetric.rows.some((r) => r.metric === 'requester_wait_time'), JSON.stringify(byMetric.rows));
    assert.equal(byMetric.totals.total, byPolicy.totals.total);
    const byGroup = (await api.get(`${q}&group_by=group`, { expect: 200 })).body.sla_report;
    const tier = byGroup.rows.find((r) => r.group_id === tier2.id);
    assert.deepEqual([tier.label, tier.breached], ['Tier 2', 2], 'escalated tickets moved to Tier 2');
    await api.get(`${q}&group_by=colour`, { expect: 400 });
    await api.get('/api/v2/slas/report.json?start=2023-01-01&end=2024-06-01', { expect: 400 });
    await agentApi.get(`${q}&group_by=policy`, { expect: 403 });
  });

  test('the queue lists open tickets nearest breach first, paused last', async () => {
    const { body } = await agentApi.get('/api/v2/slas/queue.json', { expect: 200 });
    const next = body.tickets.map((t) => {
      const running = t.slas.policy_metrics.filter((m) => m.breach_at && !m.fulfilled_at).map((m) => m.breach_at).sort();
      return running[0] ?? null;
    });
    assert.ok(next.length >= 4, JSON.stringify(body.tickets.map((t) => t.id)));
    const dated = next.filter((x) => x !== null);
    assert.deepEqual(dated, [...dated].sort(), 'nearest breach first');
    assert.deepEqual(next.slice(dated.length).every((x) => x === null), true, 'clocks without a breach time come last');
    await customerApi.get('/api/v2/slas/queue.json', { expect: 403 });
  });

  test('the clock can only be set when the server was started for tests', async () => {
    await agentApi.put('/api/v2/testing/clock', { clock: { now: '2024-01-01T00:00:00Z' } }, { expect: 403 });
    const plain = await startServer();
    try {
      await client(plain).put('/api/v2/testing/clock', { clock: { now: '2024-01-01T00:00:00Z' } }, { expect: 404 });
    } finally {
      await stopClean(plain);
    }
  });
});
