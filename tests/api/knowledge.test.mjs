// The knowledge base and self-service as editors, agents, customers and anonymous visitors see
// them: Help Center categories/sections/articles over Zendesk's API shapes, who sees drafts and
// internal articles, ranked search with snippets, safe Markdown, the public /hc pages, the web
// form's suggestion step ("did this answer your question?") with deflections recorded, tickets
// created through Zendesk's requests API (channel web), agent suggestions on a ticket, the
// deflection report, and the form's rate limits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createUser, stopClean, ticketCount, tokenAuth } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const HC = '/api/v2/help_center';
const HTML_CT = 'text/html; charset=utf-8';

/** Posts an HTML form (application/x-www-form-urlencoded) without credentials. */
async function postForm(srv, path, fields) {
  return srv.request('POST', path, {
    auth: 'none',
    body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
  });
}

/** Values of every hidden input named `name` in an HTML page, in order. */
function hiddenValues(html, name) {
  const re = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`, 'g');
  return [...html.matchAll(re)].map((m) => m[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"'));
}

describe('knowledge base and deflection', { timeout: 120_000 }, () => {
  let srv;
  let api; // the admin: a knowledge-base editor
  let anon;
  let asAgent;
  let asCustomer;
  let customer;
  let category;
  let section;
  const articles = {};

  const article = async (fields, as = api) =>
    (await as.post(`${HC}/sections/${section.id}/articles.json`, { article: fields }, { expect: 201 })).body.article;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    anon = api.as('none');
    const agent = await createUser(api, { name: 'Al Agent', email: 'al@example.com', role: 'agent' });
    customer = await createUser(api, { name: 'Cy Customer', email: 'cy@example.com' });
    asAgent = api.as(tokenAuth(agent.email, srv.token));
    asCustomer = api.as(tokenAuth(customer.email, srv.token));

    category = (await api.post(`${HC}/categories.json`, { category: { name: 'Billing', description: 'Money matters' } }, { expect: 201 }))
      .body.category;
    section = (await api.post(`${HC}/categories/${category.id}/sections.json`, { section: { name: 'Refunds' } }, { expect: 201 }))
      .body.section;
    articles.draft = await article({ title: 'Refund exceptions (draft)', body: 'Refunds for damaged goods.' });
    articles.internal = await article({
      title: 'Refund runbook',
      body: 'How agents issue a **refund** in the payment console.',
      draft: false,
      visibility: 'internal',
    });
    articles.policy = await article({
      title: 'Refund policy',
      body: 'You can ask for a refund within 30 days. Refunds reach your card in 5 days.',
      draft: false,
      label_names: ['Refund', 'money'],
    });
    articles.password = await article({ title: 'Reset your password', body: 'Open Settings and choose Reset.', draft: false });
    articles.shipping = await article({
      title: 'Shipping times',
      body: 'Passwords are not needed to track parcels; if your password expired, reset the password first.',
      draft: false,
    });
  });

  after(() => stopClean(srv));

  test('articles have the Help Center shape and render Markdown', async () => {
    const a = articles.policy;
    assert.equal(a.title, 'Refund policy');
    assert.equal(a.name, 'Refund policy');
    assert.equal(a.section_id, section.id);
    assert.equal(a.draft, false);
    assert.deepEqual(a.label_names, ['refund', 'money']);
    assert.equal(a.url, `${srv.baseUrl}${HC}/articles/${a.id}.json`);
    assert.equal(a.html_url, `${srv.baseUrl}/hc/articles/${a.id}`);
    assert.match(articles.internal.body, /<strong>refund<\/strong>/);
    // New articles are drafts unless published on purpose.
    assert.equal(articles.draft.draft, true);
  });

  test('raw HTML and script links in Markdown never reach readers', async () => {
    const a = await article({
      title: 'Unsafe markup',
      body: 'Hi <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>',
      draft: false,
    });
    const { body } = await anon.get(`${HC}/articles/${a.id}.json`, { expect: 200 });
    assert.doesNotMatch(body.article.body, /<script|javascript:|onerror|<img/i);
    assert.match(body.article.body_markdown, /<script>/, 'the source is kept as written');
    await api.delete(`${HC}/articles/${a.id}.json`, { expect: 204 });
    await anon.get(`${HC}/articles/${a.id}.json`, { expect: 404 });
  });

  test('drafts are for editors, internal articles for staff, public ones for everyone', async () => {
    const see = async (as, id) => (await as.get(`${HC}/articles/${id}.json`)).status;
    assert.equal(await see(api, articles.draft.id), 200);
    assert.equal(await see(asAgent, articles.draft.id), 404);
    assert.equal(await see(asCustomer, articles.draft.id), 404);
    assert.equal(await see(anon, articles.draft.id), 404);
    assert.equal(await see(asAgent, articles.internal.id), 200);
    assert.equal(await see(asCustomer, articles.internal.id), 404);
    assert.equal(await see(anon, articles.internal.id), 404);
    assert.equal(await see(anon, articles.policy.id), 200);

    const ids = async (as, path) => (await as.get(path, { expect: 200 })).body.articles.map((x) => x.id).sort();
    const listed = `${HC}/sections/${section.id}/articles.json`;
    assert.deepEqual(await ids(anon, listed), [articles.policy.id, articles.password.id, articles.shipping.id].sort());
    assert.ok((await ids(asAgent, listed)).includes(articles.internal.id));
    assert.ok(!(await ids(asAgent, listed)).includes(articles.draft.id));
    assert.ok((await ids(api, listed)).includes(articles.draft.id));
    // The locale form answers the same.
    assert.deepEqual(await ids(anon, `${HC}/en-us/articles.json`), await ids(anon, `${HC}/articles.json`));
    const labelled = await ids(anon, `${HC}/articles.json?label_names=money`);
    assert.deepEqual(labelled, [articles.policy.id]);
  });

  test('only editors write the knowledge base', async () => {
    const res = await asAgent.post(`${HC}/sections/${section.id}/articles.json`, { article: { title: 'x', body: 'y' } }, { expect: 403 });
    assert.deepEqual(res.body, FORBIDDEN);
    await asCustomer.post(`${HC}/categories.json`, { category: { name: 'Mine' } }, { expect: 403 });
    await anon.post(`${HC}/categories.json`, { category: { name: 'Mine' } }, { expect: 401 });
    const bad = await api.post(`${HC}/sections/${section.id}/articles.json`, { article: { title: ' ', visibility: 'secret' } }, { expect: 422 });
    assert.ok(bad.body.details.title && bad.body.details.visibility, JSON.stringify(bad.body));
    await api.post(`${HC}/sections/999999/articles.json`, { article: { title: 'x' } }, { expect: 404 });
    // A section with articles cannot be deleted.
    await api.delete(`${HC}/sections/${section.id}.json`, { expect: 422 });
  });

  test('search ranks a title match above body matches, respects visibility and marks the words', async () => {
    const { body } = await anon.get(`${HC}/articles/search.json?query=password`, { expect: 200 });
    assert.deepEqual(body.results.map((r) => r.id), [articles.password.id, articles.shipping.id]);
    assert.equal(body.count, 2);
    assert.equal(body.results[0].result_type, 'article');
    assert.match(body.results[1].snippet, /<em>password<\/em>/i);

    const asAnon = (await anon.get(`${HC}/articles/search.json?query=refund`, { expect: 200 })).body.results.map((r) => r.id);
    assert.deepEqual(asAnon, [articles.policy.id]);
    const asStaff = (await asAgent.get(`${HC}/articles/search.json?query=refund`, { expect: 200 })).body.results.map((r) => r.id);
    assert.deepEqual(asStaff.sort(), [articles.policy.id, articles.internal.id].sort());

    const empty = await anon.get(`${HC}/articles/search.json?query=%22%22`, { expect: 400 });
    assert.equal(empty.body.error, 'invalid');
  });

  test('the public help center works without login and escapes what editors wrote', async () => {
    const tricky = await article({ title: 'Fees & <b>charges</b>', body: 'Card fees & charges.', draft: false });
    const home = await srv.request('GET', '/hc', { auth: 'none' });
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-type'), HTML_CT);
    assert.match(home.text, /Refund policy/);
    assert.match(home.text, /Fees &amp; &lt;b&gt;charges&lt;\/b&gt;/);
    assert.doesNotMatch(home.text, /<b>charges/);
    assert.doesNotMatch(home.text, /Refund runbook|Refund exceptions/, 'internal and draft titles stay private');

    const page = await srv.request('GET', `/hc/articles/${articles.policy.id}`, { auth: 'none' });
    assert.equal(page.status, 200);
    assert.match(page.text, /within 30 days/);
    for (const hidden of [articles.draft, articles.internal]) {
      assert.equal((await srv.request('GET', `/hc/articles/${hidden.id}`, { auth: 'none' })).status, 404);
    }
    const results = await srv.request('GET', '/hc/search?query=fees', { auth: 'none' });
    assert.equal(results.status, 200);
    assert.match(results.text, new RegExp(`href="/hc/articles/${tricky.id}"`));
    assert.match(results.text, /1 result for/);
  });

  test('a customer whose question an article answers is a contact avoided, and no ticket is made', async () => {
    const before = await ticketCount(api);
    const started = await anon.post(
      `${HC}/deflections.json`,
      { contact: { name: 'Dee', email: 'dee@example.com', subject: 'Where is my refund?', description: 'I sent the shoes back.' } },
      { expect: 201 },
    );
    const d = started.body.deflection;
    assert.equal(d.outcome, 'pending');
    assert.deepEqual(d.articles.map((a) => a.id), [articles.policy.id], 'public articles only');
    await anon.post(`${HC}/deflections/${d.token}/clicks.json`, { deflection: { article_id: articles.policy.id } }, { expect: 204 });
    const solved = await anon.post(`${HC}/deflections/${d.token}/resolution.json`, { deflection: { article_id: articles.policy.id } }, { expect: 200 });
    assert.equal(solved.body.deflection.outcome, 'deflected');
    // Answering twice does not count twice.
    await anon.post(`${HC}/deflections/${d.token}/resolution.json`, { deflection: { article_id: articles.policy.id } }, { expect: 422 });
    // An article that was not suggested cannot be accepted.
    const other = (await anon.post(`${HC}/deflections.json`, { contact: { name: 'E', email: 'e@example.com', subject: 'refund', description: 'refund' } }, { expect: 201 })).body.deflection;
    await anon.post(`${HC}/deflections/${other.token}/resolution.json`, { deflection: { article_id: articles.password.id } }, { expect: 422 });
    await anon.post(`${HC}/deflections/nope/resolution.json`, { deflection: { article_id: articles.policy.id } }, { expect: 404 });
    assert.equal(await ticketCount(api), before, 'no ticket was created');
  });

  test('the requests API creates a web ticket, anonymously, and closes the form attempt as submitted', async () => {
    const d = (await anon.post(
      `${HC}/deflections.json`,
      { contact: { name: 'Flo', email: 'flo@example.com', subject: 'Refund not received', description: 'It has been 40 days.' } },
      { expect: 201 },
    )).body.deflection;
    const res = await anon.post(
      '/api/v2/requests.json',
      { request: { subject: 'Refund not received', comment: { body: 'It has been 40 days.' }, requester: { name: 'Flo', email: 'flo@example.com' }, attempt: d.token } },
      { expect: 201 },
    );
    const r = res.body.request;
    assert.equal(r.via.channel, 'web');
    assert.equal(r.status, 'new');
    assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/requests/${r.id}.json`);
    const t = (await api.get(`/api/v2/tickets/${r.id}.json`, { expect: 200 })).body.ticket;
    assert.equal(t.via.channel, 'web');
    assert.equal(t.subject, 'Refund not received');
    const requester = (await api.get(`/api/v2/users/${t.requester_id}.json`, { expect: 200 })).body.user;
    assert.equal(requester.email, 'flo@example.com');
    assert.equal(requester.role, 'end-user');
    // The same form cannot be submitted twice.
    await anon.post('/api/v2/requests.json', { request: { subject: 'again', comment: { body: 'again' }, requester: { name: 'Flo', email: 'flo@example.com' }, attempt: d.token } }, { expect: 422 });
    // Bad input loses nothing and says what is wrong.
    const bad = await anon.post('/api/v2/requests.json', { request: { subject: '', comment: { body: '' }, requester: { name: '', email: 'nope' } } }, { expect: 422 });
    assert.ok(bad.body.details.subject && bad.body.details.comment && bad.body.details.requester, JSON.stringify(bad.body));
    // Anonymous requests cannot borrow an agent's address.
    await anon.post('/api/v2/requests.json', { request: { subject: 'x', comment: { body: 'y' }, requester: { name: 'Al', email: 'al@example.com' } } }, { expect: 422 });
  });

  test('the /hc contact form suggests articles first, then creates the ticket or records the deflection', async () => {
    const fields = { name: 'Gus', email: 'gus@example.com', subject: 'Refund?', description: 'How long does a refund take?' };
    const step = await postForm(srv, '/hc/requests/new', fields);
    assert.equal(step.status, 200, step.text.slice(0, 300));
    assert.match(step.text, /Did one of these answer your question\?/);
    assert.match(step.text, new RegExp(`/hc/articles/${articles.policy.id}\\?attempt=`));
    const [token] = hiddenValues(step.text, 'attempt');
    assert.ok(token);
    const sent = await postForm(srv, '/hc/requests/submit', { ...fields, attempt: token });
    assert.equal(sent.status, 201, sent.text.slice(0, 300));
    const id = Number(/Your request <strong>#(\d+)<\/strong>/.exec(sent.text)[1]);
    assert.equal((await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket.via.channel, 'web');

    const again = await postForm(srv, '/hc/requests/new', { ...fields, email: 'hal@example.com' });
    const [token2] = hiddenValues(again.text, 'attempt');
    const before = await ticketCount(api);
    const deflected = await postForm(srv, '/hc/requests/deflect', { attempt: token2, article_id: String(articles.policy.id) });
    assert.equal(deflected.status, 200);
    assert.match(deflected.text, /Glad that helped/);
    assert.equal(await ticketCount(api), before);

    const invalid = await postForm(srv, '/hc/requests/new', { ...fields, email: 'not-an-email', description: '<b>typed</b>' });
    assert.equal(invalid.status, 422);
    assert.match(invalid.text, /Email: is not properly formatted/);
    assert.match(invalid.text, /&lt;b&gt;typed&lt;\/b&gt;/, 'what the customer typed is kept, escaped');
  });

  test('agents get article suggestions for a ticket and one-click inserts are recorded', async () => {
    const t = (await asCustomer.post('/api/v2/tickets.json', { ticket: { subject: 'Refund please', comment: { body: 'I want my refund' } } }, { expect: 201 })).body.ticket;
    const { body } = await asAgent.get(`/api/v2/tickets/${t.id}/article_suggestions.json`, { expect: 200 });
    const ids = body.articles.map((a) => a.id);
    assert.ok(ids.includes(articles.policy.id) && ids.includes(articles.internal.id), JSON.stringify(ids));
    assert.ok(!ids.includes(articles.draft.id));
    assert.equal(body.articles.find((a) => a.id === articles.internal.id).visibility, 'internal');
    await asAgent.post(`/api/v2/tickets/${t.id}/article_suggestions.json`, { article_suggestion: { article_id: articles.policy.id, action: 'inserted' } }, { expect: 204 });
    await asAgent.post(`/api/v2/tickets/${t.id}/article_suggestions.json`, { article_suggestion: { article_id: articles.policy.id, action: 'liked' } }, { expect: 422 });
    await asCustomer.get(`/api/v2/tickets/${t.id}/article_suggestions.json`, { expect: 403 });
    await asAgent.get('/api/v2/tickets/999999/article_suggestions.json', { expect: 404 });
  });

  test('the deflection report counts avoided and submitted contacts per category with numerator and denominator', async () => {
    const { body } = await api.get(`${HC}/deflection_report.json`, { expect: 200 });
    const r = body.deflection_report;
    // Avoided: the API deflection and the /hc one. Submitted: the API request and the /hc one.
    assert.equal(r.web_form.contacts_avoided, 2);
    assert.equal(r.web_form.submitted, 2);
    assert.deepEqual(r.web_form.deflection_rate, { numerator: 2, denominator: 4, value: 0.5 });
    const billing = r.by_category.find((c) => c.category_id === category.id);
    assert.equal(billing.name, 'Billing');
    assert.equal(billing.contacts_avoided, 2);
    assert.equal(r.suggestions.accepted, 2);
    assert.equal(r.suggestions.inserted, 1);
    assert.ok(r.suggestions.clicked >= 1);
    assert.equal(r.incidents.auto_answered, 0);
    assert.equal(r.incidents.auto_answer_rate.numerator, 0);
    await asAgent.get(`${HC}/deflection_report.json`, { expect: 403 });
    const none = (await api.get(`${HC}/deflection_report.json?start_time=2001-01-01T00:00:00Z&end_time=2001-02-01T00:00:00Z`, { expect: 200 })).body.deflection_report;
    assert.equal(none.web_form.deflection_rate.value, null, 'no denominator: null, never 0');
    await api.get(`${HC}/deflection_report.json?start_time=yesterday`, { expect: 400 });
  });
});

describe('contact form rate limits', { timeout: 60_000 }, () => {
  let srv;
  let anon;
  before(async () => {
    srv = await startServer({
      env: { RAPPORT_HELP_CENTER_REQUESTS_PER_IP_PER_HOUR: '3', RAPPORT_HELP_CENTER_REQUESTS_PER_EMAIL_PER_HOUR: '2' },
    });
    anon = client(srv).as('none');
  });
  after(() => stopClean(srv));

  test('per email, then per address; a refused request creates nothing', async () => {
    const request = (email) => ({ request: { subject: 'Help', comment: { body: 'Please help' }, requester: { name: 'Ivy', email } } });
    await anon.post('/api/v2/requests.json', request('ivy@example.com'), { expect: 201 });
    await anon.post('/api/v2/requests.json', request('ivy@example.com'), { expect: 201 });
    const byEmail = await anon.post('/api/v2/requests.json', request('ivy@example.com'), { expect: 429 });
    assert.ok(Number(byEmail.headers.get('retry-after')) > 0);
    assert.equal(byEmail.body.error, 'APIRateLimitExceeded');
    // The address has now sent three: a fourth, from another email, is refused too.
    await anon.post('/api/v2/requests.json', request('jo@example.com'), { expect: 429 });
    const page = await postForm(srv, '/hc/requests/submit', { name: 'Jo', email: 'jo@example.com', subject: 'Help', description: 'Please' });
    assert.equal(page.status, 429);
    assert.match(page.text, /nothing you typed was sent/);
    assert.equal(await ticketCount(client(srv)), 2);
  });
});
