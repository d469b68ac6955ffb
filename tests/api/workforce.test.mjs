// Workforce planning as a planner and the agents see it: a forecast from the ticket history with
// its accuracy, a staffing plan that agrees with the staffing calculator, what-ifs, a peak hiring
// plan, agent presence and the event routing will read, and who may do what.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createUser, newToken, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

const DAY = 86_400;

async function sql(srv, query) {
  return (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
}

describe('workforce', { timeout: 180_000 }, () => {
  let srv;
  let api;
  let as; // role -> client
  let agent;
  let todayUtc; // epoch seconds of today's UTC midnight
  // Per past day: does it carry the weekday pattern? (Monday-Friday, UTC)
  const isWeekday = (epoch) => {
    const wd = new Date(epoch * 1000).getUTCDay();
    return wd >= 1 && wd <= 5;
  };

  before(async () => {
    srv = await startServer();
    api = client(srv, { auth: 'token' });
    const people = {
      agent: { name: 'Ann Agent', email: 'ann@example.com', role: 'agent' },
      lead: { name: 'Lee Lead', email: 'lee@example.com', role: 'agent', rapport_role: 'team_lead' },
      manager: { name: 'Max Manager', email: 'max@example.com', role: 'agent', rapport_role: 'manager' },
    };
    as = { admin: api };
    for (const [role, fields] of Object.entries(people)) {
      const user = await createUser(api, fields);
      if (role === 'agent') agent = user;
      as[role] = client(srv, { auth: tokenAuth(fields.email, await newToken(srv, fields.email)) });
    }

    // Four weeks of history, written straight into the database because no API backdates a ticket:
    // on weekdays 3 email tickets at 09:10 UTC and 1 at 14:40, and every day 1 web ticket at 11:00.
    todayUtc = Math.floor(Date.now() / 1000 / DAY) * DAY;
    const requester = Number(await sql(srv, "SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1"));
    const rows = [];
    const row = (at, channel) => rows.push(`(${requester}, ${requester}, '${channel}', 'history', ${at}, ${at}, ${at})`);
    for (let d = 1; d <= 28; ++d) {
      const day = todayUtc - d * DAY;
      if (isWeekday(day)) {
        for (let i = 0; i < 3; ++i) row(day + 9 * 3600 + 600 + i, 'email');
        row(day + 14 * 3600 + 2400, 'email');
      }
      row(day + 11 * 3600, 'web');
    }
    await sql(
      srv,
      `INSERT INTO tickets (requester_id, submitter_id, channel, subject, created_at, updated_at, generated_ts) VALUES ${rows.join(',')};`,
    );
  });

  after(() => stopClean(srv));

  const FORECAST = '/api/v2/workforce/forecast?channel=email&interval=60m&history_weeks=4&weeks=1&holdout_weeks=2';

  test('a forecast repeats the weekly pattern of the history and reports its accuracy', async () => {
    const { body } = await as.lead.get(FORECAST, { expect: 200 });
    const f = body.forecast;
    assert.equal(f.channel, 'email');
    assert.equal(f.time_zone, 'UTC');
    assert.equal(f.interval_minutes, 60);
    assert.equal(f.intervals_per_day, 24);
    assert.equal(f.start, new Date(todayUtc * 1000).toISOString().slice(0, 10));
    assert.equal(f.days, 7);
    assert.equal(f.volume.length, 7 * 24);
    assert.equal(f.history.days, 28);
    assert.equal(f.history.volume.length, 28 * 24);
    for (let d = 0; d < 7; ++d) {
      const weekday = isWeekday(todayUtc + d * DAY);
      const at = (h) => f.volume[d * 24 + h];
      assert.ok(Math.abs(at(9) - (weekday ? 3 : 0)) < 1e-6, `day ${d} 09:00: ${at(9)}`);
      assert.ok(Math.abs(at(14) - (weekday ? 1 : 0)) < 1e-6, `day ${d} 14:00: ${at(14)}`);
      assert.ok(Math.abs(at(11)) < 1e-6, `day ${d} 11:00 has only web tickets: ${at(11)}`);
      for (let h = 0; h < 24; ++h) {
        assert.ok(f.lower[d * 24 + h] <= f.volume[d * 24 + h] + 1e-9);
        assert.ok(f.upper[d * 24 + h] >= f.volume[d * 24 + h] - 1e-9);
      }
    }
    // The history repeats exactly, so the held-out weeks are forecast without error.
    assert.equal(f.accuracy.holdout_weeks, 2);
    assert.equal(f.accuracy.intervals, 14 * 24);
    assert.ok(f.accuracy.mape < 1e-9 && f.accuracy.smape < 1e-9, JSON.stringify(f.accuracy));
    assert.equal(f.accuracy.zero_actual_intervals, 14 * 24 - 10 * 2);
    assert.match(f.model.method, /Holt-Winters/);
  });

  test('bad forecast parameters are 400s that say what is wrong', async () => {
    const bad = async (query, pattern) => {
      const { body } = await as.manager.get(`/api/v2/workforce/forecast?${query}`, { expect: 400 });
      assert.match(body.description, pattern);
    };
    await bad('interval=20m', /interval must be 15m, 30m or 60m/);
    await bad('time_zone=Mars/Olympus', /unknown IANA zone 'Mars\/Olympus'/);
    await bad('history_weeks=2&holdout_weeks=2', /at least 14 days of history before the 2 held-out weeks, i.e. 28 days; got 14/);
    await bad('holidays=2026-13-40', /DATE\[:FACTOR\[:WEEKDAY\]\]/);
  });

  test('a plan from the forecast staffs each interval as the calculator does, with a what-if', async () => {
    const plan = {
      channel: 'email',
      interval: '60m',
      history_weeks: 4,
      holdout_weeks: 2,
      weeks: 1,
      aht_s: 900,
      target: { service_level: 0.8, threshold_s: 20 },
      shrinkage: 0.25,
      what_if: { volume_change: 0.2, aht_change_s: -60 },
    };
    const { body } = await as.manager.post('/api/v2/workforce/plans', { plan }, { expect: 200 });
    const p = body.plan;
    assert.equal(p.source, 'forecast');
    assert.equal(p.forecast_accuracy.holdout_weeks, 2);
    assert.equal(p.base.required.length, 7 * 24);
    const weekdayIndex = [...Array(7).keys()].find((d) => isWeekday(todayUtc + d * DAY));
    const i = weekdayIndex * 24 + 9;
    const calc = async (volume, aht) =>
      (await as.manager.get(`/api/v2/workforce/staffing?volume=${volume}&interval=60m&aht=${aht}s&target=80/20&shrinkage=25%25`, { expect: 200 })).body;
    const base = await calc(3, 900);
    assert.equal(p.base.required[i], base.answer);
    assert.equal(p.base.scheduled[i], base.scheduled);
    const changed = await calc(3.6, 840);
    assert.equal(p.what_if.required[i], changed.answer);
    assert.equal(p.what_if.scheduled[i], changed.scheduled);
    assert.equal(p.base.required[weekdayIndex * 24 + 3], 0); // nobody at 03:00
    // FTE: scheduled agent-hours over a 40-hour week.
    const hours = p.base.scheduled.reduce((a, n) => a + n, 0);
    assert.ok(Math.abs(p.base.totals.fte - hours / 40) < 1e-9);
    assert.ok(Math.abs(p.what_if.fte_change - (p.what_if.totals.fte - p.base.totals.fte)) < 1e-9);
    assert.deepEqual(p.what_if.changes, { volume_change: 0.2, aht_change_s: -60, target: null, shrinkage: null });
  });

  test('a plan on a given volume; every bad field is named at once', async () => {
    const plan = { volume: Array(48).fill(100), start: '2027-01-04', aht_s: 180, shrinkage: 0.3 };
    const { body } = await as.admin.post('/api/v2/workforce/plans', { plan }, { expect: 200 });
    assert.equal(body.plan.start, '2027-01-04');
    assert.equal(body.plan.base.required[0], 14); // 10 erlangs, 80/20 (the default target)
    assert.equal(body.plan.base.scheduled[0], 20);
    assert.equal(body.plan.what_if, null);

    const bad = await as.admin.post(
      '/api/v2/workforce/plans',
      { plan: { volume: [1, 'x'], shrinkage: '30%', target: { asa_s: 'soon' } } },
      { expect: 422 },
    );
    assert.deepEqual(Object.keys(bad.body.details).sort(), ['aht_s', 'shrinkage', 'target.asa_s', 'target.service_level', 'volume']);
    const partial = await as.admin.post('/api/v2/workforce/plans', { plan: { volume: Array(47).fill(1), aht_s: 180 } }, { expect: 400 });
    assert.match(partial.body.description, /whole days of 48 intervals \(got 47\)/);
  });

  test('a peak plan says when hiring must start and how many to hire', async () => {
    const peak = { current_agents: 100, required_at_peak: 130, weeks_to_peak: 26, ramp: [0.6, 0.7, 0.8], training_weeks: 4 };
    const { body } = await as.manager.post('/api/v2/workforce/peak', { peak }, { expect: 200 });
    assert.equal(body.peak.latest_full_ramp_start_week, 8);
    assert.equal(body.peak.late, false);
    assert.deepEqual(body.peak.recommended, { start_week: 8, productivity: 1, retained: 1, hires: 30 });
    assert.equal(body.peak.options[9].hires, 38); // a week later they are at 80 % at the peak

    const late = await as.manager.post('/api/v2/workforce/peak', { peak: { ...peak, weeks_to_peak: 10 } }, { expect: 200 });
    assert.equal(late.body.peak.late, true);
    assert.equal(late.body.peak.recommended.start_week, 0);
    assert.equal(late.body.peak.recommended.hires, 43);

    const bad = await as.manager.post('/api/v2/workforce/peak', { peak: { ramp: [0.6, 'x'] } }, { expect: 422 });
    assert.deepEqual(Object.keys(bad.body.details).sort(), ['current_agents', 'ramp', 'required_at_peak', 'weeks_to_peak']);
  });

  test('managers and admins plan, team leads read forecasts, agents neither', async () => {
    await as.agent.get(FORECAST, { expect: 403 });
    const plan = { volume: Array(24).fill(1), interval: '60m', aht_s: 180 };
    for (const who of ['agent', 'lead']) {
      const r = await as[who].post('/api/v2/workforce/plans', { plan }, { expect: 403 });
      assert.equal(r.body.error, FORBIDDEN.error);
      await as[who].post('/api/v2/workforce/peak', { peak: {} }, { expect: 403 });
    }
    await as.manager.post('/api/v2/workforce/plans', { plan }, { expect: 200 });
    const anon = await srv.request('GET', FORECAST, { auth: 'none' });
    assert.equal(anon.status, 401);
  });

  test('agents set their own presence; leads read it; each change is one event', async () => {
    const me = '/api/v2/agents/me/presence';
    const first = await as.agent.put(me, { presence: { status: 'online' } }, { expect: 200 });
    assert.equal(first.body.presence.user_id, agent.id);
    assert.equal(first.body.presence.status, 'online');
    assert.match(first.body.presence.since, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    await as.agent.put(me, { presence: { status: 'online' } }, { expect: 200 }); // no change
    await as.agent.put(me, { presence: { status: 'away' } }, { expect: 200 });
    const bad = await as.agent.put(me, { presence: { status: 'busy' } }, { expect: 422 });
    assert.match(bad.body.details.status[0].description, /online, away or offline/);
    await as.agent.put(me, { presence: {} }, { expect: 422 });

    const list = await as.lead.get('/api/v2/agents/presence', { expect: 200 });
    const row = list.body.agent_presence.find((x) => x.user_id === agent.id);
    assert.equal(row.status, 'away');
    assert.equal(row.name, 'Ann Agent');
    const lead = list.body.agent_presence.find((x) => x.status === 'offline' && x.since === null);
    assert.ok(lead, 'someone who never set a presence reads as offline');
    const away = await as.admin.get('/api/v2/agents/presence?status=away', { expect: 200 });
    assert.deepEqual(away.body.agent_presence.map((x) => x.user_id), [agent.id]);
    assert.equal(away.body.count, 1);
    await as.agent.get('/api/v2/agents/presence', { expect: 403 });
    await as.admin.get('/api/v2/agents/presence?status=busy', { expect: 400 });

    const events = await sql(
      srv,
      `SELECT entity || ' ' || entity_id || ' ' || data FROM events WHERE kind = 'agent.presence_changed' ORDER BY id`,
    );
    assert.deepEqual(events.split('\n'), [
      `user ${agent.id} {"previous":"offline","status":"online"}`,
      `user ${agent.id} {"previous":"online","status":"away"}`,
    ]);
  });
  test('a schedule CSV with bad rows names each line and imports nothing; a clean one imports', async () => {
    const bad = [
      'email,starts_at,ends_at,activity',
      'ann@example.com,2030-01-07T09:00:00Z,2030-01-07T12:00:00Z,work',
      'ghost@example.com,2030-01-07T09:00:00Z,2030-01-07T12:00:00Z,work',
      'ann@example.com,2030-01-07T13:00:00Z,2030-01-07T12:00:00Z,work',
      'ann@example.com,2030-01-07T12:00:00Z,2030-01-07T12:30:00Z,lunch',
    ].join('\n');
    const r = await as.manager.post('/api/v2/workforce/schedules/import', bad, { headers: { 'Content-Type': 'text/csv' }, expect: 422 });
    assert.equal(r.body.error, 'RecordInvalid');
    assert.deepEqual(Object.keys(r.body.details), ['line 3', 'line 4', 'line 5']);
    assert.match(r.body.details['line 3'][0].description, /no active agent has the email 'ghost@example.com'/);
    assert.match(r.body.details['line 4'][0].description, /ends_at must be after starts_at/);
    assert.match(r.body.details['line 5'][0].description, /activity must be work, break, training, coaching or meeting \(got 'lunch'\)/);
    const period = 'from=2030-01-07&to=2030-01-08';
    assert.deepEqual((await as.lead.get(`/api/v2/workforce/shifts?${period}`, { expect: 200 })).body.shifts, []);

    const good = bad.split('\n').filter((_, i) => i === 0 || i === 1).join('\n') + '\nann@example.com,2030-01-07T12:00:00Z,2030-01-07T12:30:00Z,break\n';
    const ok = await as.manager.post('/api/v2/workforce/schedules/import', good, { headers: { 'Content-Type': 'text/csv' }, expect: 201 });
    assert.deepEqual(ok.body, { imported: 2 });
    const shifts = (await as.lead.get(`/api/v2/workforce/shifts?${period}`, { expect: 200 })).body.shifts;
    assert.deepEqual(shifts.map((x) => [x.user_id, x.starts_at, x.activity]), [
      [agent.id, '2030-01-07T09:00:00Z', 'work'],
      [agent.id, '2030-01-07T12:00:00Z', 'break'],
    ]);
    // The same file again overlaps what is stored: refused, nothing added.
    await as.manager.post('/api/v2/workforce/schedules/import', good, { headers: { 'Content-Type': 'text/csv' }, expect: 422 });
    assert.equal((await as.lead.get(`/api/v2/workforce/shifts?${period}`, { expect: 200 })).body.shifts.length, 2);
    await as.lead.post('/api/v2/workforce/schedules/import', good, { headers: { 'Content-Type': 'text/csv' }, expect: 403 });
    await as.agent.get(`/api/v2/workforce/shifts?${period}`, { expect: 403 });

    // The CLI reports the same lines and exits 2; a clean file for another day imports.
    const file = path.join(srv.dir, 'bad.csv');
    await writeFile(file, bad);
    const cli = await srv.run(['schedules', 'import', file], { check: false });
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /line 3: no active agent/);
    assert.match(cli.stderr, /line 5: activity must be/);
    const next = path.join(srv.dir, 'next.csv');
    await writeFile(next, 'email,starts_at,ends_at\nann@example.com,2030-01-08T09:00:00Z,2030-01-08T17:00:00Z\n');
    const imported = await srv.run(['schedules', 'import', next]);
    assert.match(imported.stdout, /imported 1 shifts/);
  });

  test('people report: absenteeism, shrinkage and adherence from shifts, absences and presence', async () => {
    // Max's shift: work from 2 h ago to 1 h ahead, then a 30-minute meeting; sick for the last hour
    // of work. Paid 3.5 h, available 2 h (work 3 h minus 1 h absent).
    const T = Math.floor(Date.now() / 60_000) * 60; // this minute, epoch seconds
    const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    const managerId = (await as.manager.get('/api/v2/users/me.json', { expect: 200 })).body.user.id;
    await as.admin.post('/api/v2/workforce/shifts', {
      shifts: [
        { user_id: managerId, starts_at: iso(T - 7200), ends_at: iso(T + 3600), activity: 'work' },
        { user_id: managerId, starts_at: iso(T + 3600), ends_at: iso(T + 5400), activity: 'meeting' },
      ],
    }, { expect: 201 });
    const absence = await as.admin.post('/api/v2/workforce/absences', {
      absence: { user_id: managerId, starts_at: iso(T), ends_at: iso(T + 3600), planned: false, reason: 'sick' },
    }, { expect: 201 });
    assert.equal(absence.body.absence.planned, false);
    // Presence can only be set now: online from this minute on.
    await as.manager.put('/api/v2/agents/me/presence', { presence: { status: 'online' } }, { expect: 200 });
    const q = `from=${iso(T - 7200)}&to=${iso(T + 7200)}`;
    const { body } = await as.admin.get(`/api/v2/workforce/reports/people?${q}&aht_s=300`, { expect: 200 });
    const row = body.people.rows.find((x) => x.user_id === managerId);
    assert.equal(row.paid_hours, 3.5);
    assert.equal(row.available_hours, 2);
    assert.equal(row.unplanned_absence_hours, 1);
    assert.ok(Math.abs(row.absenteeism - 1 / 3.5) < 1e-9, row.absenteeism);
    assert.ok(Math.abs(row.shrinkage - 1.5 / 3.5) < 1e-9, row.shrinkage);
    // Available time is T-2h..T (the last work hour is absent); online only from T on: 0 %.
    assert.equal(row.adherence, 0);
    assert.ok(row.online_hours === 0);
    assert.equal(row.handled, 0);
    assert.equal(row.utilization, 0);

    const byLead = await as.admin.get(`/api/v2/workforce/reports/people?${q}&by=team_lead`, { expect: 200 });
    assert.ok(byLead.body.people.rows.every((x) => 'span_of_control' in x));
    await as.agent.get(`/api/v2/workforce/reports/people?${q}`, { expect: 403 });
    await as.admin.get('/api/v2/workforce/reports/people?from=2026-01-01&to=2026-12-01', { expect: 400 });
    await as.admin.get(`/api/v2/workforce/reports/people?${q}&by=planet`, { expect: 400 });
  });
});

