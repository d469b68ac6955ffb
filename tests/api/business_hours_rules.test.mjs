// Triggers that ask about business hours, as an admin and a customer see them: an auto-reply
// "we're closed" fires on tickets that arrive outside the hours of the ticket's schedule (the
// default one, or the one its SLA policy names) and not inside them, across a weekend, a holiday
// and a DST change; `within_schedule` asks a named schedule. The server runs with the test-only
// clock, so each ticket arrives at a set instant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const cond = (field, operator, value) => ({ field, operator, value });
const act = (field, value) => ({ field, value });
const CLOSED = "Thanks for writing. We're closed right now and will answer when we open.";
// Monday to Friday 09:00-17:00 local time, in minutes from Sunday 00:00.
const office = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 }));

describe('business hours in triggers', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let cara;

  before(async () => {
    srv = await startServer({ env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(srv);
    cara = await createUser(api, { name: 'Cara Customer', email: 'cara@example.com' });
    await api.post(
      '/api/v2/triggers.json',
      {
        trigger: {
          title: "We're closed",
          conditions: { all: [cond('update_type', 'is', 'Create'), cond('within_business_hours', 'is', false)] },
          actions: [act('comment_value', CLOSED), act('comment_mode_is_public', true), act('current_tags', 'after_hours')],
        },
      },
      { expect: 201 },
    );
  });
  after(async () => {
    await stopClean(srv);
  });

  // A ticket from Cara arriving at `iso`; returns what she sees: the public comments' bodies and the tags.
  const arrive = async (iso, tags = []) => {
    await api.put('/api/v2/testing/clock', { clock: { now: iso } }, { expect: 200 });
    const { body } = await api.post(
      '/api/v2/tickets.json',
      { ticket: { subject: `Help at ${iso}`, comment: { body: 'Hello?', author_id: cara.id }, requester_id: cara.id, tags } },
      { expect: 201 },
    );
    const comments = (await api.get(`/api/v2/tickets/${body.ticket.id}/comments.json`, { expect: 200 })).body.comments;
    return { replies: comments.filter((c) => c.public).map((c) => c.body).slice(1), tags: body.ticket.tags };
  };
  const closedReply = async (iso, tags) => (await arrive(iso, tags)).replies.includes(CLOSED);

  test('without any schedule the hours are 24x7, so nothing is ever "closed"', async () => {
    assert.equal(await closedReply('2024-03-02T03:00:00Z'), false); // Saturday night
  });

  test('the default schedule: closed over the weekend and on a holiday, open on Monday', async () => {
    const berlin = (
      await api.post(
        '/api/v2/business_hours/schedules.json',
        { schedule: { name: 'Berlin office', time_zone: 'Europe/Berlin', intervals: office } },
        { expect: 201 },
      )
    ).body.schedule;
    await api.post(
      `/api/v2/business_hours/schedules/${berlin.id}/holidays.json`,
      { holiday: { name: 'Closed Tuesday', start_date: '2024-03-12', end_date: '2024-03-12' } },
      { expect: 201 },
    );
    // The test clock only moves forward: Friday afternoon, Saturday, Monday, the holiday.
    assert.equal(await closedReply('2024-03-08T15:59:00Z'), false, 'Friday 16:59 in Berlin is open');
    assert.equal(await closedReply('2024-03-08T16:00:00Z'), true, 'Friday 17:00 in Berlin is closed');
    const saturday = await arrive('2024-03-09T11:00:00Z');
    assert.deepEqual(saturday.replies, [CLOSED]);
    assert.ok(saturday.tags.includes('after_hours'));
    const monday = await arrive('2024-03-11T09:00:00Z'); // 10:00 CET
    assert.deepEqual(monday.replies, []);
    assert.ok(!monday.tags.includes('after_hours'));
    assert.equal(await closedReply('2024-03-12T09:00:00Z'), true, 'the holiday is closed all day');
    assert.equal(await closedReply('2024-03-13T09:00:00Z'), false);
  });

  test('opening hours follow the local clock across the DST change', async () => {
    // 07:30 UTC is 08:30 in Berlin before the change (closed) and 09:30 after it (open).
    assert.equal(await closedReply('2024-03-29T07:30:00Z'), true);
    assert.equal(await closedReply('2024-04-01T07:30:00Z'), false);
  });

  test("a ticket's SLA policy decides its schedule; within_schedule asks a named one", async () => {
    const ny = (
      await api.post(
        '/api/v2/business_hours/schedules.json',
        { schedule: { name: 'New York', time_zone: 'America/New_York', intervals: office } },
        { expect: 201 },
      )
    ).body.schedule;
    await api.post(
      '/api/v2/slas/policies.json',
      {
        sla_policy: {
          title: 'US customers',
          filter: { all: [cond('current_tags', 'includes', 'us')], any: [] },
          policy_metrics: [{ priority: 'normal', metric: 'first_reply_time', target: 60, business_hours: true }],
          schedule_id: ny.id,
        },
      },
      { expect: 201 },
    );
    await api.post(
      '/api/v2/triggers.json',
      {
        trigger: {
          title: 'New York is open',
          conditions: { all: [cond('update_type', 'is', 'Create'), cond('within_schedule', 'is', String(ny.id))] },
          actions: [act('current_tags', 'ny_open')],
        },
      },
      { expect: 201 },
    );
    // Monday 2024-04-08, 12:30 UTC: 08:30 in New York (closed), 14:30 in Berlin (open).
    const early = await arrive('2024-04-08T12:30:00Z', ['us']);
    assert.deepEqual(early.replies, [CLOSED]);
    assert.ok(!early.tags.includes('ny_open'));
    assert.equal(await closedReply('2024-04-08T12:30:00Z'), false, 'the same instant is open in Berlin');
    // 17:30 UTC: 19:30 in Berlin (closed), 13:30 in New York (open).
    const plain = await arrive('2024-04-08T17:30:00Z');
    assert.deepEqual(plain.replies, [CLOSED]);
    assert.ok(plain.tags.includes('ny_open'));
    const us = await arrive('2024-04-08T17:30:00Z', ['us']);
    assert.deepEqual(us.replies, []);

    const bad = await api.post(
      '/api/v2/triggers.json',
      {
        trigger: {
          title: 'Nowhere',
          conditions: { all: [cond('within_schedule', 'is', 999999)] },
          actions: [act('current_tags', 'x')],
        },
      },
      { expect: 422 },
    );
    assert.equal(bad.body.details.conditions[0].description, 'Conditions all[0]: schedule 999999 does not exist');
  });
});
