// The live feedback stream (GET /api/v2/feedback/stream, Server-Sent Events) as a dashboard and
// an agent see it: the latest events on connect, filters, agents kept to their own feedback,
// exact resumption with Last-Event-ID, reactions and rewards, and a prompt, lossless shutdown.
//
// "Nothing else arrived" is shown with a barrier, not a wait: events come in event-log order, so
// once a later matching event has arrived, an earlier one that was going to arrive has too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, UNAUTHENTICATED, client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { feedbackKit, openStream } from '../lib/feedback.mjs';
import { startServer } from '../lib/server.mjs';

describe('feedback stream', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let fb;
  let amy;
  let bob;
  let lead;
  let eve;
  const open = []; // streams to close after each test

  before(async () => {
    srv = await startServer();
    api = client(srv);
    fb = feedbackKit(srv, api);
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    bob = await createUser(api, { name: 'Bob Builder', email: 'bob@example.com', role: 'agent', ticket_restriction: null });
    lead = await createUser(api, { name: 'Lea Lead', email: 'lea@example.com', role: 'agent', rapport_role: 'team_lead' });
    eve = await createUser(api, { name: 'Eve End', email: 'eve@example.com' });
  });
  after(async () => {
    await Promise.all(open.map((s) => s.close?.()));
    await stopClean(srv);
  });

  const auth = (user) => tokenAuth(user.email, srv.token);
  async function stream(query, opts = {}) {
    const s = await openStream(srv, query, opts);
    assert.equal(s.status, 200, `stream ${query}: ${s.status} ${s.text ?? ''}`);
    open.push(s);
    return s;
  }
  const rate = (agent, stars, extra = {}) => fb.rated({ agent, subject: `${stars} stars for ${agent.name}`, ...extra }, { stars, ...extra.answer });
  const ratingIds = (s) => s.ratingIds();

  test('the response is an event stream; every frame is id, event, data', async () => {
    const s = await stream('?backfill=0');
    assert.equal(s.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(s.headers.get('x-accel-buffering'), 'no');
    assert.ok(s.headers.get('x-request-id'));
    const r = await rate(amy, 5, { answer: { comment: 'Lovely', nps: 10, resolved: true, tags: ['speed'] } });
    const ev = await s.waitFor((e) => e.data.id === r.rating.id);
    assert.deepEqual(s.frames[0], ['retry: 3000'], 'the first frame is the reconnect hint');
    assert.deepEqual(ev.lines.map((l) => l.slice(0, l.indexOf(':'))), ['id', 'event', 'data']);
    assert.equal(ev.event, 'rating');
    assert.deepEqual(ev.data, {
      id: r.rating.id,
      kind: 'survey',
      ticket_id: r.ticket.id,
      ticket_subject: '5 stars for Amy Agent',
      agent_id: amy.id,
      agent_name: 'Amy Agent',
      group_id: null,
      site_id: null,
      stars: 5,
      score: 'good',
      resolved: true,
      nps: 10,
      comment: 'Lovely',
      tags: ['speed'],
      recovery_case_id: null,
      created_at: ev.data.created_at,
    });
    assert.match(ev.data.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  test('backfill: the latest N matching events on connect, oldest first, then live ones', async () => {
    const carl = await createUser(api, { name: 'Carl Backfill', email: 'carl@example.com', role: 'agent', ticket_restriction: null });
    const watcher = await stream(`?agent_id=${carl.id}&backfill=0`);
    const rs = [];
    for (const stars of [5, 4, 3, 2]) rs.push((await rate(carl, stars)).rating.id);
    // Backfill counts back from what the stream has published, which may trail the last commit by
    // a moment (then the newest ones come live, after N older ones): wait until a live subscriber
    // has seen the last one, so that "the latest 2" is exact.
    await watcher.waitForRatings(rs);
    const two = await stream(`?agent_id=${carl.id}&backfill=2`);
    const none = await stream(`?agent_id=${carl.id}&backfill=0`);
    const dflt = await stream(`?agent_id=${carl.id}`);
    const live = (await rate(carl, 5)).rating.id;
    for (const s of [two, none, dflt]) await s.waitFor((e) => e.data.id === live);
    assert.deepEqual(ratingIds(two), [rs[2], rs[3], live]);
    assert.deepEqual(ratingIds(none), [live]);
    assert.deepEqual(ratingIds(dflt), [...rs, live], 'the default backfill (20) covers all four');
    const ids = two.events.map((e) => e.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'event ids ascend');
    const bad = await openStream(srv, '?backfill=lots');
    assert.equal(bad.status, 400);
  });

  test('filters: score, agent_id, group_id and their combination', async () => {
    const g = await fb.group('Stream filter team');
    const bad = await stream('?backfill=0&score=bad');
    const neither = await stream('?backfill=0&score=neither');
    const ofBob = await stream(`?backfill=0&agent_id=${bob.id}`);
    const inGroup = await stream(`?backfill=0&group_id=${g.id}`);
    const combo = await stream(`?backfill=0&group_id=${g.id}&score=bad`);
    const all = await stream('?backfill=0');
    const a = (await rate(amy, 5)).rating.id; // amy, no group, good
    const b = (await rate(bob, 1)).rating.id; // bob, no group, bad
    const c = (await rate(amy, 3, { groupId: g.id })).rating.id; // amy, group, neither
    const d = (await rate(bob, 2, { groupId: g.id })).rating.id; // bob, group, bad
    for (const s of [bad, ofBob, inGroup, combo, all]) await s.waitFor((e) => e.data.id === d); // the barrier
    await neither.waitFor((e) => e.data.id === c);
    assert.deepEqual(ratingIds(all), [a, b, c, d]);
    assert.deepEqual(ratingIds(bad), [b, d]);
    assert.deepEqual(ratingIds(ofBob), [b, d]);
    assert.deepEqual(ratingIds(inGroup), [c, d]);
    assert.deepEqual(ratingIds(combo), [d]);
    assert.ok(bad.events.every((e) => e.data.score === 'bad'));
    // 3 stars are "neither" on the stream (Zendesk calls them offered); the barrier is the end of the test's events.
    assert.equal(neither.events.find((e) => e.data.id === c).data.score, 'neither');
    for (const q of ['score=great', 'agent_id=abc', 'group_id=x1', 'site_id=-', 'last_event_id=yesterday']) {
      const res = await openStream(srv, `?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.ok(res.body?.description, `${q}: ${res.text}`);
    }
    assert.deepEqual(ratingIds(neither), [c]);
  });

  test('agents receive only their own feedback; end users and anonymous callers are refused', async () => {
    const other = await openStream(srv, `?agent_id=${bob.id}`, { auth: auth(amy) });
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, FORBIDDEN);
    const own = await stream('?backfill=0', { auth: auth(amy) });
    const ownExplicit = await stream(`?backfill=0&agent_id=${amy.id}`, { auth: auth(amy) });
    const leadAll = await stream('?backfill=0', { auth: auth(lead) });
    const leadBob = await stream(`?backfill=0&agent_id=${bob.id}`, { auth: auth(lead) });
    const forBob = (await rate(bob, 4)).rating.id;
    const forAmy = (await rate(amy, 2)).rating.id;
    for (const s of [own, ownExplicit, leadAll]) await s.waitFor((e) => e.data.id === forAmy);
    await leadBob.waitFor((e) => e.data.id === forBob);
    assert.deepEqual(ratingIds(own), [forAmy], "Amy's unfiltered stream carries only her ratings");
    assert.deepEqual(ratingIds(ownExplicit), [forAmy]);
    assert.deepEqual(ratingIds(leadAll), [forBob, forAmy], 'a team lead sees everyone');
    // Amy's backfill is her own too.
    const back = await stream('?backfill=50', { auth: auth(amy) });
    const sentinel = (await rate(amy, 5)).rating.id;
    await back.waitFor((e) => e.data.id === sentinel);
    assert.ok(back.events.length >= 2);
    assert.ok(back.events.every((e) => e.data.agent_id === amy.id), JSON.stringify(back.events.map((e) => e.data.agent_id)));

    const endUser = await openStream(srv, '', { auth: auth(eve) });
    assert.equal(endUser.status, 403);
    assert.deepEqual(endUser.body, FORBIDDEN);
    const anonymous = await openStream(srv, '', { auth: 'none' });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, UNAUTHENTICATED);
    const badToken = await openStream(srv, '', { auth: tokenAuth(amy.email, 'not-the-token') });
    assert.equal(badToken.status, 401);
  });

  test('Last-Event-ID resumes exactly: nothing lost, nothing repeated, even while ratings race the reconnect', async () => {
    const dora = await createUser(api, { name: 'Dora Resume', email: 'dora@example.com', role: 'agent', ticket_restriction: null });
    const q = `?agent_id=${dora.id}&backfill=0`;
    const first = await stream(q);
    const r1 = (await rate(dora, 5)).rating.id;
    const r2 = (await rate(dora, 4)).rating.id;
    await first.waitForRatings([r1, r2]);
    const lastSeen = first.events.at(-1).id;
    await first.close();

    // Disconnected: three ratings come in. Surveys are prepared first so that only the answers race.
    const missed = [];
    for (const stars of [3, 2, 1]) missed.push((await rate(dora, stars)).rating.id);
    const pending = [];
    for (let i = 0; i < 4; i += 1) pending.push(await fb.survey({ agent: dora, subject: `Racing ${i}` }));

    // Reconnect with Last-Event-ID while four more answers are being submitted.
    const [again, ...raced] = await Promise.all([
      stream(q, { lastEventId: lastSeen }),
      ...pending.map((s, i) => fb.answer(s, { stars: 1 + i }).then((x) => x.rating.id)),
    ]);
    const sentinel = (await rate(dora, 5)).rating.id;
    await again.waitForRatings([...missed, ...raced, sentinel]);
    await again.waitFor((e) => e.data.id === sentinel);
    const got = ratingIds(again);
    assert.equal(new Set(got).size, got.length, `no repeats: ${got}`);
    assert.deepEqual(got.slice(0, 3), missed, 'the missed ones first, in order');
    assert.deepEqual([...got].sort((a, b) => a - b), [...missed, ...raced, sentinel].sort((a, b) => a - b), 'exactly the new ones');
    assert.ok(!got.includes(r1) && !got.includes(r2), 'nothing from before Last-Event-ID');
    assert.ok(again.events.every((e) => e.id > lastSeen));
    const ids = again.events.map((e) => e.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'in event order');

    // The query parameter does the same for clients that cannot set the header; backfill is ignored.
    const byParam = await stream(`?agent_id=${dora.id}&backfill=50&last_event_id=${lastSeen}`);
    await byParam.waitFor((e) => e.data.id === sentinel);
    assert.deepEqual(ratingIds(byParam), got);
  });

  test('reactions and rewards arrive as their own events, also on the agent’s stream', async () => {
    const admin = await stream('?backfill=0');
    const amys = await stream('?backfill=0', { auth: auth(amy) });
    const r = await rate(amy, 5, { answer: { comment: 'Amy was brilliant' } });
    const reaction = (
      await api
        .as(auth(lead))
        .post(`/api/v2/satisfaction_ratings/${r.rating.id}/reactions.json`, { reaction: { kind: 'praise', body: 'Great save!' } }, { expect: 201 })
    ).body.reaction;
    const thanks = await fb.postJson(`${r.path}/thanks`, { reward: 'coffee', share: true });
    assert.equal(thanks.status, 200, thanks.text);
    for (const s of [admin, amys]) {
      const re = await s.waitFor((e) => e.event === 'reaction' && e.data.id === reaction.id, { message: 'reaction event' });
      assert.equal(re.lines[1], 'event: reaction');
      assert.deepEqual(re.data, { ...reaction, agent_id: amy.id });
      assert.equal(re.data.author_name, 'Lea Lead');
      assert.equal(re.data.body, 'Great save!');
      const rw = await s.waitFor((e) => e.event === 'reward', { message: 'reward event' });
      assert.equal(rw.lines[1], 'event: reward');
      assert.equal(rw.data.rating_id, r.rating.id);
      assert.equal(rw.data.agent_id, amy.id);
      assert.equal(rw.data.item, 'coffee');
      assert.equal(rw.data.label, 'Buy them a coffee');
      assert.equal(rw.data.points, 50);
      assert.equal(rw.data.status, 'chosen');
      assert.deepEqual(s.events.map((e) => e.event), ['rating', 'reaction', 'reward']);
    }
    // Bob's stream carries none of it.
    const bobs = await stream('?backfill=10', { auth: auth(bob) });
    const sentinel = (await rate(bob, 4)).rating.id;
    await bobs.waitFor((e) => e.data.id === sentinel);
    assert.ok(bobs.events.every((e) => e.data.agent_id === bob.id));
    assert.ok(!bobs.events.some((e) => e.event !== 'rating'));
  });
});

describe('feedback stream at shutdown', { timeout: 120_000 }, () => {
  test('SIGTERM with open streams exits promptly and cleanly; after a restart no acknowledged rating is missing', async () => {
    const grace = 20; // the default server.shutdown_grace, in seconds
    const srv = await startServer({ env: { RAPPORT_SERVER_SHUTDOWN_GRACE: String(grace) } });
    let again = null;
    try {
      const api = client(srv);
      const fb = feedbackKit(srv, api);
      const amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
      const streams = [await openStream(srv, '?backfill=0'), await openStream(srv, '?backfill=0', { auth: tokenAuth(amy.email, srv.token) })];
      for (const s of streams) assert.equal(s.status, 200);
      const before = (await fb.rated({ agent: amy, subject: 'Before shutdown' }, { stars: 4 })).rating.id;
      for (const s of streams) await s.waitFor((e) => e.data.id === before);

      // Answers in flight when SIGTERM arrives: those acknowledged with 201 must survive.
      const surveys = [];
      for (let i = 0; i < 6; i += 1) surveys.push(await fb.survey({ agent: amy, subject: `During shutdown ${i}` }));
      const acknowledged = [before];
      const answers = surveys.map((s, i) =>
        fb
          .postJson(s.path, { stars: 1 + (i % 5) })
          .then((res) => {
            if (res.status === 201) acknowledged.push(res.body.rating.id);
            return res.status;
          })
          .catch((err) => err.cause?.code ?? err.message),
      );
      const t0 = Date.now();
      const exit = await srv.kill('SIGTERM');
      const took = Date.now() - t0;
      const statuses = await Promise.all(answers);
      const ends = await Promise.all(streams.map((s) => Promise.race([s.ended, new Promise((r) => setTimeout(() => r('still open'), 5000))])));

      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${srv.output().slice(-3000)}`);
      assert.ok(took < 5000, `the server took ${took} ms to exit with open streams (grace ${grace} s)`);
      assert.match(srv.output(), /event=shutdown_complete/);
      assert.ok(ends.every((e) => e !== 'still open'), 'the streams ended with the server');
      assert.doesNotMatch(srv.output(), /AddressSanitizer|LeakSanitizer|runtime error:/);
      for (const st of statuses) assert.ok(st === 201 || typeof st === 'string' || st === 503, `an answer during shutdown got ${st}`);

      // Restart on the same database: every acknowledged rating is there, and a client resuming
      // from the last event it saw receives every one it missed, exactly once.
      again = await startServer({ db: srv.db, skipSetup: true, token: srv.token });
      const api2 = client(again);
      const stored = (await api2.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings.map((r) => r.id);
      for (const id of acknowledged) assert.ok(stored.includes(id), `acknowledged rating ${id} is stored`);
      for (const s of streams) {
        const seen = s.ratingIds();
        const resumed = await openStream(again, '?backfill=0', { lastEventId: s.events.at(-1).id });
        assert.equal(resumed.status, 200);
        const missing = stored.filter((id) => !seen.includes(id));
        await resumed.waitForRatings(missing);
        const union = [...seen, ...resumed.ratingIds()];
        assert.equal(new Set(union).size, union.length, 'no rating delivered twice');
        for (const id of acknowledged) assert.ok(union.includes(id), `rating ${id} reached the stream`);
        await resumed.close();
      }
    } finally {
      if (again) await stopClean(again);
      await stopClean(srv);
    }
  });
});
