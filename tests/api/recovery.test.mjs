// Service recovery as the customer, the recovery agent, the lead and the manager see it: a bad
// answer opens a case (in the rating's own transaction), the case is worked (contacted, notes,
// assigned) and closed with an outcome; closing after reaching the customer sends a follow-up
// survey whose stars, against the stars that opened the case, are the recovery uplift in the
// report. Settings shape when a case opens, who works it and when it is due; permissions keep
// cases to the recovery group and reports to leads and up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { feedbackKit, openStream, utcDate, visibleText } from '../lib/feedback.mjs';
import { startServer } from '../lib/server.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HOUR = 3_600_000;

describe('service recovery', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let fb;
  let amy; // the agent whose customers are unhappy
  let rita; // recovery agent, member of the recovery group
  let oscar; // an agent outside the recovery group
  let lead;
  let qa;
  let manager;
  let eve; // an end user
  let recoveryGroup;
  let as; // {amy, rita, oscar, lead, qa, manager, eve}

  before(async () => {
    srv = await startServer();
    api = client(srv);
    fb = feedbackKit(srv, api);
    recoveryGroup = await fb.group('Recovery desk');
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    rita = await createUser(api, {
      name: 'Rita Recovery',
      email: 'rita@example.com',
      role: 'agent',
      ticket_restriction: null,
      group_ids: [recoveryGroup.id],
    });
    oscar = await createUser(api, { name: 'Oscar Outside', email: 'oscar@example.com', role: 'agent', ticket_restriction: null });
    lead = await createUser(api, { name: 'Lea Lead', email: 'lea@example.com', role: 'agent', rapport_role: 'team_lead' });
    qa = await createUser(api, { name: 'Quinn Quality', email: 'quinn@example.com', role: 'agent', rapport_role: 'qa' });
    manager = await createUser(api, { name: 'Max Manager', email: 'max@example.com', role: 'agent', rapport_role: 'manager' });
    eve = await createUser(api, { name: 'Eve End', email: 'eve@example.com' });
    assert.deepEqual(rita.group_ids, [recoveryGroup.id]);
    as = Object.fromEntries(
      Object.entries({ amy, rita, oscar, lead, qa, manager, eve }).map(([k, u]) => [k, api.as(tokenAuth(u.email, srv.token))]),
    );
    // The deployment's baseline: a recovery group works the cases.
    await fb.putSettings({ recovery_group_id: recoveryGroup.id });
  });
  after(() => stopClean(srv));

  // ---- helpers -------------------------------------------------------------------------------

  async function listCases(query = '', who = api) {
    return (await who.get(`/api/v2/recovery_cases.json?per_page=100${query}`, { expect: 200 })).body.recovery_cases;
  }
  /** The case opened by this rating, as `who` sees it in the list (undefined when not listed). */
  async function caseOf(ratingId, who = api) {
    return (await listCases('', who)).find((c) => c.rating_id === ratingId);
  }
  function showCase(id, who = api, expect = 200) {
    return who.get(`/api/v2/recovery_cases/${id}.json`, { expect });
  }
  function putCase(id, fields, { who = api, expect = 200 } = {}) {
    return who.put(`/api/v2/recovery_cases/${id}.json`, { recovery_case: fields }, { expect });
  }
  async function report(query) {
    return (await api.get(`/api/v2/recovery_cases/report.json?${query}`, { expect: 200 })).body.recovery_report;
  }
  /** Emails queued for the customer of `ticketId` (what the customer would receive). */
  async function outboxFor(ticketId) {
    const rows = await fb.sql(`SELECT kind || '|' || to_address || '|' || subject FROM outbox WHERE ticket_id = ${Number(ticketId)} ORDER BY id`);
    return rows ? rows.split('\n').map((r) => r.split('|')) : [];
  }
  async function customerOf(ticket) {
    return (await api.get(`/api/v2/users/${ticket.requester_id}.json`, { expect: 200 })).body.user;
  }
  /** A rated ticket whose answer opened a case; returns {..., rating, kase}. */
  async function badRating(opts = {}, body = { stars: 1, resolved: false, comment: 'Nothing was fixed.' }) {
    const r = await fb.rated({ agent: amy, subject: 'Broken again', ...opts }, body);
    const kase = await caseOf(r.rating.id);
    assert.ok(kase, `a case for rating ${r.rating.id}`);
    return { ...r, kase };
  }
  const hoursBetween = (a, b) => (Date.parse(b) - Date.parse(a)) / HOUR;

  // ---- the flow ------------------------------------------------------------------------------

  test('the whole flow: bad answer → live event → leaderboard → case → worked, closed → follow-up → uplift in the report', async () => {
    const team = await fb.group('Flow team');
    const stream = await openStream(srv, '?backfill=0');
    try {
      assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const s = await fb.survey({ agent: amy, subject: 'Parcel lost twice', groupId: team.id });

      // Opening the survey page records nothing and opens no case.
      const page = await srv.request('GET', s.path, { auth: 'none', headers: { Accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(visibleText(page.text), /How did Amy do\?/);
      const [req] = await fb.requestsFor(s.ticket.id);
      assert.equal(req.status, 'delivered');
      assert.equal(req.answered_at, null);
      assert.equal((await listCases()).filter((c) => c.ticket_id === s.ticket.id).length, 0);
      const ratingsOfTicket = async () =>
        (await api.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings.filter(
          (r) => r.ticket_id === s.ticket.id,
        );
      assert.deepEqual(await ratingsOfTicket(), []);

      // The customer submits 1 star, "not resolved".
      const startedAt = Date.now();
      const { rating } = await fb.answer(s, { stars: 1, resolved: false, comment: 'Still no parcel.' });
      assert.equal(rating.score, 'bad');
      assert.equal(rating.can_reward, false);

      // It arrives live on the open stream, as one SSE frame: id, event, data.
      const ev = await stream.waitFor((e) => e.event === 'rating' && e.data.id === rating.id, { message: 'the rating event' });
      assert.equal(stream.retry, 3000, 'the stream tells EventSource how soon to reconnect');
      assert.equal(ev.lines.length, 3, JSON.stringify(ev.lines));
      assert.match(ev.lines[0], /^id: \d+$/);
      assert.equal(ev.lines[1], 'event: rating');
      assert.match(ev.lines[2], /^data: \{.*\}$/);
      assert.ok(ev.id > 0);
      const d = ev.data;
      assert.equal(d.ticket_id, s.ticket.id);
      assert.equal(d.ticket_subject, 'Parcel lost twice');
      assert.equal(d.agent_id, amy.id);
      assert.equal(d.agent_name, 'Amy Agent');
      assert.equal(d.group_id, team.id);
      assert.equal(d.kind, 'survey');
      assert.equal(d.stars, 1);
      assert.equal(d.score, 'bad');
      assert.equal(d.resolved, false);
      assert.equal(d.comment, 'Still no parcel.');
      assert.ok(Number.isInteger(d.recovery_case_id), 'the event names the case it opened');
      assert.deepEqual((await ratingsOfTicket()).map((r) => r.id), [rating.id]);

      // The agent is on the team's leaderboard with that one answer.
      const lb = (await api.get(`/api/v2/leaderboards/agents.json?group_id=${team.id}`, { expect: 200 })).body.leaderboard;
      assert.equal(lb.agents.length, 1);
      const row = lb.agents[0];
      assert.equal(row.rank, 1);
      assert.equal(row.agent_id, amy.id);
      assert.equal(row.name, 'Amy Agent');
      assert.equal(row.responses, 1);
      assert.equal(row.average_stars, 1);
      assert.equal(row.csat, 0);
      assert.equal(row.dsat, 100);
      assert.equal(row.fcr, 0);

      // A recovery case exists: for the recovery group, due recovery_due_hours (24) after it opened.
      const kase = await caseOf(rating.id);
      assert.ok(kase, 'a recovery case was opened');
      assert.equal(kase.id, d.recovery_case_id);
      assert.equal(kase.ticket_id, s.ticket.id);
      assert.equal(kase.agent_id, amy.id);
      assert.equal(kase.requester_id, s.ticket.requester_id);
      assert.equal(kase.team_group_id, team.id);
      assert.equal(kase.group_id, recoveryGroup.id);
      assert.equal(kase.status, 'open');
      assert.equal(kase.trigger, 'low_stars', '1 star is at or below the threshold (2): low stars wins over not resolved');
      assert.equal(kase.trigger_stars, 1);
      assert.equal(kase.assignee_id, null);
      assert.equal(kase.outcome, null);
      assert.deepEqual(kase.notes, []);
      assert.equal(kase.follow_up, null);
      assert.equal(kase.overdue, false);
      assert.equal(kase.closed_within_due, null);
      for (const k of ['created_at', 'updated_at', 'due_at']) assert.match(kase[k], ISO, k);
      assert.equal(hoursBetween(kase.created_at, kase.due_at), 24);
      assert.ok(Date.parse(kase.created_at) >= Math.floor(startedAt / 1000) * 1000 - 1000);
      assert.deepEqual((await showCase(kase.id)).body.recovery_case, kase);

      // Worked: contacted with a note, assigned to Rita.
      const contacted = (await putCase(kase.id, { status: 'contacted', note: 'Called the customer; a new parcel is on its way.' }, { who: as.lead }))
        .body.recovery_case;
      assert.equal(contacted.status, 'contacted');
      assert.match(contacted.contacted_at, ISO);
      assert.equal(contacted.notes.length, 1);
      assert.equal(contacted.notes[0].author_id, lead.id);
      assert.equal(contacted.notes[0].body, 'Called the customer; a new parcel is on its way.');
      assert.match(contacted.notes[0].created_at, ISO);
      const assigned = (await putCase(kase.id, { assignee_id: rita.id }, { who: as.lead })).body.recovery_case;
      assert.equal(assigned.assignee_id, rita.id);
      assert.equal(assigned.status, 'contacted');
      assert.deepEqual(assigned.notes, contacted.notes);

      // Closing needs an outcome; the refused close changes nothing.
      const noOutcome = await putCase(kase.id, { status: 'closed' }, { who: as.rita, expect: 422 });
      assert.equal(noOutcome.body.error, 'RecordInvalid');
      assert.equal(noOutcome.body.details.outcome[0].description, 'Outcome: is required to close a case');
      const still = (await showCase(kase.id)).body.recovery_case;
      assert.equal(still.status, 'contacted');
      assert.equal(still.closed_at, null);
      assert.equal(still.follow_up, null);
      assert.deepEqual(await outboxFor(s.ticket.id), [], 'no email to the customer yet');

      const closed = (await putCase(kase.id, { status: 'closed', outcome: 'recovered' }, { who: as.rita })).body.recovery_case;
      assert.equal(closed.status, 'closed');
      assert.equal(closed.outcome, 'recovered');
      assert.match(closed.closed_at, ISO);
      assert.equal(closed.closed_within_due, true);
      assert.equal(closed.overdue, false);
      assert.ok(closed.follow_up, 'closing after reaching the customer sends a follow-up');
      assert.equal(closed.follow_up.stars, null);

      // The follow-up survey is listed on the ticket, rating Rita (who recovered it), and the
      // customer gets it by email.
      const reqs = await fb.requestsFor(s.ticket.id);
      assert.equal(reqs.length, 2);
      assert.equal(reqs[0].kind, 'survey');
      assert.equal(reqs[0].status, 'answered');
      const fu = reqs[1];
      assert.equal(fu.id, closed.follow_up.request_id);
      assert.equal(fu.kind, 'follow_up');
      assert.equal(fu.agent.id, rita.id);
      assert.equal(fu.agent.name, 'Rita Recovery');
      assert.equal(fu.channel, 'email');
      assert.equal(fu.answered_at, null);
      assert.match(fu.url, new RegExp(`^${srv.baseUrl}/s/\\d+\\.\\d+\\.[0-9a-f]{40}$`));
      const customer = await customerOf(s.ticket);
      assert.deepEqual(await outboxFor(s.ticket.id), [['feedback_request', customer.email, `Did we make it right? [#${s.ticket.id}]`]]);

      // The follow-up page names Rita; the customer answers 4 stars.
      const fuLink = fb.linkOf(fu);
      const fuPage = await srv.request('GET', fuLink.path, { auth: 'none', headers: { Accept: 'text/html' } });
      assert.equal(fuPage.status, 200);
      assert.match(visibleText(fuPage.text), /How did Rita do\?/);
      const fuAnswer = await fb.answer(fuLink, { stars: 4, resolved: true, comment: 'Rita sorted it out.' });
      const fuEvent = await stream.waitFor((e) => e.event === 'rating' && e.data.id === fuAnswer.rating.id);
      assert.equal(fuEvent.data.kind, 'follow_up');
      assert.equal(fuEvent.data.agent_id, rita.id);
      assert.equal(fuEvent.data.recovery_case_id, null, 'a follow-up answer opens no new case');
      assert.ok(fuEvent.id > ev.id);

      const done = (await showCase(kase.id)).body.recovery_case;
      assert.deepEqual(done.follow_up, { request_id: fu.id, status: 'answered', stars: 4 });
      assert.equal((await listCases()).filter((c) => c.ticket_id === s.ticket.id).length, 1, 'still one case for the ticket');
      // The ticket still shows the customer's original rating.
      const ticket = (await api.get(`/api/v2/tickets/${s.ticket.id}.json`, { expect: 200 })).body.ticket;
      assert.equal(ticket.satisfaction_rating.id, rating.id);

      // The report for the team: one case, closed within due, recovered; uplift 4 / 1.
      const rep = await report(`group_id=${team.id}`);
      assert.equal(rep.teams.length, 1);
      const expected = {
        cases: 1,
        closed: 1,
        closed_within_due: 1,
        closed_within_due_pct: 100,
        overdue_open: 0,
        outcomes: { recovered: 1, not_recovered: 0, unreachable: 0 },
        follow_ups_sent: 1,
        follow_ups_answered: 1,
        trigger_mean_stars: 1,
        follow_up_mean_stars: 4,
        uplift: 4,
      };
      assert.deepEqual(rep.teams[0], { ...expected, group_id: team.id, group_name: 'Flow team' });
      assert.deepEqual(rep.total, expected);
      assert.equal(rep.to.slice(0, 10), utcDate(1), '`to` is inclusive: the report runs to the end of today');
    } finally {
      await stream.close();
    }
  });

  test('closing as unreachable sends no follow-up; not_recovered does (the customer was reached)', async () => {
    const unreachable = await badRating({ subject: 'Nobody answers the phone' }, { stars: 2, comment: 'Meh.' });
    assert.equal(unreachable.kase.trigger, 'low_stars');
    assert.equal(unreachable.kase.trigger_stars, 2);
    const closed = (await putCase(unreachable.kase.id, { status: 'closed', outcome: 'unreachable', note: 'Three calls, no answer.' }, { who: as.rita }))
      .body.recovery_case;
    assert.equal(closed.status, 'closed');
    assert.equal(closed.outcome, 'unreachable');
    assert.equal(closed.contacted_at, null, 'an unreachable customer was never contacted');
    assert.equal(closed.follow_up, null);
    assert.equal(closed.notes.length, 1);
    assert.equal((await fb.requestsFor(unreachable.ticket.id)).length, 1, 'only the original survey');
    assert.deepEqual(await outboxFor(unreachable.ticket.id), [], 'no email to the customer');

    const notRecovered = await badRating({ subject: 'Refund refused' });
    const closed2 = (await putCase(notRecovered.kase.id, { status: 'closed', outcome: 'not_recovered' }, { who: as.rita })).body
      .recovery_case;
    assert.match(closed2.contacted_at, ISO, 'closing as not recovered means the customer was reached');
    assert.ok(closed2.follow_up);
    const reqs = await fb.requestsFor(notRecovered.ticket.id);
    assert.deepEqual(reqs.map((r) => r.kind), ['survey', 'follow_up']);
    // Nobody was assigned: the follow-up rates the agent the customer first rated.
    assert.equal(reqs[1].agent.id, amy.id);
  });

  test('a closed case cannot be reopened or re-decided, only annotated', async () => {
    const { kase } = await badRating({ subject: 'Closed for good' });
    await putCase(kase.id, { status: 'closed', outcome: 'recovered' }, { who: as.lead });
    const before = (await showCase(kase.id)).body.recovery_case;
    for (const fields of [{ status: 'open' }, { status: 'contacted' }, { outcome: 'not_recovered' }, { status: 'open', note: 'reopen' }]) {
      const res = await putCase(kase.id, fields, { who: as.lead, expect: 422 });
      assert.equal(res.body.details.status[0].description, 'Status: a closed case cannot be changed; add a note instead', JSON.stringify(fields));
    }
    assert.deepEqual((await showCase(kase.id)).body.recovery_case, before, 'the refused changes left the case as it was');
    const noted = (await putCase(kase.id, { note: 'Customer wrote back to say thanks.' }, { who: as.lead })).body.recovery_case;
    assert.equal(noted.status, 'closed');
    assert.equal(noted.outcome, 'recovered');
    assert.deepEqual(noted.notes.map((n) => n.body), ['Customer wrote back to say thanks.']);
    assert.deepEqual(noted.follow_up, before.follow_up, 'no second follow-up');
    assert.equal((await fb.requestsFor(kase.ticket_id)).length, 2);
  });

  test('bad updates are refused with the field named', async () => {
    const { kase } = await badRating({ subject: 'Validation case' });
    const cases = [
      [{ status: 'done' }, 'status', 'Status: must be open, contacted or closed'],
      [{ status: 'closed', outcome: 'fixed' }, 'outcome', 'Outcome: must be recovered, not_recovered or unreachable'],
      [{ assignee_id: eve.id }, 'assignee_id', 'Assignee: must be an active agent'],
      [{ assignee_id: 999999 }, 'assignee_id', 'Assignee: must be an active agent'],
    ];
    for (const [fields, field, message] of cases) {
      const res = await putCase(kase.id, fields, { expect: 422 });
      assert.equal(res.body.details?.[field]?.[0]?.description, message, `${JSON.stringify(fields)}: ${res.text}`);
    }
    await api.put(`/api/v2/recovery_cases/${kase.id}.json`, { status: 'closed' }, { expect: 400 }); // no wrapper
    await putCase(999999, { note: 'x' }, { expect: 404 });
    assert.equal((await showCase(kase.id)).body.recovery_case.status, 'open');
    await api.get('/api/v2/recovery_cases.json?status=bogus', { expect: 400 });
    await api.get('/api/v2/recovery_cases.json?agent_id=abc', { expect: 400 });
  });

  test('list filters: status, assignee, agent', async () => {
    const a = await badRating({ subject: 'Filter A' });
    const b = await badRating({ subject: 'Filter B' });
    await putCase(a.kase.id, { assignee_id: oscar.id, status: 'contacted' });
    const ids = async (q) => (await listCases(q)).map((c) => c.id);
    assert.ok((await ids(`&assignee_id=${oscar.id}`)).includes(a.kase.id));
    assert.ok(!(await ids(`&assignee_id=${oscar.id}`)).includes(b.kase.id));
    assert.ok((await ids('&status=contacted')).includes(a.kase.id));
    assert.ok(!(await ids('&status=open')).includes(a.kase.id));
    assert.ok((await ids('&status=open')).includes(b.kase.id));
    assert.ok((await ids('&status=active')).includes(a.kase.id) && (await ids('&status=active')).includes(b.kase.id));
    assert.ok((await listCases(`&agent_id=${amy.id}`)).every((c) => c.agent_id === amy.id));
    assert.deepEqual(await ids(`&agent_id=${oscar.id}`), []);
    assert.ok(!(await ids('&overdue=true')).includes(b.kase.id), 'due tomorrow: not overdue');
    // Oscar, an agent outside the recovery group, sees the case assigned to him in his list.
    assert.deepEqual(
      (await listCases('', as.oscar)).map((c) => c.id),
      [a.kase.id],
      'an agent outside the recovery group sees only the cases assigned to them',
    );
    await putCase(a.kase.id, { status: 'closed', outcome: 'recovered' }, { who: as.oscar });
    assert.ok(!(await ids('&status=active')).includes(a.kase.id));
  });

  // ---- settings ------------------------------------------------------------------------------

  test('settings: recovery_threshold, recovery_group_id and recovery_due_hours take effect', async () => {
    const other = await fb.group('Second-line recovery');
    const olga = await createUser(api, {
      name: 'Olga Other',
      email: 'olga@example.com',
      role: 'agent',
      ticket_restriction: null,
      group_ids: [other.id],
    });
    const asOlga = api.as(tokenAuth(olga.email, srv.token));
    try {
      // Threshold 3: a 3-star answer (resolved) opens a case.
      await fb.putSettings({ recovery_threshold: 3 });
      const three = await fb.rated({ agent: amy, subject: 'Threshold three' }, { stars: 3, resolved: true });
      const k3 = await caseOf(three.rating.id);
      assert.ok(k3, '3 stars open a case when the threshold is 3');
      assert.equal(k3.trigger, 'low_stars');
      assert.equal(k3.trigger_stars, 3);

      // Threshold 1: 2 stars (resolved) open nothing; 2 stars "not resolved" do, as not_resolved.
      await fb.putSettings({ recovery_threshold: 1 });
      const twoOk = await fb.rated({ agent: amy, subject: 'Threshold one, resolved' }, { stars: 2, resolved: true });
      assert.equal(await caseOf(twoOk.rating.id), undefined, '2 stars are above a threshold of 1');
      const twoNo = await fb.rated({ agent: amy, subject: 'Threshold one, unresolved' }, { stars: 2, resolved: false });
      const kNo = await caseOf(twoNo.rating.id);
      assert.equal(kNo.trigger, 'not_resolved');
      assert.equal(kNo.trigger_stars, 2);
      // Whatever the stars: "not resolved" opens a case; 5 stars with no answer to the question do not.
      const fourNo = await fb.rated({ agent: amy, subject: 'Happy but unresolved' }, { stars: 4, resolved: false });
      assert.equal((await caseOf(fourNo.rating.id)).trigger, 'not_resolved');
      const five = await fb.rated({ agent: amy, subject: 'All good' }, { stars: 5 });
      assert.equal(await caseOf(five.rating.id), undefined);

      // Due hours and the recovery group: the next case is due in 48 h and goes to Olga's group.
      await fb.putSettings({ recovery_threshold: 2, recovery_due_hours: 48, recovery_group_id: other.id });
      const moved = await badRating({ subject: 'Second line please' });
      assert.equal(hoursBetween(moved.kase.created_at, moved.kase.due_at), 48);
      assert.equal(moved.kase.group_id, other.id);
      assert.ok((await listCases('', asOlga)).some((c) => c.id === moved.kase.id), 'the new recovery group sees the case');
      assert.ok(!(await listCases('', as.rita)).some((c) => c.id === moved.kase.id), 'the old group does not');
      await showCase(moved.kase.id, as.rita, 404);
      await showCase(moved.kase.id, asOlga, 200);
      // Cases opened before the change keep their group and due time.
      assert.equal(k3.group_id, recoveryGroup.id);
      assert.equal(hoursBetween(k3.created_at, k3.due_at), 24);
      assert.equal((await showCase(k3.id)).body.recovery_case.due_at, k3.due_at);

      // No recovery group: cases wait unassigned for a lead.
      await fb.putSettings({ recovery_group_id: null });
      const orphan = await badRating({ subject: 'No recovery group' });
      assert.equal(orphan.kase.group_id, null);
      assert.ok(!(await listCases('', asOlga)).some((c) => c.id === orphan.kase.id));
      assert.ok((await listCases('', as.lead)).some((c) => c.id === orphan.kase.id));

      for (const bad of [{ recovery_due_hours: 0 }, { recovery_due_hours: 721 }, { recovery_threshold: 0 }, { recovery_threshold: 5 }]) {
        const res = await fb.putSettings(bad, { expect: 422 });
        assert.ok(res.body.details?.[Object.keys(bad)[0]], `${JSON.stringify(bad)}: ${res.text}`);
      }
    } finally {
      await fb.putSettings({ recovery_threshold: 2, recovery_due_hours: 24, recovery_group_id: recoveryGroup.id });
    }
    const settings = (await api.get('/api/v2/feedback/settings.json', { expect: 200 })).body.feedback_settings;
    assert.equal(settings.recovery_threshold, 2);
    assert.equal(settings.recovery_due_hours, 24);
    assert.equal(settings.recovery_group_id, recoveryGroup.id);
  });

  // ---- permissions ---------------------------------------------------------------------------

  test('permissions: cases stay with the recovery group and leads; reports are for leads and up', async () => {
    const { kase } = await badRating({ subject: 'Who may see this' });

    // The recovery group works it; leads, QA, managers and admins see it.
    for (const who of ['rita', 'lead', 'qa', 'manager']) {
      assert.ok((await listCases('', as[who])).some((c) => c.id === kase.id), `${who} lists the case`);
      assert.equal((await showCase(kase.id, as[who])).body.recovery_case.id, kase.id, `${who} opens the case`);
    }
    await putCase(kase.id, { note: 'Rita looked at it' }, { who: as.rita });

    // Agents outside the group (including the rated agent) neither list nor open nor change it.
    for (const who of ['oscar', 'amy']) {
      assert.ok(!(await listCases('', as[who])).some((c) => c.id === kase.id), `${who} does not list the case`);
      assert.deepEqual((await showCase(kase.id, as[who], 404)).body, NOT_FOUND);
      assert.deepEqual((await putCase(kase.id, { note: 'sneaky' }, { who: as[who], expect: 404 })).body, NOT_FOUND);
    }

    // End users and anonymous callers.
    assert.deepEqual((await as.eve.get('/api/v2/recovery_cases.json', { expect: 403 })).body, FORBIDDEN);
    await showCase(kase.id, as.eve, 404);
    await putCase(kase.id, { status: 'closed', outcome: 'recovered' }, { who: as.eve, expect: 404 });
    assert.deepEqual((await api.get('/api/v2/recovery_cases.json', { auth: 'none', expect: 401 })).body, UNAUTHENTICATED);
    await api.get(`/api/v2/recovery_cases/${kase.id}.json`, { auth: 'none', expect: 401 });
    await api.get('/api/v2/recovery_cases/report.json', { auth: 'none', expect: 401 });

    // Reports: agents (even in the recovery group) and end users are refused.
    for (const who of ['rita', 'oscar', 'amy', 'eve']) {
      assert.deepEqual((await as[who].get('/api/v2/recovery_cases/report.json', { expect: 403 })).body, FORBIDDEN, who);
    }
    for (const who of ['lead', 'qa', 'manager']) {
      const rep = (await as[who].get('/api/v2/recovery_cases/report.json', { expect: 200 })).body.recovery_report;
      assert.ok(rep.total.cases >= 1, who);
    }
    // The case is untouched by the refused attempts.
    const now = (await showCase(kase.id)).body.recovery_case;
    assert.equal(now.status, 'open');
    assert.deepEqual(now.notes.map((n) => n.body), ['Rita looked at it']);
  });

  test('report: date range and bad parameters', async () => {
    const team = await fb.group('Report range team');
    await badRating({ subject: 'In range', groupId: team.id });
    const today = utcDate();
    const inRange = await report(`group_id=${team.id}&from=${today}&to=${today}`);
    assert.equal(inRange.total.cases, 1);
    assert.equal(inRange.total.closed_within_due_pct, null, 'no closed case: no percentage');
    assert.equal(inRange.total.uplift, null, 'no answered follow-up: no uplift');
    assert.equal(inRange.from, `${today}T00:00:00Z`);
    assert.equal(inRange.to, `${utcDate(1)}T00:00:00Z`);
    const yesterday = await report(`group_id=${team.id}&from=${utcDate(-3)}&to=${utcDate(-1)}`);
    assert.equal(yesterday.total.cases, 0);
    assert.deepEqual(yesterday.teams, []);
    for (const q of ['from=yesterday', 'to=2026-13-45', `from=${utcDate(1)}&to=${today}`, 'group_id=abc']) {
      const res = await api.get(`/api/v2/recovery_cases/report.json?${q}`, { expect: 400 });
      assert.ok(res.body.description, `${q}: ${res.text}`);
    }
  });
});
