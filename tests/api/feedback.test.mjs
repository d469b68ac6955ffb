// Agent-level customer feedback as the customer, the agent, the lead and a Zendesk client see it:
// solving a ticket hands out a signed single-use survey link naming the agent; the link's page
// records nothing until the customer submits; answers show up in satisfaction_ratings and on the
// ticket; bad links are 404; settings, suppression and permissions behave as documented.
//
// Requests are created by a background consumer, so tests poll for them with a deadline. Where
// a test must show that *no* request was made, it waits until the consumer has read past the
// solve (its cursor in event_cursors, read with the sqlite3 CLI): a barrier, not an assertion.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HTML_CT = 'text/html; charset=utf-8';
const DEFAULT_SETTINGS = {
  enabled: true,
  first_solve_only: false,
  group_ids: [],
  channels: [],
  suppression_days: 7,
  expiry_days: 14,
  ask_nps: true,
  improvement_tags: ['product_knowledge', 'speed', 'clarity', 'empathy', 'follow_up'],
  excellence_tags: ['product_knowledge', 'speed', 'friendliness', 'empathy', 'went_the_extra_mile'],
  recovery_threshold: 2,
  recovery_group_id: null,
  recovery_due_hours: 24,
  reward_catalog: [
    { id: 'coffee', label: 'Buy them a coffee', points: 50 },
    { id: 'high_five', label: 'A high five', points: 10 },
    { id: 'lunch', label: 'Treat them to lunch', points: 150 },
  ],
  leaderboard_prior_weight: 10,
  questions: [],
};

describe('feedback', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let amy; // the agent most tickets are assigned to
  let bob; // a second agent
  let lead; // team lead: sees everyone's ratings
  let asAmy;
  let asBob;
  let asLead;
  let seq = 0;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    bob = await createUser(api, { name: 'Bob Builder', email: 'bob@example.com', role: 'agent', ticket_restriction: null });
    lead = await createUser(api, { name: 'Lea Lead', email: 'lea@example.com', role: 'agent', rapport_role: 'team_lead' });
    assert.equal(lead.rapport_role, 'team_lead');
    asAmy = api.as(tokenAuth(amy.email, srv.token));
    asBob = api.as(tokenAuth(bob.email, srv.token));
    asLead = api.as(tokenAuth(lead.email, srv.token));
  });
  after(() => stopClean(srv));

  // ---- helpers -------------------------------------------------------------------------------

  /** A customer not surveyed before (one survey per customer per 7 days by default). */
  const newCustomer = (label = 'customer') => {
    seq += 1;
    return { name: `Cara ${label} ${seq}`, email: `cara-${seq}@example.com` };
  };
  const asUser = (email) => api.as(tokenAuth(email, srv.token));

  /** Creates a ticket assigned to `agent` and has the agent solve it. Returns the solved ticket. */
  async function solvedTicket({ agent = amy, requester = newCustomer(), requesterId, subject = 'My order never arrived' } = {}) {
    const fields = { subject, comment: { body: `${subject}. Please help.` }, assignee_id: agent.id };
    if (requesterId) fields.requester_id = requesterId;
    else fields.requester = requester;
    const created = (await api.post('/api/v2/tickets.json', { ticket: fields }, { expect: 201 })).body.ticket;
    await solve(created.id, agent);
    return created;
  }

  async function solve(ticketId, agent = amy) {
    const res = await api
      .as(tokenAuth(agent.email, srv.token))
      .put(`/api/v2/tickets/${ticketId}.json`, { ticket: { status: 'solved', comment: { body: 'All sorted.' } } }, { expect: 200 });
    assert.equal(res.body.ticket.status, 'solved');
  }

  async function requestsFor(ticketId, as = api) {
    return (await as.get(`/api/v2/tickets/${ticketId}/feedback_requests.json`, { expect: 200 })).body.feedback_requests;
  }

  /** Polls until the ticket has at least `n` feedback requests; returns them. */
  function waitForRequests(ticketId, n = 1) {
    return eventually(
      async () => {
        const reqs = await requestsFor(ticketId);
        return reqs.length >= n && reqs;
      },
      { message: `${n} feedback request(s) for ticket ${ticketId}` },
    );
  }

  /** A solved ticket with its delivered survey: {ticket, request, url, path, token}. */
  async function survey(opts = {}) {
    const ticket = await solvedTicket(opts);
    const [request] = await waitForRequests(ticket.id);
    assert.equal(request.status, 'delivered', JSON.stringify(request));
    const path = new URL(request.url).pathname;
    return { ticket, request, url: request.url, path, token: path.slice('/s/'.length) };
  }

  async function sql(query) {
    return (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  }

  /**
   * Waits until the feedback consumer has handled every solve written so far (see the header). It
   * moves its position only over the events it handles (ticket updates), so the wait is for the
   * last of those, not for the end of the log.
   */
  async function consumerCaughtUp() {
    const last = Number(await sql("SELECT COALESCE(MAX(id), 0) FROM events WHERE kind = 'ticket.updated'"));
    await eventually(
      async () => Number((await sql("SELECT last_id FROM event_cursors WHERE name = 'feedback_requests'")) || 0) >= last,
      { message: `feedback consumer past ticket update ${last}` },
    );
  }

  /** The survey page as a browser fetches it (no credentials). */
  function page(path, method = 'GET', body, headers = {}) {
    return srv.request(method, path, { auth: 'none', body, headers: { Accept: 'text/html', ...headers } });
  }

  /** A form post: `fields` is {name: value | [values]}. */
  function postForm(path, fields) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, String(one));
    return page(path, 'POST', form.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
  }

  function postJson(path, body) {
    return srv.request('POST', path, { auth: 'none', body });
  }

  async function ratingsForTicket(ticketId) {
    const all = (await api.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings;
    return all.filter((r) => r.ticket_id === ticketId);
  }

  async function ticketOf(id) {
    return (await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket;
  }

  /** Nothing recorded for the survey: still delivered/unopened, no rating, ticket unrated. */
  async function assertNothingRecorded(s, { status = 'delivered' } = {}) {
    const [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, status);
    assert.equal(req.answered_at, null);
    if (status === 'delivered') assert.equal(req.opened_at, null);
    assert.deepEqual(await ratingsForTicket(s.ticket.id), []);
    assert.equal((await ticketOf(s.ticket.id)).satisfaction_rating, null);
  }

  async function putSettings(fields, { as = api, expect = 200 } = {}) {
    return as.put('/api/v2/feedback/settings.json', { feedback_settings: fields }, { expect });
  }

  const visibleText = (html) => html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ');

  // ---- the flow ------------------------------------------------------------------------------

  test('solving an assigned ticket creates a delivered request naming the agent, with a survey link', async () => {
    const ticket = await solvedTicket({ subject: 'Refund for order 1234' });
    const reqs = await waitForRequests(ticket.id);
    assert.equal(reqs.length, 1);
    const r = reqs[0];
    assert.equal(r.ticket_id, ticket.id);
    assert.equal(r.kind, 'survey');
    assert.equal(r.channel, 'api');
    assert.equal(r.status, 'delivered');
    assert.equal(r.suppressed_reason, null);
    assert.equal(r.agent.id, amy.id);
    assert.equal(r.agent.name, 'Amy Agent');
    assert.match(r.url, new RegExp(`^${srv.baseUrl}/s/\\d+\\.\\d+\\.[0-9a-f]{40}$`));
    for (const k of ['created_at', 'expires_at', 'delivered_at']) assert.match(r[k], ISO, k);
    assert.equal(r.opened_at, null);
    assert.equal(r.answered_at, null);
    const days = (Date.parse(r.expires_at) - Date.parse(r.created_at)) / 86_400_000;
    assert.equal(days, 14, 'the link lives expiry_days');
    // The agent who solved it sees the same list without the links (an agent must not be able
    // to answer their own survey); an unrelated end user does not see the ticket.
    const agentView = await requestsFor(ticket.id, asAmy);
    assert.equal(agentView[0].url, undefined);
    assert.deepEqual(agentView, reqs.map(({ url, ...rest }) => rest));
    await asUser('stranger@example.com')
      .get(`/api/v2/tickets/${ticket.id}/feedback_requests.json`)
      .then((res) => assert.ok([401, 403, 404].includes(res.status), `stranger: ${res.status}`));
  });

  test('the survey page shows the agent and the subject, and opening it records nothing', async () => {
    const s = await survey({ subject: 'Printer jams on page 2' });
    const res = await page(s.path);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), HTML_CT);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', 'the link is a credential');
    const text = visibleText(res.text);
    assert.match(text, /How did Amy do\?/);
    assert.match(text, /Amy Agent/);
    assert.match(text, /Printer jams on page 2/);
    for (let i = 1; i <= 5; i += 1) assert.match(res.text, new RegExp(`name="stars" value="${i}"`));
    assert.match(res.text, /<form method="post" action="\/s\//);
    assert.doesNotMatch(res.text, /name="stars" value="\d" required checked/, 'no star is pre-selected');
    // A star link from the email pre-selects that star, but a GET (or a mail scanner) never records.
    const pre = await page(`${s.path}?stars=1`);
    assert.equal(pre.status, 200);
    assert.match(pre.text, /name="stars" value="1" required checked/);
    // HEAD, as link checkers send, records nothing either.
    assert.equal((await srv.request('HEAD', s.path, { auth: 'none' })).status, 200);
    await assertNothingRecorded(s);
  });

  test('a form answer is recorded once: thank-you page, satisfaction_ratings, ticket.satisfaction_rating', async () => {
    const s = await survey({ subject: 'Cannot log in' });
    const comment = 'Amy fixed it in minutes & explained why: 100% "great" <3';
    const res = await postForm(s.path, {
      stars: 5,
      resolved: 'yes',
      nps: 9,
      comment,
      tags: ['speed', 'friendliness'],
    });
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.equal(res.headers.get('content-type'), HTML_CT);
    assert.match(visibleText(res.text), /Thank you!/);
    assert.doesNotMatch(res.text, /name="stars"/, 'the survey is not offered again');
    // After 5 stars: the optional thank-you step (a reward, sharing the comment).
    assert.match(res.text, new RegExp(`<form method="post" action="${s.path}/thanks">`));
    assert.match(visibleText(res.text), /Want to say thanks to Amy\?/);

    const [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, 'answered');
    assert.match(req.answered_at, ISO);
    assert.match(req.opened_at, ISO, 'an answer implies the page was opened');

    const ratings = await ratingsForTicket(s.ticket.id);
    assert.equal(ratings.length, 1);
    const r = ratings[0];
    assert.equal(r.url, `${srv.baseUrl}/api/v2/satisfaction_ratings/${r.id}.json`);
    assert.equal(r.assignee_id, amy.id);
    assert.equal(r.requester_id, s.ticket.requester_id);
    assert.equal(r.score, 'good');
    assert.equal(r.stars, 5);
    assert.equal(r.resolved, true);
    assert.equal(r.nps, 9);
    assert.equal(r.comment, comment, 'the form decoding keeps +, &, % and quotes');
    assert.deepEqual(r.tags, ['speed', 'friendliness']);
    assert.equal(r.kind, 'survey');
    for (const k of ['reason', 'reason_id']) assert.equal(r[k], null);
    assert.match(r.created_at, ISO);
    const shown = (await api.get(`/api/v2/satisfaction_ratings/${r.id}.json`, { expect: 200 })).body.satisfaction_rating;
    assert.deepEqual(shown, r);
    assert.deepEqual((await ticketOf(s.ticket.id)).satisfaction_rating, { id: r.id, score: 'good', comment });

    // Coming back to the link shows the thank-you, not the form.
    const again = await page(s.path);
    assert.equal(again.status, 200);
    assert.match(visibleText(again.text), /Thank you!/);
    assert.doesNotMatch(again.text, /<form/);

    // A second answer is refused with a clear message and changes nothing.
    const reuse = await postForm(s.path, { stars: 1, comment: 'changed my mind' });
    assert.equal(reuse.status, 409);
    assert.equal(reuse.headers.get('content-type'), HTML_CT);
    assert.match(visibleText(reuse.text), /already answered/i);
    const reuseJson = await postJson(s.path, { stars: 1 });
    assert.equal(reuseJson.status, 409);
    assert.equal(reuseJson.body.error, 'AlreadyAnswered');
    assert.match(reuseJson.body.description, /already answered/i);
    assert.deepEqual(await ratingsForTicket(s.ticket.id), ratings);
    assert.deepEqual((await ticketOf(s.ticket.id)).satisfaction_rating, { id: r.id, score: 'good', comment });
  });

  test('a JSON answer is recorded the same way', async () => {
    const s = await survey({ subject: 'Wrong size delivered' });
    const res = await postJson(s.path, {
      rating: { stars: 2, resolved: false, nps: 3, comment: 'Took three emails.', tags: ['speed', 'clarity'] },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.body.rating.stars, 2);
    assert.equal(res.body.rating.score, 'bad');
    const [r] = await ratingsForTicket(s.ticket.id);
    assert.equal(r.id, res.body.rating.id);
    assert.equal(r.score, 'bad');
    assert.equal(r.resolved, false);
    assert.equal(r.nps, 3);
    assert.equal(r.comment, 'Took three emails.');
    assert.deepEqual(r.tags, ['speed', 'clarity']);
    assert.deepEqual((await ticketOf(s.ticket.id)).satisfaction_rating, { id: r.id, score: 'bad', comment: 'Took three emails.' });

    // Without the "rating" wrapper, with resolved as "yes"; a tag from the other list is dropped.
    const s2 = await survey({ subject: 'Tracking number please' });
    const res2 = await postJson(s2.path, { stars: 4, resolved: 'yes', tags: ['went_the_extra_mile', 'clarity'] });
    assert.equal(res2.status, 201, res2.text);
    const [r2] = await ratingsForTicket(s2.ticket.id);
    assert.equal(r2.resolved, true);
    assert.equal(r2.nps, null);
    assert.deepEqual(r2.tags, ['went_the_extra_mile'], 'clarity is an improvement tag, not offered for 4 stars');
  });

  test('score mapping: 4-5 stars good, 1-2 bad, 3 shows as offered; the score filter follows', async () => {
    const expected = { 1: 'bad', 2: 'bad', 3: 'offered', 4: 'good', 5: 'good' };
    const ids = {};
    for (const stars of [1, 2, 3, 4, 5]) {
      const s = await survey({ agent: bob, subject: `Mapping ${stars}` });
      const res = await postForm(s.path, { stars });
      assert.equal(res.status, 200, `${stars} stars: ${res.text.slice(0, 300)}`);
      const [r] = await ratingsForTicket(s.ticket.id);
      assert.equal(r.stars, stars);
      assert.equal(r.score, expected[stars], `${stars} stars in satisfaction_ratings`);
      assert.equal((await ticketOf(s.ticket.id)).satisfaction_rating.score, expected[stars], `${stars} stars on the ticket`);
      ids[stars] = r.id;
    }
    const bobs = async (q) =>
      (await asBob.get(`/api/v2/satisfaction_ratings.json?per_page=100${q}`, { expect: 200 })).body.satisfaction_ratings
        .map((r) => r.id)
        .sort((a, b) => a - b);
    assert.deepEqual(await bobs('&score=good'), [ids[4], ids[5]]);
    assert.deepEqual(await bobs('&score=bad'), [ids[1], ids[2]]);
    assert.deepEqual(await bobs('&score=received'), Object.values(ids));
    assert.deepEqual(await bobs('&score=good_with_comment'), []);
    assert.deepEqual(await bobs('&score=offered'), [ids[3]], 'the filter finds what the score shows');
    await asBob.get('/api/v2/satisfaction_ratings.json?score=splendid', { expect: 400 });
  });

  test('forged, altered and truncated links are 404 and record nothing', async () => {
    const s = await survey({ subject: 'Forgery target' });
    const other = await survey({ subject: 'Another customer' });
    const [id, exp, sig] = s.token.split('.');
    const flip = (c) => (c === '0' ? '1' : '0');
    const bad = {
      'signature flipped': `${id}.${exp}.${flip(sig[0])}${sig.slice(1)}`,
      'signature truncated': `${id}.${exp}.${sig.slice(0, -1)}`,
      'signature extended': `${id}.${exp}.${sig}0`,
      'signature upper-cased': `${id}.${exp}.${sig.toUpperCase()}`,
      'signature missing': `${id}.${exp}.`,
      'id and expiry only': `${id}.${exp}`,
      'other request id': `${other.token.split('.')[0]}.${exp}.${sig}`,
      'expiry moved': `${id}.${Number(exp) + 86_400}.${sig}`,
      'token cut in half': s.token.slice(0, Math.floor(s.token.length / 2)),
      'extra part': `${s.token}.x`,
      garbage: 'not-a-token',
      'made-up numbers': `999999.${exp}.${'a'.repeat(40)}`,
    };
    assert.notEqual(bad['signature upper-cased'], s.token);
    for (const [what, token] of Object.entries(bad)) {
      const path = `/s/${token}`;
      const get = await page(path);
      assert.equal(get.status, 404, `GET ${what}`);
      assert.equal(get.headers.get('content-type'), HTML_CT, `GET ${what}`);
      assert.match(visibleText(get.text), /This link doesn't work/, `GET ${what}`);
      assert.doesNotMatch(get.text, /Amy|Forgery target|<form/, `${what}: the page reveals nothing`);
      const form = await postForm(path, { stars: 5, comment: 'forged' });
      assert.equal(form.status, 404, `POST form ${what}`);
      assert.match(visibleText(form.text), /This link doesn't work/);
      const json = await postJson(path, { stars: 5 });
      assert.equal(json.status, 404, `POST JSON ${what}`);
      assert.deepEqual(json.body, NOT_FOUND, `POST JSON ${what}`);
      const opened = await srv.request('POST', `${path}/opened`, { auth: 'none' });
      assert.equal(opened.status, 404, `beacon ${what}`);
    }
    await assertNothingRecorded(s);
    await assertNothingRecorded(other);
    // The genuine link still works after all that.
    assert.equal((await page(s.path)).status, 200);
  });

  test('validation errors show a clear message and the link stays answerable', async () => {
    const s = await survey({ subject: 'Validation target' });
    const formCases = [
      [{ comment: 'forgot the stars' }, /Stars: choose 1 to 5 stars/],
      [{ stars: 6 }, /Stars: choose 1 to 5 stars/],
      [{ stars: 0 }, /Stars: choose 1 to 5 stars/],
      [{ stars: 'five' }, /Stars: choose 1 to 5 stars/],
      [{ stars: 4, nps: 11 }, /NPS: must be 0 to 10/],
      [{ stars: 5, tags: ['teleportation'] }, /Tags: teleportation is not an option/],
      [{ stars: 4, resolved: 'maybe' }, /Resolved: answer yes or no/],
    ];
    for (const [fields, message] of formCases) {
      const res = await postForm(s.path, fields);
      assert.equal(res.status, 422, `${JSON.stringify(fields)}: ${res.status}`);
      assert.equal(res.headers.get('content-type'), HTML_CT);
      const alert = /<p class="error" role="alert">([^<]*)<\/p>/.exec(res.text);
      assert.ok(alert, `${JSON.stringify(fields)}: an error message is shown`);
      assert.match(alert[1], message);
      assert.match(res.text, /name="stars"/, 'the form is shown again');
      assert.match(visibleText(res.text), /How did Amy do\?/);
    }
    const jsonCases = [
      [{}, 'stars'],
      [{ stars: 6 }, 'stars'],
      [{ stars: 5, nps: 11 }, 'nps'],
      [{ stars: 5, nps: -1 }, 'nps'],
      [{ stars: 5, tags: ['bogus'] }, 'tags'],
      [{ stars: 5, resolved: 'perhaps' }, 'resolved'],
    ];
    for (const [body, field] of jsonCases) {
      const res = await postJson(s.path, body);
      assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.error, 'RecordInvalid');
      assert.ok(res.body.details?.[field]?.[0]?.description, `${JSON.stringify(body)}: details.${field} in ${res.text}`);
    }
    // What the customer typed comes back with the error, so nothing is lost.
    const kept = await postForm(s.path, { stars: 4, nps: 11, resolved: 'yes', comment: 'Keep <this> text', tags: ['speed'] });
    assert.equal(kept.status, 422);
    assert.match(kept.text, /<textarea[^>]*>Keep &lt;this&gt; text<\/textarea>/);
    assert.match(kept.text, /value="4" required checked/);
    assert.match(kept.text, /name="resolved" value="yes" checked/);
    assert.match(kept.text, /name="tags" value="speed" checked/);
    const malformed = await srv.request('POST', s.path, { auth: 'none', body: '{"stars":', headers: { 'Content-Type': 'application/json' } });
    assert.equal(malformed.status, 400);
    await assertNothingRecorded(s);
    // Still answerable.
    const ok = await postForm(s.path, { stars: 3, resolved: 'no', nps: 0 });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    const [r] = await ratingsForTicket(s.ticket.id);
    assert.equal(r.stars, 3);
    assert.equal(r.resolved, false);
    assert.equal(r.nps, 0);
  });

  test('the opened beacon marks the request opened; GET alone does not', async () => {
    const s = await survey({ subject: 'Beacon target' });
    assert.equal((await page(s.path)).status, 200);
    let [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, 'delivered');
    assert.equal(req.opened_at, null);
    const beacon = await srv.request('POST', `${s.path}/opened`, { auth: 'none' });
    assert.equal(beacon.status, 204);
    assert.equal(beacon.text, '');
    [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, 'opened');
    assert.match(req.opened_at, ISO);
    const firstOpened = req.opened_at;
    assert.equal((await srv.request('POST', `${s.path}/opened`, { auth: 'none' })).status, 204, 'a second beacon is harmless');
    [req] = await requestsFor(s.ticket.id);
    assert.equal(req.opened_at, firstOpened);
    assert.deepEqual(await ratingsForTicket(s.ticket.id), [], 'opening is not answering');
    assert.equal((await postForm(s.path, { stars: 4 })).status, 200);
    [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, 'answered');
    assert.equal((await srv.request('POST', `${s.path}/opened`, { auth: 'none' })).status, 204);
    [req] = await requestsFor(s.ticket.id);
    assert.equal(req.status, 'answered', 'a late beacon does not undo the answer');
  });

  test('agent names and subjects are shown as text, never as markup', async () => {
    const evil = await createUser(api, { name: '<script>alert(1)</script>', email: 'evil@example.com', role: 'agent', ticket_restriction: null });
    const subject = 'Refund <img src=x onerror=alert(2)> & "soon"';
    const s = await survey({ agent: evil, subject });
    const res = await page(s.path);
    assert.equal(res.status, 200);
    assert.ok(res.text.includes('How did &lt;script&gt;alert(1)&lt;/script&gt; do?'), 'heading escaped');
    assert.ok(res.text.includes('&lt;img src=x onerror=alert(2)&gt; &amp; &quot;soon&quot;'), 'subject escaped');
    assert.ok(!res.text.includes('<script>alert(1)'), 'the agent name is not markup');
    assert.ok(!res.text.includes('<img src=x'), 'the subject is not markup');
    const scripts = res.text.match(/<script[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1, `only the page's own script: ${scripts}`);
    assert.match(scripts[0], /^<script nonce="[^"]+">$/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'nonce-[^']+'/, 'inline script needs the nonce');
    assert.ok(csp.includes(scripts[0].match(/nonce="([^"]+)"/)[1]));
    // The error page echoes a tag the customer sent: escaped as well.
    const err = await postForm(s.path, { stars: 5, tags: ['<b>bold</b>'] });
    assert.equal(err.status, 422);
    assert.ok(err.text.includes('Tags: &lt;b&gt;bold&lt;/b&gt; is not an option'), err.text.slice(0, 2000));
    assert.ok(!err.text.includes('<b>bold'));
    // The thank-you page after answering shows the name escaped too.
    assert.equal((await postForm(s.path, { stars: 5 })).status, 200);
    const thanks = await page(s.path);
    assert.ok(!thanks.text.includes('<script>alert(1)'));
  });

  test('a non-ASCII agent name renders intact, initial included', async () => {
    const elodie = await createUser(api, { name: 'Élodie Durand', email: 'elodie@example.com', role: 'agent', ticket_restriction: null });
    const s = await survey({ agent: elodie, subject: 'Facture incorrecte' });
    const res = await page(s.path);
    assert.equal(res.status, 200);
    assert.match(res.text, /How did Élodie do\?/);
    assert.ok(!res.text.includes('\uFFFD'), 'the page is valid UTF-8 (no replacement characters)');
    assert.match(res.text, /<div class="avatar" aria-hidden="true">É<\/div>/, 'the avatar shows the first letter');
  });

  // ---- suppression ---------------------------------------------------------------------------

  test('suppression: a customer surveyed within 7 days, a staff requester, a no-reply address', async () => {
    const customer = newCustomer('repeat');
    const first = await survey({ requester: customer, subject: 'First problem' });
    const user = (await api.get(`/api/v2/users/${first.ticket.requester_id}.json`, { expect: 200 })).body.user;
    const second = await solvedTicket({ requesterId: user.id, subject: 'Second problem' });
    const [again] = await waitForRequests(second.id);
    assert.equal(again.status, 'suppressed');
    assert.equal(again.suppressed_reason, 'recently_surveyed');
    assert.equal(again.url, null, 'no link for a suppressed request');
    assert.equal(again.agent.id, amy.id);

    const staff = await solvedTicket({ requesterId: bob.id, subject: 'Asked by a colleague' });
    const [byStaff] = await waitForRequests(staff.id);
    assert.equal(byStaff.status, 'suppressed');
    assert.equal(byStaff.suppressed_reason, 'requester_is_staff');
    assert.equal(byStaff.url, null);

    const robot = await solvedTicket({ requester: { name: 'Shop Robot', email: 'noreply@shop.example.com' }, subject: 'Automated order mail' });
    const [byRobot] = await waitForRequests(robot.id);
    assert.equal(byRobot.status, 'suppressed');
    assert.equal(byRobot.suppressed_reason, 'no_reply_address');
    assert.equal(byRobot.url, null);

    // The first survey is untouched by the suppressed one.
    const [firstReq] = await requestsFor(first.ticket.id);
    assert.equal(firstReq.status, 'delivered');
    assert.equal((await page(first.path)).status, 200);
  });

  // ---- settings ------------------------------------------------------------------------------

  test('settings: staff read them, only admins change them, bad values are 422 and change nothing', async () => {
    const got = (await api.get('/api/v2/feedback/settings.json', { expect: 200 })).body.feedback_settings;
    assert.deepEqual(got, DEFAULT_SETTINGS);
    assert.deepEqual((await asAmy.get('/api/v2/feedback/settings', { expect: 200 })).body.feedback_settings, DEFAULT_SETTINGS);
    const eve = await createUser(api, { name: 'Eve End', email: 'eve@example.com' });
    const asEve = asUser(eve.email);
    assert.deepEqual((await asEve.get('/api/v2/feedback/settings.json', { expect: 403 })).body, FORBIDDEN);

    assert.deepEqual((await putSettings({ ask_nps: false }, { as: asAmy, expect: 403 })).body, FORBIDDEN);
    assert.deepEqual((await putSettings({ ask_nps: false }, { as: asLead, expect: 403 })).body, FORBIDDEN);
    await putSettings({ ask_nps: false }, { as: asEve, expect: 403 });

    const invalid = [
      [{ suppression_days: -1 }, 'suppression_days'],
      [{ suppression_days: 366 }, 'suppression_days'],
      [{ expiry_days: 0 }, 'expiry_days'],
      [{ expiry_days: 91 }, 'expiry_days'],
      [{ recovery_threshold: 5 }, 'recovery_threshold'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ channels: 'api' }, 'channels'],
      [{ improvement_tags: [1, 2] }, 'improvement_tags'],
    ];
    for (const [fields, field] of invalid) {
      // A valid change beside the bad one must not be applied either.
      const res = await putSettings({ ask_nps: false, ...fields }, { expect: 422 });
      assert.equal(res.body.error, 'RecordInvalid');
      assert.ok(res.body.details?.[field], `${JSON.stringify(fields)}: details.${field} in ${res.text}`);
    }
    await api.put('/api/v2/feedback/settings.json', { ask_nps: false }, { expect: 400 });
    assert.deepEqual((await api.get('/api/v2/feedback/settings.json', { expect: 200 })).body.feedback_settings, DEFAULT_SETTINGS);

    // An admin's change is returned, kept, and shapes the next survey.
    await consumerCaughtUp();
    const changed = (await putSettings({ ask_nps: false, expiry_days: 30 })).body.feedback_settings;
    assert.deepEqual(changed, { ...DEFAULT_SETTINGS, ask_nps: false, expiry_days: 30 });
    assert.deepEqual((await api.get('/api/v2/feedback/settings.json', { expect: 200 })).body.feedback_settings, changed);
    try {
      const s = await survey({ subject: 'After the settings change' });
      assert.equal((Date.parse(s.request.expires_at) - Date.parse(s.request.created_at)) / 86_400_000, 30);
      const res = await page(s.path);
      assert.doesNotMatch(res.text, /name="nps"/, 'no NPS question when ask_nps is off');
      assert.equal((await postForm(s.path, { stars: 4, nps: 10 })).status, 200);
      assert.equal((await ratingsForTicket(s.ticket.id))[0].nps, null, 'an NPS nobody asked for is not stored');
    } finally {
      await consumerCaughtUp();
      await putSettings({ ask_nps: true, expiry_days: 14 });
    }
  });

  test('first_solve_only: a re-solved ticket is surveyed again unless the setting is on', async () => {
    await consumerCaughtUp();
    await putSettings({ suppression_days: 0 });
    try {
      const t = await solvedTicket({ subject: 'Keeps coming back' });
      await waitForRequests(t.id, 1);
      await asAmy.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'open' } }, { expect: 200 });
      await solve(t.id);
      const two = await waitForRequests(t.id, 2);
      assert.deepEqual(two.map((r) => r.status), ['delivered', 'delivered']);

      await consumerCaughtUp();
      await putSettings({ first_solve_only: true });
      await asAmy.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'open' } }, { expect: 200 });
      await solve(t.id);
      const fresh = await solvedTicket({ subject: 'First time here' });
      await consumerCaughtUp();
      assert.equal((await requestsFor(t.id)).length, 2, 'no third request for a ticket surveyed before');
      assert.equal((await requestsFor(fresh.id)).length, 1, 'a first solve is still surveyed');
    } finally {
      await consumerCaughtUp();
      await putSettings({ suppression_days: 7, first_solve_only: false });
    }
  });

  test('channels, groups and enabled filter which solves are surveyed', async () => {
    await consumerCaughtUp();
    try {
      await putSettings({ channels: ['email'] });
      const apiTicket = await solvedTicket({ subject: 'Via the API, email only' });
      await consumerCaughtUp();
      assert.deepEqual(await requestsFor(apiTicket.id), [], 'an api-channel ticket is not surveyed when only email is');

      await putSettings({ channels: ['email', 'api'] });
      const allowed = await solvedTicket({ subject: 'Via the API, api allowed' });
      assert.equal((await waitForRequests(allowed.id))[0].status, 'delivered');

      await consumerCaughtUp();
      const group = (await api.post('/api/v2/groups.json', { group: { name: 'Returns' } }, { expect: 201 })).body.group;
      await putSettings({ channels: [], group_ids: [group.id] });
      const outside = await solvedTicket({ subject: 'No group' });
      const insideTicket = (
        await api.post(
          '/api/v2/tickets.json',
          { ticket: { subject: 'In Returns', comment: { body: 'x' }, assignee_id: amy.id, group_id: group.id, requester: newCustomer() } },
          { expect: 201 },
        )
      ).body.ticket;
      await solve(insideTicket.id);
      assert.equal((await waitForRequests(insideTicket.id))[0].status, 'delivered');
      await consumerCaughtUp();
      assert.deepEqual(await requestsFor(outside.id), [], 'a ticket outside the groups is not surveyed');

      await putSettings({ group_ids: [], enabled: false });
      const off = await solvedTicket({ subject: 'Feedback turned off' });
      await consumerCaughtUp();
      assert.deepEqual(await requestsFor(off.id), []);
    } finally {
      await consumerCaughtUp();
      await putSettings({ channels: [], group_ids: [], enabled: true });
    }
    assert.deepEqual((await api.get('/api/v2/feedback/settings.json', { expect: 200 })).body.feedback_settings, DEFAULT_SETTINGS);
  });

  // ---- who sees ratings ----------------------------------------------------------------------

  test('ratings: agents see their own, a team lead sees all, end users are refused', async () => {
    const forAmy = await survey({ agent: amy, subject: 'Rated for Amy' });
    const forBob = await survey({ agent: bob, subject: 'Rated for Bob' });
    assert.equal((await postForm(forAmy.path, { stars: 4, comment: 'nice' })).status, 200);
    assert.equal((await postForm(forBob.path, { stars: 1, comment: 'slow' })).status, 200);
    const [amyRating] = await ratingsForTicket(forAmy.ticket.id);
    const [bobRating] = await ratingsForTicket(forBob.ticket.id);

    const list = async (as, q = '') =>
      (await as.get(`/api/v2/satisfaction_ratings.json?per_page=100${q}`, { expect: 200 })).body;
    const amyList = await list(asAmy);
    assert.ok(amyList.satisfaction_ratings.length > 0);
    assert.ok(amyList.satisfaction_ratings.every((r) => r.assignee_id === amy.id), 'Amy sees only her own ratings');
    assert.ok(amyList.satisfaction_ratings.some((r) => r.id === amyRating.id));
    assert.equal(amyList.count, amyList.satisfaction_ratings.length);
    const leadIds = (await list(asLead)).satisfaction_ratings.map((r) => r.id);
    assert.ok(leadIds.includes(amyRating.id) && leadIds.includes(bobRating.id), 'the lead sees both agents');
    const adminIds = (await list(api)).satisfaction_ratings.map((r) => r.id);
    assert.deepEqual(leadIds, adminIds);

    assert.deepEqual((await asAmy.get(`/api/v2/satisfaction_ratings/${amyRating.id}.json`, { expect: 200 })).body.satisfaction_rating, amyRating);
    assert.deepEqual((await asAmy.get(`/api/v2/satisfaction_ratings/${bobRating.id}.json`, { expect: 404 })).body, NOT_FOUND);
    await asLead.get(`/api/v2/satisfaction_ratings/${bobRating.id}`, { expect: 200 });
    await api.get('/api/v2/satisfaction_ratings/999999.json', { expect: 404 });

    const amyCustomer = (await api.get(`/api/v2/users/${forAmy.ticket.requester_id}.json`, { expect: 200 })).body.user;
    const asCustomer = asUser(amyCustomer.email);
    assert.deepEqual((await asCustomer.get('/api/v2/satisfaction_ratings.json', { expect: 403 })).body, FORBIDDEN);
    const other = await asCustomer.get(`/api/v2/satisfaction_ratings/${bobRating.id}.json`);
    assert.ok([403, 404].includes(other.status), `another customer's rating: ${other.status}`);
    await api.get('/api/v2/satisfaction_ratings.json', { auth: 'none', expect: 401 });

    // Time filters (epoch seconds).
    const now = Math.floor(Date.now() / 1000);
    assert.deepEqual((await list(asLead, `&start_time=${now + 3600}`)).satisfaction_ratings, []);
    assert.deepEqual((await list(asLead, `&end_time=${now - 3600}`)).satisfaction_ratings, []);
    const window = (await list(asLead, `&start_time=${now - 3600}&end_time=${now + 3600}`)).satisfaction_ratings.map((r) => r.id);
    assert.deepEqual(window, adminIds);
  });

  // ---- Zendesk's create endpoint -------------------------------------------------------------

  test('POST /tickets/{id}/satisfaction_rating: requester only, solved only, good or bad only', async () => {
    const rita = await createUser(api, { name: 'Rita Requester', email: 'rita@example.com' });
    const mallory = await createUser(api, { name: 'Mallory', email: 'mallory@example.com' });
    const asRita = asUser(rita.email);
    const ticket = (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject: 'Zendesk-style rating', comment: { body: 'help' }, assignee_id: amy.id, requester_id: rita.id } },
        { expect: 201 },
      )
    ).body.ticket;
    const path = `/api/v2/tickets/${ticket.id}/satisfaction_rating.json`;
    const good = { satisfaction_rating: { score: 'good', comment: 'Thanks!' } };

    const early = await asRita.post(path, good, { expect: 422 });
    assert.equal(early.body.error, 'RecordInvalid');
    assert.match(JSON.stringify(early.body.details), /solved/);

    await solve(ticket.id);
    assert.deepEqual((await asAmy.post(path, good, { expect: 403 })).body, FORBIDDEN, 'the agent cannot rate');
    await api.post(path, good, { expect: 403 }); // the admin is not the requester either
    await asUser(mallory.email).post(path, good, { expect: 404 });
    for (const score of ['offered', 'unoffered', 'great', '', 5]) {
      const res = await asRita.post(path, { satisfaction_rating: { score } }, { expect: 422 });
      assert.ok(res.body.details?.score, `${JSON.stringify(score)}: ${res.text}`);
    }
    await asRita.post(path, { score: 'good' }, { expect: 400 });
    assert.equal((await ticketOf(ticket.id)).satisfaction_rating, null, 'the refused attempts left nothing');

    const res = await asRita.post(path, { satisfaction_rating: { score: 'bad', comment: 'Took a week' } }, { expect: 200 });
    const r = res.body.satisfaction_rating;
    assert.equal(r.score, 'bad');
    assert.equal(r.comment, 'Took a week');
    assert.equal(r.ticket_id, ticket.id);
    assert.equal(r.requester_id, rita.id);
    assert.equal(r.assignee_id, amy.id);
    assert.equal(r.url, `${srv.baseUrl}/api/v2/satisfaction_ratings/${r.id}.json`);
    assert.deepEqual((await ticketOf(ticket.id)).satisfaction_rating, { id: r.id, score: 'bad', comment: 'Took a week' });
    const amyIds = (await asAmy.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings.map(
      (x) => x.id,
    );
    assert.ok(amyIds.includes(r.id), 'the assignee sees the rating');
    assert.equal((await api.get(`/api/v2/satisfaction_ratings/${r.id}.json`, { expect: 200 })).body.satisfaction_rating.score, 'bad');
  });
});
