// The organization's time zone (`organization.time_zone`): metrics.md counts a period as half-open
// [from, to) in the organization's time zone, so a rating given at 22:00 in New York on Nov 30 is
// Nov 30's, though it is Dec 1 in UTC. The leaderboard, the feedback summary by day and the
// recovery report all count it on the local day; a server restarted in another zone realigns the
// leaderboard's rollups. The test clock places the rating; nothing waits for real time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, stopClean } from '../lib/api.mjs';
import { feedbackKit } from '../lib/feedback.mjs';
import { execute, rapportBin, startServer } from '../lib/server.mjs';

// 03:00 UTC on Dec 1 is 22:00 on Nov 30 in New York (UTC-5).
const LATE_EVENING_NY = '2026-12-01T03:00:00Z';

describe('organization time zone', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let fb;
  let amy;
  let rated;
  const env = { RAPPORT_TESTING_CLOCK_CONTROL: 'true', RAPPORT_ORGANIZATION_TIME_ZONE: 'America/New_York' };

  const setClock = (iso) => api.put('/api/v2/testing/clock', { clock: { now: iso } }, { expect: 200 });
  const board = async (from, to) =>
    (await api.get(`/api/v2/leaderboards/agents.json?from=${from}&to=${to}`, { expect: 200 })).body.leaderboard;
  const amyOn = (b) => b.agents.find((a) => a.agent_id === amy.id);

  before(async () => {
    srv = await startServer({ env });
    api = client(srv);
    fb = feedbackKit(srv, api);
    amy = await createUser(api, { name: 'Amy Kowalczyk', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    await setClock(LATE_EVENING_NY);
    rated = await fb.rated({ agent: amy, subject: 'Late evening question' }, { stars: 5, resolved: 'yes', comment: 'Thanks!' });
  });
  after(() => stopClean(srv));

  test('a rating at 22:00 local counts on the local day in the leaderboard and the summary', async () => {
    const nov30 = await board('2026-11-30', '2026-11-30');
    assert.equal(nov30.time_zone, 'America/New_York');
    assert.equal(nov30.from, '2026-11-30T05:00:00Z', 'the local day starts at local midnight');
    assert.equal(nov30.to, '2026-12-01T05:00:00Z');
    assert.equal(amyOn(nov30)?.responses, 1, JSON.stringify(nov30));
    const dec1 = await board('2026-12-01', '2026-12-01');
    assert.equal(amyOn(dec1), undefined, 'not on the UTC day');

    const summary = (
      await api.get('/api/v2/feedback/summary.json?from=2026-11-29&to=2026-12-01&by=day', { expect: 200 })
    ).body.feedback_summary;
    assert.equal(summary.time_zone, 'America/New_York');
    assert.deepEqual(
      summary.rows.filter((r) => r.responses > 0).map((r) => [r.date, r.responses]),
      [['2026-11-30', 1]],
    );
  });

  test('an expired thank-you page is gone (410), in JSON and in the form', async () => {
    await setClock('2026-12-03T03:00:00Z'); // two days after the answer; the page lasts one
    const json = await fb.postJson(`${rated.path}/thanks`, { reward: 'coffee' });
    assert.equal(json.status, 410, json.text);
    assert.equal(json.body.error, 'Expired');
    const form = await fb.postForm(`${rated.path}/thanks`, { reward: 'coffee' });
    assert.equal(form.status, 410);
    assert.match(form.text, /expired/);
    await setClock(LATE_EVENING_NY);
  });

  test('restarted in UTC, the same rating moves to the UTC day', async () => {
    const original = srv;
    assert.deepEqual(await original.kill('SIGTERM'), { code: 0, signal: null });
    srv = await startServer({
      db: original.db,
      skipSetup: true,
      token: original.token,
      env: { ...env, RAPPORT_ORGANIZATION_TIME_ZONE: 'UTC' },
    });
    api = client(srv);
    const dec1 = await board('2026-12-01', '2026-12-01');
    assert.equal(dec1.time_zone, 'UTC');
    assert.equal(amyOn(dec1)?.responses, 1, JSON.stringify(dec1));
    assert.equal(amyOn(await board('2026-11-30', '2026-11-30')), undefined);
  });

  test('an unknown zone stops the server with a message naming it', async () => {
    const res = await execute(rapportBin(), ['serve', '--db', srv.db, '--listen', '127.0.0.1:0'], {
      env: { RAPPORT_ORGANIZATION_TIME_ZONE: 'Mars/Olympus_Mons' },
      check: false,
    });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /Mars\/Olympus_Mons/);
  });
});
