// Contact triage as an admin, a team lead, an agent and a customer see it: categories route each
// new contact to its outcome — a self-service answer from an article or a macro (counted in the
// deflection report), the skilled team's group, priority and tags, or, for account takeover, a
// specialist group with replies held back (not mailed, hidden from the customer) until the
// customer confirms the address through a signed single-use link. Every change names the category.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

const HC = '/api/v2/help_center';
const cond = (field, operator, value) => ({ field, operator, value });

describe('contact triage', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let anon;
  let as;
  let cara; // a customer
  let erin; // a customer at an enterprise organization
  let al; // an agent
  let groups;
  let article;
  let macro;
  const cats = {};

  const sql = async (query) => (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  const mail = async (ticketId, kind) =>
    (await sql(`SELECT replace(body_text, char(10), ' ') FROM outbox WHERE ticket_id = ${Number(ticketId)} AND kind = '${kind}' ORDER BY id`))
      .split('\n')
      .filter(Boolean);
  const category = async (fields, expect = 201) =>
    (await api.post('/api/v2/triage/categories.json', { category: fields }, { expect })).body;
  const contact = async (who, subject, body, extra = {}) =>
    (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject, comment: { body, author_id: who.id }, requester_id: who.id, recipient: 'help@example.com', ...extra } },
        { expect: 201 },
      )
    ).body.ticket;
  const comments = async (id, who = api) => (await who.get(`/api/v2/tickets/${id}/comments.json`, { expect: 200 })).body.comments;
  const ruleSources = async (id) =>
    (await api.get(`/api/v2/tickets/${id}/audits.json`, { expect: 200 })).body.audits
      .filter((a) => a.via?.channel === 'rule')
      .map((a) => [a.via.source.rel, a.via.source.from.title]);

  before(async () => {
    srv = await startServer();
    api = client(srv);
    anon = api.as('none');
    const org = (await api.post('/api/v2/organizations.json', { organization: { name: 'Bigcorp' } }, { expect: 201 })).body.organization;
    cara = await createUser(api, { name: 'Cara Customer', email: 'cara@example.com' });
    erin = await createUser(api, { name: 'Erin Enterprise', email: 'erin@bigcorp.example', organization_id: org.id });
    al = await createUser(api, { name: 'Al Agent', email: 'al@example.com', role: 'agent' });
    const lead = await createUser(api, { name: 'Lea Lead', email: 'lea@example.com', role: 'agent', rapport_role: 'team_lead' });
    as = Object.fromEntries(Object.entries({ cara, al, lead }).map(([k, u]) => [k, api.as(tokenAuth(u.email, srv.token))]));
    groups = {};
    for (const name of ['Fraud desk', 'Tier 2'])
      groups[name] = (await api.post('/api/v2/groups.json', { group: { name } }, { expect: 201 })).body.group;
    const kb = (await api.post(`${HC}/categories.json`, { category: { name: 'Account' } }, { expect: 201 })).body.category;
    const section = (await api.post(`${HC}/categories/${kb.id}/sections.json`, { section: { name: 'Sign-in' } }, { expect: 201 }))
      .body.section;
    article = (
      await api.post(
        `${HC}/sections/${section.id}/articles.json`,
        { article: { title: 'Reset your password', body: 'Choose **Forgot password** on the sign-in page.', draft: false } },
        { expect: 201 },
      )
    ).body.article;
    macro = (
      await api.post(
        '/api/v2/macros.json',
        { macro: { title: 'Shipping times', actions: [{ field: 'comment_value', value: 'Hi {{ticket.requester.first_name}}, parcels ship within 2 days.' }] } },
        { expect: 201 },
      )
    ).body.macro;
  });
  after(async () => {
    await stopClean(srv);
  });

  test('admins define ordered categories; every bad field is named at once; leads read, agents may not', async () => {
    const draft = (
      await api.post(
        `${HC}/sections/${article.section_id}/articles.json`,
        { article: { title: 'Unpublished', body: 'x' } },
        { expect: 201 },
      )
    ).body.article;
    const bad = await category(
      { name: ' ', outcome: 'self_service', conditions: { all: [cond('stauts', 'is', 'new')] }, settings: { article_id: draft.id } },
      422,
    );
    assert.deepEqual(Object.keys(bad.details).sort(), ['conditions', 'name', 'settings']);
    const noGroup = await category({ name: 'Fraud', outcome: 'sensitive', conditions: { any: [cond('comment_includes_word', 'includes', 'fraud')] } }, 422);
    assert.match(noGroup.details.settings[0].description, /specialist group_id/);
    const unpublished = await category(
      { name: 'x', outcome: 'self_service', conditions: { all: [cond('current_tags', 'includes', 'x')] }, settings: { article_id: draft.id } },
      422,
    );
    assert.match(unpublished.details.settings[0].description, /not a published public article/);
    await category({ name: 'x', outcome: 'escalate', conditions: { all: [cond('current_tags', 'includes', 'x')] } }, 422);

    cats.takeover = (
      await category({
        name: 'Account takeover',
        outcome: 'sensitive',
        conditions: { any: [cond('comment_includes_word', 'includes', 'hacked fraud'), cond('custom_fields_900', 'is', 'takeover')] },
        settings: { group_id: groups['Fraud desk'].id, priority: 'urgent', tags: ['security'] },
      })
    ).category;
    cats.password = (
      await category({
        name: 'Password resets',
        outcome: 'self_service',
        conditions: { any: [cond('subject_includes_word', 'includes', 'password'), cond('comment_includes_word', 'includes', 'password')] },
        settings: { article_id: article.id, status: 'solved' },
      })
    ).category;
    cats.shipping = (
      await category({
        name: 'Shipping',
        outcome: 'self_service',
        conditions: { all: [cond('current_tags', 'includes', 'shipping')] },
        settings: { macro_id: macro.id },
      })
    ).category;
    cats.enterprise = (
      await category({
        name: 'Enterprise',
        outcome: 'skilled_team',
        conditions: { all: [cond('organization_id', 'is', erin.organization_id)] },
        settings: { group_id: groups['Tier 2'].id, priority: 'high', tags: ['enterprise', 'tier2'] },
      })
    ).category;
    assert.deepEqual([cats.takeover, cats.password, cats.shipping, cats.enterprise].map((c) => c.position), [1, 2, 3, 4]);
    assert.equal(cats.shipping.settings.status, 'pending', 'a self-service answer leaves the ticket pending by default');

    const listed = (await as.lead.get('/api/v2/triage/categories.json', { expect: 200 })).body;
    assert.deepEqual(listed.categories.map((c) => c.name), ['Account takeover', 'Password resets', 'Shipping', 'Enterprise']);
    assert.deepEqual((await as.al.get('/api/v2/triage/categories.json', { expect: 403 })).body, FORBIDDEN);
    await as.lead.post('/api/v2/triage/categories.json', { category: { name: 'x' } }, { expect: 403 });
    await as.cara.get(`/api/v2/triage/categories/${cats.shipping.id}.json`, { expect: 403 });
    const renamed = await api.put(`/api/v2/triage/categories/${cats.shipping.id}.json`, { category: { name: 'Shipping questions' } }, { expect: 200 });
    assert.equal(renamed.body.category.name, 'Shipping questions');
    assert.equal(renamed.body.category.settings.macro_id, macro.id);
    const temp = await category({ name: 'Temp', outcome: 'skilled_team', conditions: { all: [cond('current_tags', 'includes', 'temp')] }, settings: { priority: 'low' } });
    await api.delete(`/api/v2/triage/categories/${temp.category.id}.json`, { expect: 204 });
    await api.get(`/api/v2/triage/categories/${temp.category.id}.json`, { expect: 404 });
  });

  test('self-service: an article answers at once and solves; it names its category and counts as auto-answered', async () => {
    const t = await contact(cara, 'I forgot my password', 'Cannot sign in.');
    assert.equal(t.status, 'solved');
    const cs = await comments(t.id, as.cara);
    assert.equal(cs.length, 2);
    assert.match(cs[1].html_body, /Reset your password/);
    assert.match(cs[1].html_body, new RegExp(`/hc/articles/${article.id}`));
    assert.notEqual(cs[1].author_id, cara.id);
    assert.deepEqual(await ruleSources(t.id), [['triage_category', 'Password resets']]);
    assert.equal((await mail(t.id, 'agent_reply')).length, 1, 'the answer is mailed like a reply');
    assert.equal(await sql(`SELECT auto_submitted || headers FROM outbox WHERE ticket_id = ${t.id} AND kind = 'agent_reply'`),
      '1{"Auto-Submitted":"auto-replied"}', 'as automatic mail');

    const report = (await api.get(`${HC}/deflection_report.json`, { expect: 200 })).body.deflection_report;
    assert.equal(report.triage.auto_answered, 1);
    assert.deepEqual(report.triage.by_category, [{ category_id: cats.password.id, name: 'Password resets', contacts: 1, auto_answered: 1 }]);
  });

  test('self-service: a macro answers with its placeholders filled and leaves the ticket pending', async () => {
    const t = await contact(cara, 'Where is my parcel?', 'Ordered last week.', { tags: ['shipping'] });
    assert.equal(t.status, 'pending');
    const cs = await comments(t.id);
    assert.equal(cs[1].body, 'Hi Cara, parcels ship within 2 days.');
    assert.deepEqual(await ruleSources(t.id), [['triage_category', 'Shipping questions']]);
  });

  test('skilled team: group, priority and tags for routing; no match leaves the ticket alone', async () => {
    const t = await contact(erin, 'SSO setup for 400 seats', 'We need SAML.');
    assert.equal(t.group_id, groups['Tier 2'].id);
    assert.equal(t.priority, 'high');
    assert.ok(t.tags.includes('enterprise') && t.tags.includes('tier2'), JSON.stringify(t.tags));
    assert.deepEqual(await ruleSources(t.id), [['triage_category', 'Enterprise']]);
    const other = await contact(cara, 'A compliment', 'You are great.');
    assert.equal(other.group_id, null);
    assert.deepEqual(await ruleSources(other.id), []);
    // First match wins: Erin's takeover report goes to the fraud desk, not to Tier 2.
    const first = await contact(erin, 'Strange login', 'I think I was hacked.');
    assert.equal(first.group_id, groups['Fraud desk'].id);
  });

  test('sensitive: specialist group, replies held until the customer confirms through a single-use link', async () => {
    // Matched by the form's field alone: the words say nothing of fraud.
    const t = await contact(cara, 'Someone changed my email', 'My recovery address is not mine.', {
      custom_fields: [{ id: 900, value: 'takeover' }],
    });
    assert.equal(t.group_id, groups['Fraud desk'].id);
    assert.equal(t.priority, 'urgent');
    assert.ok(t.tags.includes('security'));
    const [notice] = await mail(t.id, 'notification');
    const link = notice.match(/\/triage\/verify\/(\S+)/);
    assert.ok(link, notice);
    const token = link[1];

    // An agent's public reply is not mailed and the customer cannot read it yet.
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Please confirm your last purchase.', public: true } } }, { expect: 200 });
    assert.deepEqual(await mail(t.id, 'agent_reply'), []);
    const hidden = await comments(t.id, as.cara);
    assert.equal(hidden[0].body, 'My recovery address is not mine.', 'the customer still sees what they wrote');
    assert.doesNotMatch(hidden[1].body, /last purchase/);
    assert.match((await comments(t.id)).at(-1).body, /last purchase/, 'agents see everything');

    // The link: a scanner's GET changes nothing; a wrong signature is not found; the click verifies once.
    const state = (await anon.get(`/api/v2/triage/verifications/${token}`, { expect: 200 })).body.verification;
    assert.deepEqual([state.ticket_id, state.used, state.expired], [t.id, false, false]);
    const page = await anon.get(`/triage/verify/${token}`, { expect: 200 });
    assert.match(page.text, /<form method="post">/);
    const forged = token.replace(/.$/, (ch) => (ch === 'a' ? 'b' : 'a'));
    await anon.post(`/api/v2/triage/verifications/${forged}`, undefined, { expect: 404 });
    await anon.post(`/api/v2/triage/verifications/${token}`, undefined, { expect: 200 });
    await anon.post(`/api/v2/triage/verifications/${token}`, undefined, { expect: 422 });
    const again = await anon.post(`/triage/verify/${token}`, undefined, { expect: 409 });
    assert.match(again.text, /already used/);

    assert.match((await comments(t.id, as.cara))[1].body, /last purchase/);
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Thanks, we locked the account.', public: true } } }, { expect: 200 });
    const sent = await mail(t.id, 'agent_reply');
    assert.equal(sent.length, 2, 'the held reply is mailed at the confirmation, later replies as they come');
    assert.match(sent[0], /last purchase/);
    assert.match(sent[1], /locked the account/);
  });

  test('the report counts contacts per category and outcome; leads read it, agents may not', async () => {
    const r = (await as.lead.get('/api/v2/triage/report.json', { expect: 200 })).body.triage_report;
    const rows = Object.fromEntries(r.by_category.map((x) => [x.name, [x.outcome, x.contacts, x.auto_answered, x.verified]]));
    assert.deepEqual(rows, {
      'Account takeover': ['sensitive', 2, 0, 1],
      'Password resets': ['self_service', 1, 1, 0],
      'Shipping questions': ['self_service', 1, 1, 0],
      Enterprise: ['skilled_team', 1, 0, 0],
    });
    assert.deepEqual(r.by_outcome, { self_service: 2, skilled_team: 1, sensitive: 2 });
    assert.equal(r.contacts, r.triaged + 1, 'the compliment was not triaged');
    await as.al.get('/api/v2/triage/report.json', { expect: 403 });
    await api.get('/api/v2/triage/report.json?start_time=2024-02-01&end_time=2024-01-01', { expect: 400 });
  });
});
