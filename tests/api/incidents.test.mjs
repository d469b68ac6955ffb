// Known incidents as managers, agents, customers and an embedding product see them: while an
// incident is open, a matching new contact gets the incident's message as an automatic public
// reply (queued as an Auto-Submitted email), is linked and waits as pending; contacts that do not
// match (other words, another region, staff's own tickets) are untouched; resolving solves every
// linked ticket and queues a notification to each requester; the status query tells a product
// which incidents affect a service, a region or a customer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createUser, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

describe('known incidents', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let anon;
  let asManager;
  let asAgent;
  let asEu; // a customer whose organization is in the EU
  let asUs; // a customer in the US (user field)
  let eu;
  let us;
  let login; // the open incident, EU and global keywords
  const linked = [];

  const sql = async (query) => (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  const outbox = async (ticketId) =>
    (await sql(`SELECT kind || '|' || to_address || '|' || auto_submitted || '|' || body_text FROM outbox WHERE ticket_id = ${Number(ticketId)} AND kind IN ('agent_reply', 'notification') ORDER BY id`))
      .split('\n')
      .filter(Boolean);
  const comments = async (ticketId) => (await api.get(`/api/v2/tickets/${ticketId}/comments.json`, { expect: 200 })).body.comments;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    anon = api.as('none');
    const manager = await createUser(api, { name: 'Mo Manager', email: 'mo@example.com', role: 'agent', rapport_role: 'manager' });
    const agent = await createUser(api, { name: 'Al Agent', email: 'al@example.com', role: 'agent' });
    const org = (await api.post('/api/v2/organizations.json', { organization: { name: 'Acme EU', organization_fields: { region: 'eu' } } }, { expect: 201 })).body.organization;
    eu = await createUser(api, { name: 'Eva', email: 'eva@example.com', organization_id: org.id });
    us = await createUser(api, { name: 'Uma', email: 'uma@example.com', external_id: 'cust-uma', user_fields: { region: 'us' } });
    asManager = api.as(tokenAuth(manager.email, srv.token));
    asAgent = api.as(tokenAuth(agent.email, srv.token));
    asEu = api.as(tokenAuth(eu.email, srv.token));
    asUs = api.as(tokenAuth(us.email, srv.token));
  });

  after(() => stopClean(srv));

  test('admins and managers open incidents; agents read them; bad input is refused field by field', async () => {
    const res = await asAgent.post('/api/v2/incidents.json', { incident: { title: 'x', service: 'y', keywords: ['z'], public_message: 'm' } }, { expect: 403 });
    assert.deepEqual(res.body, FORBIDDEN);
    const bad = await asManager.post('/api/v2/incidents.json', { incident: { title: '', service: 'Login', regions: ['e u'], public_message: '' } }, { expect: 422 });
    for (const f of ['title', 'regions', 'public_message', 'keywords']) assert.ok(bad.body.details[f], `${f}: ${JSON.stringify(bad.body)}`);

    const created = await asManager.post(
      '/api/v2/incidents.json',
      {
        incident: {
          title: 'Login outage',
          service: 'Login',
          regions: ['eu'],
          keywords: ['log in', 'login', 'sign in'],
          public_message: 'We know sign-in is failing in Europe and are fixing it. No need to do anything.',
        },
      },
      { expect: 201 },
    );
    login = created.body.incident;
    assert.equal(login.status, 'open');
    assert.deepEqual(login.regions, ['eu']);
    assert.equal(created.headers.get('location'), `${srv.baseUrl}/api/v2/incidents/${login.id}.json`);
    const listed = (await asAgent.get('/api/v2/incidents.json?status=open', { expect: 200 })).body.incidents;
    assert.deepEqual(listed.map((i) => i.id), [login.id]);
    await asEu.get('/api/v2/incidents.json', { expect: 403 });
  });

  test('a matching new contact is answered, linked and pending, with an Auto-Submitted email', async () => {
    const res = await asEu.post('/api/v2/tickets.json', { ticket: { subject: 'Cannot log in', comment: { body: 'The app rejects my password since 9am.' } } }, { expect: 201 });
    const t = res.body.ticket;
    assert.equal(t.status, 'pending', 'the create already shows the automatic answer');
    linked.push(t);
    const cs = await comments(t.id);
    assert.equal(cs.length, 2);
    assert.equal(cs[1].public, true);
    assert.equal(cs[1].body, login.public_message);
    assert.equal(cs[1].metadata.system.auto_submitted, true);
    assert.equal(cs[1].via.channel, 'rule');
    assert.deepEqual(await outbox(t.id), [`agent_reply|eva@example.com|1|${login.public_message}`]);

    // A web-form request that names the region matches too, even from a customer we do not know.
    const web = await anon.post(
      '/api/v2/requests.json',
      { request: { subject: 'Sign in broken', comment: { body: 'Sign in spins forever' }, requester: { name: 'Nia', email: 'nia@example.com' }, region: 'eu' } },
      { expect: 201 },
    );
    assert.equal(web.body.request.status, 'pending');
    linked.push(web.body.request);
    const inc = (await asAgent.get(`/api/v2/incidents/${login.id}.json`, { expect: 200 })).body.incident;
    assert.equal(inc.linked_tickets, 2);
    const tickets = (await asAgent.get(`/api/v2/incidents/${login.id}/tickets.json`, { expect: 200 })).body.tickets;
    assert.deepEqual(tickets.map((x) => x.id).sort(), linked.map((x) => x.id).sort());
  });

  test('contacts that do not match are untouched', async () => {
    const other = (await asEu.post('/api/v2/tickets.json', { ticket: { subject: 'Invoice copy', comment: { body: 'Please resend my invoice' } } }, { expect: 201 })).body.ticket;
    assert.equal(other.status, 'new');
    // Same words, but the customer is in the US and the incident is EU-only.
    const wrongRegion = (await asUs.post('/api/v2/tickets.json', { ticket: { subject: 'Cannot log in', comment: { body: 'login fails' } } }, { expect: 201 })).body.ticket;
    assert.equal(wrongRegion.status, 'new');
    // A whole word only: "logins" is not "login".
    const partial = (await asEu.post('/api/v2/tickets.json', { ticket: { subject: 'Logins report', comment: { body: 'Export of logins?' } } }, { expect: 201 })).body.ticket;
    assert.equal(partial.status, 'new');
    for (const t of [other, wrongRegion, partial]) {
      assert.equal((await comments(t.id)).length, 1);
      assert.deepEqual(await outbox(t.id), []);
    }
    const inc = (await asAgent.get(`/api/v2/incidents/${login.id}.json`, { expect: 200 })).body.incident;
    assert.equal(inc.linked_tickets, 2);
  });

  test('the status query tells an embedding product what affects a service, region or customer', async () => {
    const pub = (await anon.get('/api/v2/incidents/status.json?service=login', { expect: 200 })).body;
    assert.equal(pub.count, 1);
    assert.equal(pub.incidents[0].public_message, login.public_message);
    assert.equal(pub.incidents[0].keywords, undefined, 'matching rules are not public');
    assert.equal((await anon.get('/api/v2/incidents/status.json?region=us', { expect: 200 })).body.count, 0);
    assert.equal((await anon.get('/api/v2/incidents/status.json?service=billing', { expect: 200 })).body.count, 0);
    // By customer: needs a staff credential; the customer's region comes from their organization.
    await anon.get('/api/v2/incidents/status.json?email=eva@example.com', { expect: 401 });
    await asEu.get('/api/v2/incidents/status.json?email=eva@example.com', { expect: 403 });
    const byEmail = (await api.get('/api/v2/incidents/status.json?email=eva@example.com', { expect: 200 })).body;
    assert.equal(byEmail.customer_id, eu.id);
    assert.equal(byEmail.region, 'eu');
    assert.equal(byEmail.count, 1);
    const byExternal = (await api.get('/api/v2/incidents/status.json?external_id=cust-uma', { expect: 200 })).body;
    assert.equal(byExternal.region, 'us');
    assert.equal(byExternal.count, 0);
  });

  test('resolving solves every linked ticket and queues a notification to each requester', async () => {
    const res = await asManager.post(`/api/v2/incidents/${login.id}/resolve.json`, { incident: { resolution_message: 'Sign-in works again. Sorry!' } }, { expect: 200 });
    assert.equal(res.body.incident.status, 'resolved');
    assert.equal(res.body.incident.solved_tickets, 2);
    for (const t of linked) {
      const now = (await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket;
      assert.equal(now.status, 'solved');
      const cs = await comments(t.id);
      assert.equal(cs.at(-1).body, 'Sign-in works again. Sorry!');
      const mail = await outbox(t.id);
      assert.equal(mail.length, 2);
      assert.match(mail[1], /^notification\|(eva|nia)@example\.com\|1\|Sign-in works again\. Sorry!$/);
    }
    await asManager.post(`/api/v2/incidents/${login.id}/resolve.json`, undefined, { expect: 422 });
    // Resolved: new contacts are no longer answered, and the status query no longer lists it.
    const later = (await asEu.post('/api/v2/tickets.json', { ticket: { subject: 'login?', comment: { body: 'login' } } }, { expect: 201 })).body.ticket;
    assert.equal(later.status, 'new');
    assert.equal((await anon.get('/api/v2/incidents/status.json', { expect: 200 })).body.count, 0);
    // The report counts the auto-answered contacts per service.
    const report = (await api.get('/api/v2/help_center/deflection_report.json', { expect: 200 })).body.deflection_report;
    assert.equal(report.incidents.auto_answered, 2);
    assert.deepEqual(report.by_service, [{ service: 'Login', auto_answered: 2 }]);
    assert.ok(report.incidents.auto_answer_rate.denominator >= 6);
  });
});
