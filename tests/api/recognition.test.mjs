// Recognition as agents, leads, managers and happy customers see it: the agent leaderboard ranked
// by the Bayesian ranking score (metrics.md), leads' praise and coaching on ratings, the reward a
// customer gives after a great answer and the manager's fulfilment, the public thank-you wall,
// and the team lead's daily digest.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { feedbackKit, utcDate, visibleText } from '../lib/feedback.mjs';
import { startServer } from '../lib/server.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HTML_CT = 'text/html; charset=utf-8';

/** The ranking score of metrics.md: (C·m + Σstars) / (C + n), m the mean over everyone on the board. */
function expectedBoard(agents, C = 10) {
  const n = agents.reduce((a, x) => a + x.stars.length, 0);
  const sum = agents.reduce((a, x) => a + x.stars.reduce((s, v) => s + v, 0), 0);
  const m = sum / n;
  return {
    m,
    rows: agents
      .map((x) => {
        const s = x.stars.reduce((a, v) => a + v, 0);
        return { id: x.user.id, n: x.stars.length, avg: s / x.stars.length, score: (C * m + s) / (C + x.stars.length) };
      })
      .sort((a, b) => b.score - a.score),
  };
}
const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

describe('recognition', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let fb;
  let amy;
  let oscar;
  let lead;
  let lead2;
  let qa;
  let manager;
  let eve;
  let as;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    fb = feedbackKit(srv, api);
    const agent = (name, email, extra = {}) => createUser(api, { name, email, role: 'agent', ticket_restriction: null, ...extra });
    amy = await agent('Amy Kowalczyk', 'amy@example.com');
    oscar = await agent('Oscar Other', 'oscar@example.com');
    lead = await agent('Lea Lead', 'lea@example.com', { rapport_role: 'team_lead' });
    lead2 = await agent('Leo Lead', 'leo@example.com', { rapport_role: 'team_lead' });
    qa = await agent('Quinn Quality', 'quinn@example.com', { rapport_role: 'qa' });
    manager = await agent('Max Manager', 'max@example.com', { rapport_role: 'manager' });
    eve = await createUser(api, { name: 'Eve End', email: 'eve@example.com' });
    as = Object.fromEntries(
      Object.entries({ amy, oscar, lead, lead2, qa, manager, eve }).map(([k, u]) => [k, api.as(tokenAuth(u.email, srv.token))]),
    );
  });
  after(() => stopClean(srv));

  async function board(query = '', who = api) {
    return (await who.get(`/api/v2/leaderboards/agents.json${query}`, { expect: 200 })).body.leaderboard;
  }
  async function showRating(id, who = api) {
    return (await who.get(`/api/v2/satisfaction_ratings/${id}.json`, { expect: 200 })).body.satisfaction_rating;
  }
  async function ledger(query = '', who = api) {
    return (await who.get(`/api/v2/rewards.json?per_page=100${query}`, { expect: 200 })).body;
  }
  function thanksForm(path, fields) {
    return fb.postForm(`${path}/thanks`, fields);
  }
  const alertOf = (html) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];

  // ---- leaderboard ---------------------------------------------------------------------------

  test('leaderboard: ranked by the Bayesian score, not the raw average; group, site and date filters', async () => {
    const team = await fb.group('Leaderboard team');
    const north = await fb.site('North');
    const south = await fb.site('South');
    const agent = (name, email, siteId) =>
      createUser(api, { name, email, role: 'agent', ticket_restriction: null, site_id: siteId });
    const pia = await agent('Pia Perfect', 'pia@example.com', north.id); // 2 × 5 stars
    const quentin = await agent('Quentin Steady', 'quentin@example.com', north.id); // 6 answers, 4.83 on average
    const rolf = await agent('Rolf Rough', 'rolf@example.com', south.id); // 4 × 3 stars
    const plan = [
      [pia, [{ stars: 5 }, { stars: 5 }]],
      [
        quentin,
        [
          { stars: 5, resolved: true, nps: 10 },
          { stars: 5, resolved: true, nps: 9 },
          { stars: 5, resolved: true, nps: 8 },
          { stars: 5, resolved: true, nps: 6 },
          { stars: 5, resolved: false, nps: 10 },
          { stars: 4, resolved: true },
        ],
      ],
      [rolf, [{ stars: 3 }, { stars: 3 }, { stars: 3 }, { stars: 3 }]],
    ];
    for (const [user, answers] of plan) {
      for (const a of answers) await fb.rated({ agent: user, subject: `Rated ${user.name}`, groupId: team.id }, a);
    }
    const who = plan.map(([user, answers]) => ({ user, stars: answers.map((a) => a.stars) }));

    const lb = await board(`?group_id=${team.id}`);
    const exp = expectedBoard(who);
    assert.deepEqual(lb.agents.map((a) => a.agent_id), [quentin.id, pia.id, rolf.id], 'Quentin (6 answers, 4.83) outranks Pia (2 × 5)');
    assert.deepEqual(exp.rows.map((r) => r.id), [quentin.id, pia.id, rolf.id], 'the definition agrees');
    assert.ok(lb.agents[1].average_stars > lb.agents[0].average_stars, "Pia's raw average is higher");
    close(lb.team_mean_stars, exp.m, 'team mean');
    assert.equal(lb.prior_weight, 10);
    assert.equal(lb.responses, 12);
    assert.equal(lb.group_id, team.id);
    assert.equal(lb.site_id, null);
    lb.agents.forEach((a, i) => {
      assert.equal(a.rank, i + 1);
      assert.equal(a.responses, exp.rows[i].n);
      close(a.ranking_score, exp.rows[i].score, `${a.name} ranking score`);
      close(a.average_stars, exp.rows[i].avg, `${a.name} average`);
    });
    const [q, p, r] = lb.agents;
    assert.equal(q.name, 'Quentin Steady');
    assert.equal(q.site_id, north.id);
    close(q.csat, 100, 'Quentin CSAT');
    close(q.dsat, 0, 'Quentin DSAT');
    close(q.fcr, (5 / 6) * 100, 'Quentin FCR: 5 of 6 said resolved');
    close(q.nps, (3 / 5) * 100 - (1 / 5) * 100, 'Quentin NPS: 3 promoters, 1 detractor of 5');
    assert.equal(p.fcr, null, 'nobody answered the question: no FCR, not 0');
    assert.equal(p.nps, null);
    close(r.csat, 0, 'Rolf CSAT: 3 stars are not satisfied');
    close(r.dsat, 0, 'Rolf DSAT: 3 stars are not dissatisfied either');

    // The site filter ranks within the site: the mean is North's, and there Pia leads.
    const northBoard = await board(`?group_id=${team.id}&site_id=${north.id}`);
    const expNorth = expectedBoard(who.slice(0, 2));
    assert.deepEqual(northBoard.agents.map((a) => a.agent_id), expNorth.rows.map((x) => x.id));
    assert.deepEqual(northBoard.agents.map((a) => a.agent_id), [pia.id, quentin.id]);
    close(northBoard.team_mean_stars, expNorth.m, 'North mean');
    northBoard.agents.forEach((a, i) => close(a.ranking_score, expNorth.rows[i].score, `North ${a.name}`));
    assert.deepEqual((await board(`?group_id=${team.id}&site_id=${south.id}`)).agents.map((a) => a.agent_id), [rolf.id]);

    // Dates: today (inclusive) has them; a range that ends yesterday has none.
    const today = utcDate();
    assert.deepEqual((await board(`?group_id=${team.id}&from=${today}&to=${today}`)).agents.map((a) => a.agent_id), [quentin.id, pia.id, rolf.id]);
    const past = await board(`?group_id=${team.id}&from=${utcDate(-10)}&to=${utcDate(-1)}`);
    assert.deepEqual(past.agents, []);
    assert.equal(past.team_mean_stars, null);
    assert.equal(past.responses, 0);
    for (const qs of ['from=yesterday', 'to=2026-13-01', 'from=31/12/2025', `from=${utcDate(1)}`, `from=${utcDate(-500)}&to=${today}`, 'group_id=x']) {
      const res = await api.get(`/api/v2/leaderboards/agents.json?${qs}`, { expect: 400 });
      assert.ok(res.body.description, `${qs}: ${res.text}`);
    }

    // With no prior weight the ranking is the raw average: Pia first.
    await fb.putSettings({ leaderboard_prior_weight: 0 });
    try {
      const raw = await board(`?group_id=${team.id}`);
      assert.equal(raw.prior_weight, 0);
      assert.deepEqual(raw.agents.map((a) => a.agent_id), [pia.id, quentin.id, rolf.id]);
      raw.agents.forEach((a) => close(a.ranking_score, a.average_stars, a.name));
    } finally {
      await fb.putSettings({ leaderboard_prior_weight: 10 });
    }

    // Every staff member may look; end users and anonymous callers may not.
    assert.deepEqual((await board(`?group_id=${team.id}`, as.amy)).agents.map((a) => a.agent_id), [quentin.id, pia.id, rolf.id]);
    assert.deepEqual((await as.eve.get('/api/v2/leaderboards/agents.json', { expect: 403 })).body, FORBIDDEN);
    assert.deepEqual((await api.get('/api/v2/leaderboards/agents.json', { auth: 'none', expect: 401 })).body, UNAUTHENTICATED);
  });

  // ---- reactions -----------------------------------------------------------------------------

  test('reactions: leads, QA, managers and admins praise or coach; the agent sees them on the rating', async () => {
    const { rating, ticket } = await fb.rated({ agent: amy, subject: 'Coach me' }, { stars: 2, comment: 'Slow replies.' });
    const path = `/api/v2/satisfaction_ratings/${rating.id}/reactions.json`;
    const made = [];
    for (const [who, author, kind, body] of [
      ['lead', lead, 'coaching', '  Try a holding reply within the hour.  '],
      ['qa', qa, 'coaching', 'Template 4 fits here.'],
      ['manager', manager, 'praise', 'Good recovery later on.'],
      [null, null, 'praise', 'Thanks for owning it.'],
    ]) {
      const res = await (who ? as[who] : api).post(path, { reaction: { kind, body } }, { expect: 201 });
      const x = res.body.reaction;
      assert.equal(x.rating_id, rating.id);
      assert.equal(x.kind, kind);
      assert.equal(x.body, body.trim(), 'the body is trimmed');
      if (author) {
        assert.equal(x.author_id, author.id);
        assert.equal(x.author_name, author.name);
      } else assert.equal(x.author_name, srv.adminName);
      assert.match(x.created_at, ISO);
      made.push(x);
    }
    // Agents (the rated one included), the customer and end users cannot.
    const customer = (await api.get(`/api/v2/users/${ticket.requester_id}.json`, { expect: 200 })).body.user;
    const asCustomer = fb.asUser(customer.email);
    for (const who of [as.amy, as.oscar, as.eve, asCustomer]) {
      assert.deepEqual((await who.post(path, { reaction: { kind: 'praise', body: 'Well done' } }, { expect: 403 })).body, FORBIDDEN);
    }
    await api.post(path, { reaction: { kind: 'praise', body: 'x' } }, { auth: 'none', expect: 401 });
    // Bad input.
    for (const [body, field] of [
      [{ kind: 'praise', body: '   ' }, 'body'],
      [{ kind: 'praise' }, 'body'],
      [{ kind: 'shout', body: 'Hey' }, 'kind'],
      [{ body: 'Hey' }, 'kind'],
    ]) {
      const res = await as.lead.post(path, { reaction: body }, { expect: 422 });
      assert.ok(res.body.details?.[field], `${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal((await as.lead.post(path, { reaction: { kind: 'praise', body: 'x'.repeat(2001) } })).status, 422);
    await as.lead.post(path, { kind: 'praise', body: 'no wrapper' }, { expect: 400 });
    assert.deepEqual((await as.lead.post('/api/v2/satisfaction_ratings/999999/reactions.json', { reaction: { kind: 'praise', body: 'x' } }, { expect: 404 })).body, NOT_FOUND);

    // The agent sees them on the rating, oldest first, in the list and on the rating itself.
    const shown = await showRating(rating.id, as.amy);
    assert.deepEqual(shown.reactions, made);
    const listed = (await as.amy.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings.find(
      (r) => r.id === rating.id,
    );
    assert.deepEqual(listed.reactions, made);
    assert.deepEqual((await showRating(rating.id, as.lead)).reactions, made);
  });

  // ---- rewards and kudos ---------------------------------------------------------------------

  test('rewards: one per 5-star answer by JSON or form; 3 stars, unknown items, unanswered links and share without a comment are refused', async () => {
    const comment = 'Amy <b>rocks</b> & fixed it in 5 minutes';
    const s = await fb.rated({ agent: amy, subject: 'Reward me' }, { stars: 5, comment });
    assert.equal(s.rating.can_reward, true);

    // The thank-you page of a form answer offers the catalog and the share box.
    const formAnswered = await fb.survey({ agent: amy, subject: 'Reward by form' });
    const thankYou = await fb.postForm(formAnswered.path, { stars: 4, comment: 'Quick and kind.' });
    assert.equal(thankYou.status, 200);
    assert.match(thankYou.text, new RegExp(`<form method="post" action="${formAnswered.path.replace(/\./g, '\\.')}/thanks">`));
    for (const item of ['coffee', 'high_five', 'lunch']) assert.match(thankYou.text, new RegExp(`name="reward" value="${item}"`));
    assert.match(thankYou.text, /name="share" value="yes"/);
    assert.match(visibleText(thankYou.text), /Buy them a coffee/);

    // Unknown item and share without a comment: refused, nothing recorded.
    const unknown = await fb.postJson(`${s.path}/thanks`, { reward: 'yacht' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.details.reward[0].description, 'Reward: is not in the catalog');
    const plain = await fb.rated({ agent: amy, subject: 'No comment' }, { stars: 5 });
    const noComment = await fb.postJson(`${plain.path}/thanks`, { reward: 'coffee', share: true });
    assert.equal(noComment.status, 422);
    assert.equal(noComment.body.details.share[0].description, 'Share: there is no comment to share');
    assert.equal((await ledger(`&agent_id=${amy.id}`)).rewards.length, 0, 'nothing was created by the refused attempts');

    // JSON: a coffee, shared.
    const res = await fb.postJson(`${s.path}/thanks`, { reward: 'coffee', share: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.shared, true);
    const w = res.body.reward;
    assert.equal(w.rating_id, s.rating.id);
    assert.equal(w.agent_id, amy.id);
    assert.equal(w.agent_name, 'Amy Kowalczyk');
    assert.equal(w.item, 'coffee');
    assert.equal(w.label, 'Buy them a coffee');
    assert.equal(w.points, 50);
    assert.equal(w.status, 'chosen');
    assert.equal(w.fulfilled_by, null);
    assert.match(w.created_at, ISO);

    // Once only: a second choice, by JSON or form, is refused and changes nothing.
    const again = await fb.postJson(`${s.path}/thanks`, { reward: 'lunch' });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.description, 'A reward was already chosen. Thank you!');
    const againForm = await thanksForm(s.path, { reward: 'lunch' });
    assert.equal(againForm.status, 409);
    assert.equal(againForm.headers.get('content-type'), HTML_CT);
    assert.equal(alertOf(againForm.text), 'A reward was already chosen. Thank you!');

    // Form-encoded: a high five and the share box.
    const form = await thanksForm(formAnswered.path, { reward: 'high_five', share: 'yes' });
    assert.equal(form.status, 200, form.text.slice(0, 500));
    assert.equal(form.headers.get('content-type'), HTML_CT);
    const text = visibleText(form.text);
    assert.match(text, /Thanks again!/);
    assert.match(text, /Amy/);
    assert.match(text, /A high five/i);
    assert.doesNotMatch(text, /your a high five|your buy them/i, `reads as English: ${text}`);
    assert.match(form.text, /<a href="\/kudos">thank-you wall<\/a>/);

    // 3 stars: no reward, with a message the customer understands.
    const three = await fb.rated({ agent: amy, subject: 'Just fine' }, { stars: 3, comment: 'OK I guess' });
    assert.equal(three.rating.can_reward, false);
    const threeJson = await fb.postJson(`${three.path}/thanks`, { reward: 'coffee' });
    assert.equal(threeJson.status, 400);
    assert.deepEqual(threeJson.body, { error: 'NotEligible', description: 'Rewards go with 4 and 5 star ratings.' });
    const threeForm = await thanksForm(three.path, { reward: 'coffee' });
    assert.equal(threeForm.status, 422);
    assert.equal(alertOf(threeForm.text), 'Rewards go with 4 and 5 star ratings.');
    // Not answered yet; a forged link.
    const unanswered = await fb.survey({ agent: amy, subject: 'Not yet rated' });
    const early = await fb.postJson(`${unanswered.path}/thanks`, { reward: 'coffee' });
    assert.equal(early.status, 400);
    assert.deepEqual(early.body, { error: 'NotAnswered', description: 'Rate the conversation first.' });
    const [id, exp, sig] = s.token.split('.');
    const forged = await fb.postJson(`/s/${id}.${exp}.${sig.replace(/^./, (c) => (c === '0' ? '1' : '0'))}/thanks`, { reward: 'coffee' });
    assert.equal(forged.status, 404);

    // The rating shows the reward and the public flag.
    const shown = await showRating(s.rating.id, as.amy);
    assert.deepEqual(shown.reward, { id: w.id, item: 'coffee', label: 'Buy them a coffee', points: 50, status: 'chosen' });
    assert.equal(shown.public_kudos, true);
    assert.equal((await showRating(three.rating.id)).reward, null);
    const mine = await ledger('', as.amy);
    assert.deepEqual(mine.rewards.map((x) => x.item).sort(), ['coffee', 'high_five']);
    assert.equal(mine.points_earned, 60);
  });

  test('kudos: the public wall shows the first name and the comment only, escaped', async () => {
    const customer = fb.newCustomer('Kudos');
    const comment = 'Amy <script>alert(1)</script> & "team" were great';
    const s = await fb.rated({ agent: amy, subject: 'Private subject 123', requester: customer }, { stars: 5, comment });
    const hidden = await fb.rated({ agent: amy, subject: 'Not shared' }, { stars: 5, comment: 'Keep this private please' });
    assert.equal((await fb.postJson(`${s.path}/thanks`, { share: true })).status, 200, 'sharing without a reward');
    assert.equal((await fb.postJson(`${hidden.path}/thanks`, { reward: 'high_five' })).status, 200);

    const api_ = await srv.request('GET', '/api/v2/kudos', { auth: 'none' });
    assert.equal(api_.status, 200);
    const entry = api_.body.kudos.find((k) => k.rating_id === s.rating.id);
    assert.ok(entry, api_.text);
    assert.deepEqual(Object.keys(entry).sort(), ['agent_first_name', 'comment', 'created_at', 'rating_id', 'stars']);
    assert.equal(entry.agent_first_name, 'Amy');
    assert.equal(entry.comment, comment);
    assert.equal(entry.stars, 5);
    assert.ok(!api_.body.kudos.some((k) => k.rating_id === hidden.rating.id), 'not shared: not shown');
    for (const secret of ['Kowalczyk', customer.name, customer.email, 'Private subject 123', 'Keep this private']) {
      assert.ok(!api_.text.includes(secret), `the API reveals ${secret}`);
    }
    assert.deepEqual(
      (await srv.request('GET', `/api/v2/kudos?agent_id=${oscar.id}`, { auth: 'none' })).body.kudos,
      [],
      'filtered by agent',
    );
    assert.ok((await srv.request('GET', `/api/v2/kudos?agent_id=${amy.id}&limit=1`, { auth: 'none' })).body.kudos.length === 1);
    assert.equal((await srv.request('GET', '/api/v2/kudos?limit=many', { auth: 'none' })).status, 400);

    const page = await srv.request('GET', '/kudos', { auth: 'none', headers: { Accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), HTML_CT);
    assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
    assert.ok(page.text.includes('Amy &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;team&quot; were great'), page.text.slice(0, 3000));
    assert.ok(!page.text.includes('<script>'), 'the comment is text, not markup');
    assert.match(visibleText(page.text), /\*\*\*\*\* for Amy, \d{4}-\d{2}-\d{2}/);
    for (const secret of ['Kowalczyk', customer.name, customer.email, 'Private subject 123', 'Keep this private']) {
      assert.ok(!page.text.includes(secret), `the page reveals ${secret}`);
    }
  });

  test('rewards ledger and fulfilment: agents see their own points; only managers and admins fulfil', async () => {
    const dan = await createUser(api, { name: 'Dan Ledger', email: 'dan@example.com', role: 'agent', ticket_restriction: null });
    const asDan = api.as(tokenAuth(dan.email, srv.token));
    const give = async (item) => {
      const s = await fb.rated({ agent: dan, subject: `Reward ${item}` }, { stars: 5, comment: `Thanks, ${item}` });
      const res = await fb.postJson(`${s.path}/thanks`, { reward: item });
      assert.equal(res.status, 200, res.text);
      return res.body.reward;
    };
    const lunch = await give('lunch');
    const coffee = await give('coffee');
    const five = await give('high_five');

    const own = await ledger('', asDan);
    assert.deepEqual(own.rewards.map((x) => x.id).sort((a, b) => a - b), [lunch.id, coffee.id, five.id]);
    assert.ok(own.rewards.every((x) => x.agent_id === dan.id));
    assert.equal(own.points_earned, 210);
    assert.equal(own.points_fulfilled, 0);
    assert.equal(own.count, 3);
    assert.deepEqual((await ledger(`&agent_id=${dan.id}`, asDan)).rewards.length, 3);
    assert.deepEqual((await asDan.get(`/api/v2/rewards.json?agent_id=${amy.id}`, { expect: 403 })).body, FORBIDDEN);
    assert.ok((await ledger('', as.oscar)).rewards.every((x) => x.agent_id === oscar.id), "another agent does not see Dan's");
    assert.equal((await ledger(`&agent_id=${dan.id}`, as.lead)).points_earned, 210, 'a lead sees anyone');
    assert.deepEqual((await as.eve.get('/api/v2/rewards.json', { expect: 403 })).body, FORBIDDEN);
    await api.get('/api/v2/rewards.json', { auth: 'none', expect: 401 });
    await api.get('/api/v2/rewards.json?status=lost', { expect: 400 });

    // Fulfilment: agents (even the recipient), leads and QA are refused.
    const put = (id, status, who, expect) => who.put(`/api/v2/rewards/${id}.json`, { reward: { status } }, { expect });
    for (const who of [asDan, as.oscar, as.lead, as.qa, as.eve]) {
      assert.deepEqual((await put(lunch.id, 'fulfilled', who, 403)).body, FORBIDDEN);
    }
    assert.equal((await ledger(`&agent_id=${dan.id}`)).points_fulfilled, 0, 'the refused attempts changed nothing');
    const done = (await put(lunch.id, 'fulfilled', as.manager, 200)).body.reward;
    assert.equal(done.status, 'fulfilled');
    assert.equal(done.fulfilled_by, manager.id);
    assert.match(done.fulfilled_at, ISO);
    const cancelled = (await put(five.id, 'cancelled', api, 200)).body.reward;
    assert.equal(cancelled.status, 'cancelled');

    // A fulfilled reward cannot be cancelled (nor fulfilled twice); a cancelled one stays cancelled.
    for (const [id, status, now] of [
      [lunch.id, 'cancelled', 'fulfilled'],
      [lunch.id, 'fulfilled', 'fulfilled'],
      [five.id, 'fulfilled', 'cancelled'],
    ]) {
      const res = await put(id, status, as.manager, 422);
      assert.equal(res.body.details.status[0].description, `Status: the reward is already ${now}`);
    }
    assert.equal((await put(coffee.id, 'chosen', as.manager, 422)).body.details.status[0].description, 'Status: must be fulfilled or cancelled');
    await put(999999, 'fulfilled', as.manager, 404);

    const after = await ledger('', asDan);
    assert.equal(after.points_earned, 200, 'a cancelled reward earns nothing');
    assert.equal(after.points_fulfilled, 150);
    assert.deepEqual(
      Object.fromEntries(after.rewards.map((x) => [x.item, x.status])),
      { lunch: 'fulfilled', coffee: 'chosen', high_five: 'cancelled' },
    );
    assert.deepEqual((await ledger('&status=fulfilled', asDan)).rewards.map((x) => x.id), [lunch.id]);
    assert.equal((await showRating(lunch.rating_id, asDan)).reward.status, 'fulfilled');
  });

  // ---- daily digest --------------------------------------------------------------------------

  test("digest: a lead reads their own team's day; another lead's is refused; managers pick any lead", async () => {
    const tara = await createUser(api, { name: 'Tara Team', email: 'tara@example.com', role: 'agent', ticket_restriction: null, team_lead_id: lead.id });
    const ulf = await createUser(api, { name: 'Ulf Team', email: 'ulf@example.com', role: 'agent', ticket_restriction: null, team_lead_id: lead.id });
    const vic = await createUser(api, { name: 'Vic Other', email: 'vic@example.com', role: 'agent', ticket_restriction: null, team_lead_id: lead2.id });
    const r = {};
    r.taraTop = (await fb.rated({ agent: tara, subject: 'Superb help' }, { stars: 5, comment: 'Superb', resolved: true })).rating.id;
    r.taraLow = (await fb.rated({ agent: tara, subject: 'Bad day' }, { stars: 1, comment: 'Awful', resolved: false })).rating.id;
    r.ulfGood = (await fb.rated({ agent: ulf, subject: 'Fine' }, { stars: 4 })).rating.id;
    r.ulfLow = (await fb.rated({ agent: ulf, subject: 'Meh' }, { stars: 2 })).rating.id;
    r.vic = (await fb.rated({ agent: vic, subject: 'Other team' }, { stars: 5 })).rating.id;

    const today = utcDate();
    const own = (await as.lead.get(`/api/v2/feedback/digest.json?date=${today}`, { expect: 200 })).body.digest;
    assert.equal(own.lead_id, lead.id);
    assert.equal(own.date, today);
    assert.equal(own.responses, 4);
    assert.equal(own.average_stars, 3);
    assert.equal(own.csat, 50);
    assert.equal(own.dsat, 50);
    assert.deepEqual(own.best.map((x) => x.rating_id), [r.taraTop, r.ulfGood]);
    assert.deepEqual(own.worst.map((x) => x.rating_id), [r.taraLow, r.ulfLow]);
    assert.deepEqual(own.best[0], {
      rating_id: r.taraTop,
      ticket_id: own.best[0].ticket_id,
      agent_id: tara.id,
      agent_name: 'Tara Team',
      stars: 5,
      comment: 'Superb',
      subject: 'Superb help',
      resolved: true,
    });
    assert.equal(own.worst[0].comment, 'Awful');
    assert.equal(own.worst[0].resolved, false);
    assert.ok(![...own.best, ...own.worst].some((x) => x.rating_id === r.vic), "another team's rating is not in it");
    // The default date is today.
    assert.deepEqual((await as.lead.get('/api/v2/feedback/digest.json', { expect: 200 })).body.digest, own);

    // Another lead's digest is refused to a lead, QA and agents; managers and admins may pass lead_id.
    for (const who of [as.lead2, as.qa, as.amy, as.eve]) {
      assert.deepEqual((await who.get(`/api/v2/feedback/digest.json?lead_id=${lead.id}&date=${today}`, { expect: 403 })).body, FORBIDDEN);
    }
    assert.deepEqual((await as.lead.get(`/api/v2/feedback/digest.json?lead_id=${lead2.id}`, { expect: 403 })).body, FORBIDDEN);
    for (const who of [as.manager, api]) {
      assert.deepEqual((await who.get(`/api/v2/feedback/digest.json?lead_id=${lead.id}&date=${today}`, { expect: 200 })).body.digest, own);
    }
    const other = (await as.lead2.get('/api/v2/feedback/digest.json', { expect: 200 })).body.digest;
    assert.equal(other.responses, 1);
    assert.deepEqual(other.best.map((x) => x.rating_id), [r.vic]);
    assert.deepEqual(other.worst, []);

    // Another day: nothing, with no averages rather than zeros.
    const quiet = (await as.lead.get(`/api/v2/feedback/digest.json?date=${utcDate(-1)}`, { expect: 200 })).body.digest;
    assert.deepEqual(quiet, { lead_id: lead.id, date: utcDate(-1), time_zone: 'UTC', responses: 0, average_stars: null, csat: null, dsat: null, best: [], worst: [] });
    for (const q of ['date=yesterday', 'date=2026-02-31x', 'lead_id=abc']) {
      await as.lead.get(`/api/v2/feedback/digest.json?${q}`, { expect: 400 });
    }
    // End users have no digest of their own either.
    assert.deepEqual((await as.eve.get('/api/v2/feedback/digest.json', { expect: 403 })).body, FORBIDDEN);
    await api.get('/api/v2/feedback/digest.json', { auth: 'none', expect: 401 });
  });
});
