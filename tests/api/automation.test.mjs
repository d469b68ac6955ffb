// Business rules as an admin, an agent and a webhook receiver see them: triggers fire in order
// inside the ticket's own update and say so in its audit; two triggers that undo each other stop;
// time-based automations act once per state; macros fill in placeholders and save nothing until
// the agent does; webhooks arrive signed the Zendesk way and are retried on 5xx; private
// destinations are refused unless the operator allows them.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createTicket, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const cond = (field, operator, value) => ({ field, operator, value });
const act = (field, value) => ({ field, value });

/** A local HTTP receiver; `respond(req, n)` picks the status for the n-th request to a path. */
async function receiver(respond = () => 200) {
  const requests = [];
  const counts = new Map();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const n = (counts.get(req.url) ?? 0) + 1;
      counts.set(req.url, n);
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.statusCode = respond(req, n);
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const sign = (secret, timestamp, body) => createHmac('sha256', secret).update(timestamp + body).digest('base64');

describe('automation', { timeout: 180_000 }, () => {
  let srv;
  let api;
  let hooks;
  let billing;
  let maria; // agent in billing
  let sam; // agent outside billing
  let ana; // customer
  let as;

  before(async () => {
    srv = await startServer({
      env: {
        RAPPORT_WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS: 'true', // the receiver is on loopback
        RAPPORT_WEBHOOKS_RETRY_BASE_MS: '100',
      },
    });
    api = client(srv);
    hooks = await receiver((req, n) => (req.url === '/flaky' && n <= 2 ? 500 : req.url === '/gone' ? 404 : 200));
    billing = (await api.post('/api/v2/groups.json', { group: { name: 'Billing' } }, { expect: 201 })).body.group;
    maria = await createUser(api, { name: 'Maria Lopez', email: 'maria@example.com', role: 'agent', group_ids: [billing.id] });
    sam = await createUser(api, { name: 'Sam Other', email: 'sam@example.com', role: 'agent' });
    ana = await createUser(api, { name: 'Ana Customer', email: 'ana@example.com' });
    as = Object.fromEntries(Object.entries({ maria, sam, ana }).map(([k, u]) => [k, api.as(tokenAuth(u.email, srv.token))]));
  });
  after(async () => {
    await hooks?.close();
    await stopClean(srv);
  });

  const trigger = async (fields) => (await api.post('/api/v2/triggers.json', { trigger: fields }, { expect: 201 })).body.trigger;
  const audits = async (id) => (await api.get(`/api/v2/tickets/${id}/audits.json`, { expect: 200 })).body.audits;
  const ruleChanges = (audit) =>
    audit.events.filter((e) => e.via?.channel === 'rule').map((e) => [e.field_name, e.value, e.via.source.from.title]);

  test('triggers fire in position order within the update, and the audit names each one', async () => {
    const first = await trigger({
      title: 'Outage is urgent',
      conditions: { all: [cond('update_type', 'is', 'Create'), cond('comment_includes_word', 'includes', 'outage')] },
      actions: [act('priority', 'urgent'), act('current_tags', 'outage')],
    });
    const second = await trigger({
      title: 'Urgent goes to billing',
      conditions: { all: [cond('priority', 'is', 'urgent'), cond('current_tags', 'includes', 'outage')] },
      actions: [act('group_id', billing.id)],
    });
    assert.deepEqual([first.position, second.position].map((p) => p > 0), [true, true]);
    assert.ok(first.position < second.position);
    assert.equal(first.url, `${srv.baseUrl}/api/v2/triggers/${first.id}.json`);

    const t = await createTicket(as.ana, { subject: 'Nothing works', comment: { body: 'A total outage since 9am' } });
    // The customer's own response already shows what the triggers did.
    assert.equal(t.priority, 'urgent');
    assert.equal(t.group_id, billing.id);
    assert.deepEqual(t.tags, ['outage']);

    const [audit] = await audits(t.id);
    assert.deepEqual(ruleChanges(audit), [
      ['priority', 'urgent', 'Outage is urgent'],
      ['tags', ['outage'], 'Outage is urgent'],
      ['group_id', billing.id, 'Urgent goes to billing'],
    ]);
    const via = audit.events.at(-1).via;
    assert.deepEqual(via.source.rel, 'trigger');
    assert.deepEqual(via.source.from, { id: second.id, title: 'Urgent goes to billing' });

    // Reordering changes who runs first: both set a tag now; the last one's set_tags wins.
    const a = await trigger({ title: 'Tag A', conditions: { all: [cond('current_tags', 'includes', 'order')] }, actions: [act('set_tags', 'order a')] });
    const b = await trigger({ title: 'Tag B', conditions: { all: [cond('current_tags', 'includes', 'order')] }, actions: [act('set_tags', 'order b')] });
    assert.deepEqual((await createTicket(api, { subject: 'o1', tags: ['order'] })).tags, ['order', 'b']);
    const ids = (await api.get('/api/v2/triggers.json', { expect: 200 })).body.triggers.map((x) => x.id);
    const reordered = ids.filter((id) => id !== a.id && id !== b.id).concat([b.id, a.id]);
    const res = await api.put('/api/v2/triggers/reorder.json', { trigger_ids: reordered }, { expect: 200 });
    assert.deepEqual(res.body.triggers.map((x) => x.id), reordered);
    assert.deepEqual((await createTicket(api, { subject: 'o2', tags: ['order'] })).tags, ['order', 'a']);
    await api.put('/api/v2/triggers/reorder.json', { trigger_ids: [a.id] }, { expect: 422 });
    for (const x of [a, b]) await api.put(`/api/v2/triggers/${x.id}.json`, { trigger: { active: false } }, { expect: 200 });
  });

  test('two triggers that undo each other stop after each fired once, always at the same result', async () => {
    const up = await trigger({
      title: 'Low to high',
      conditions: { all: [cond('priority', 'is', 'low'), cond('current_tags', 'includes', 'pingpong')] },
      actions: [act('priority', 'high')],
    });
    const down = await trigger({
      title: 'High to low',
      conditions: { all: [cond('priority', 'is', 'high'), cond('current_tags', 'includes', 'pingpong')] },
      actions: [act('priority', 'low')],
    });
    for (let i = 0; i < 2; i += 1) {
      const t = await createTicket(api, { subject: `ping ${i}`, priority: 'low', tags: ['pingpong'] });
      assert.equal(t.priority, 'low');
      const [audit] = await audits(t.id);
      assert.deepEqual(ruleChanges(audit), [
        ['priority', 'high', 'Low to high'],
        ['priority', 'low', 'High to low'],
      ]);
    }
    const used = (await api.get(`/api/v2/triggers/${up.id}.json`, { expect: 200 })).body.trigger.usage_count;
    assert.equal(used, 2);
    await api.delete(`/api/v2/triggers/${up.id}.json`, { expect: 204 });
    await api.delete(`/api/v2/triggers/${down.id}.json`, { expect: 204 });
    await api.get(`/api/v2/triggers/${up.id}.json`, { expect: 404 });
  });

  test('bad rules are refused with every problem named; only admins write, end users read nothing', async () => {
    const bad = await api.post(
      '/api/v2/triggers.json',
      { trigger: { title: '', conditions: { all: [cond('stauts', 'is', 'open')] }, actions: [act('priority', 'highest')] } },
      { expect: 422 },
    );
    assert.equal(bad.body.error, 'RecordInvalid');
    assert.deepEqual(Object.keys(bad.body.details).sort(), ['actions', 'conditions', 'title']);
    assert.match(bad.body.details.conditions[0].description, /unknown field "stauts"/);

    const nag = await api.post(
      '/api/v2/automations.json',
      {
        automation: {
          title: 'Nag every hour',
          conditions: { all: [cond('status', 'is', 'pending'), cond('PENDING', 'greater_than', '24')] },
          actions: [act('notification_user', ['requester_id', 'Still there?', 'Hello?'])],
        },
      },
      { expect: 422 },
    );
    assert.match(nag.body.details.base[0].description, /nullifies a condition/);

    const fields = { title: 'x', conditions: { all: [cond('status', 'is', 'new')] }, actions: [act('priority', 'low')] };
    await as.maria.post('/api/v2/triggers.json', { trigger: fields }, { expect: 403 });
    await as.maria.get('/api/v2/triggers.json', { expect: 200 });
    assert.deepEqual((await as.ana.get('/api/v2/triggers.json', { expect: 403 })).body, FORBIDDEN);
    await as.ana.get('/api/v2/macros.json', { expect: 403 });
    await as.maria.get('/api/v2/webhooks.json', { expect: 403 });
    await as.maria.post('/api/v2/automations/run.json', {}, { expect: 403 });
  });

  test('time-based automations: pending 4 days reminds once, 7 days solves', async () => {
    const remind = (
      await api.post(
        '/api/v2/automations.json',
        {
          automation: {
            title: 'Remind after 4 days',
            conditions: {
              all: [
                cond('status', 'is', 'pending'),
                cond('PENDING', 'greater_than', '96'),
                cond('current_tags', 'not_includes', 'reminded'),
              ],
            },
            actions: [
              act('current_tags', 'reminded'),
              act('notification_user', ['requester_id', 'Still need help with {{ticket.title}}?', 'Hi {{ticket.requester.first_name}}']),
            ],
          },
        },
        { expect: 201 },
      )
    ).body.automation;
    assert.equal(remind.conditions.all[1].field, 'PENDING');
    await api.post(
      '/api/v2/automations.json',
      {
        automation: {
          title: 'Solve after 7 days',
          conditions: { all: [cond('status', 'is', 'pending'), cond('PENDING', 'greater_than', 168)] },
          actions: [act('status', 'solved')],
        },
      },
      { expect: 201 },
    );
    const t = await createTicket(api, { subject: 'Missing invoice', requester_id: ana.id, assignee_id: maria.id });
    await as.maria.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'pending', comment: { body: 'Could you send the invoice?' } } }, { expect: 200 });

    const runAt = async (ms) => JSON.parse((await srv.run(['automations', 'run', '--at', new Date(ms).toISOString()])).stdout);
    const show = async () => (await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket;
    const started = Date.now();

    assert.equal((await runAt(started + 3 * DAY)).fired, 0);
    assert.deepEqual((await show()).tags, []);
    assert.equal((await runAt(started + 4 * DAY + HOUR)).fired, 1);
    assert.deepEqual((await show()).tags, ['reminded']);
    // Run again in the same hour: nothing more happens.
    assert.equal((await runAt(started + 4 * DAY + HOUR + 60_000)).fired, 0);
    const last = (await audits(t.id)).at(-1);
    assert.equal(last.via.channel, 'rule');
    assert.deepEqual(last.via.source.from, { id: remind.id, title: 'Remind after 4 days' });

    assert.equal((await runAt(started + 7 * DAY + HOUR)).fired, 1);
    const solved = await show();
    assert.equal(solved.status, 'solved');
    assert.equal((await audits(t.id)).at(-1).via.source.from.title, 'Solve after 7 days');
    assert.equal((await runAt(started + 8 * DAY)).fired, 0);
  });

  test('macros render placeholders for the agent, save nothing, and the agent then saves', async () => {
    const macro = (
      await api.post(
        '/api/v2/macros.json',
        {
          macro: {
            title: 'Ask for the invoice',
            actions: [
              act('status', 'pending'),
              act('current_tags', 'waiting_invoice'),
              act('comment_value', 'Hi {{ticket.requester.first_name}}, could you send the invoice for #{{ticket.id}}? {{current_user.name}} {{ticket.no_such_thing}}'),
            ],
            restriction: { type: 'Group', ids: [billing.id] },
          },
        },
        { expect: 201 },
      )
    ).body.macro;
    const t = await createTicket(api, { subject: 'Refund', requester_id: ana.id, group_id: billing.id });
    const preview = await as.maria.get(`/api/v2/tickets/${t.id}/macros/${macro.id}/apply.json`, { expect: 200 });
    const { ticket, comment } = preview.body.result;
    assert.equal(ticket.id, t.id);
    assert.equal(ticket.status, 'pending');
    assert.deepEqual(ticket.tags, ['waiting_invoice']);
    assert.equal(comment.body, `Hi Ana, could you send the invoice for #${t.id}? Maria Lopez {{ticket.no_such_thing}}`);
    assert.equal(comment.public, true);
    assert.equal((await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket.status, 'new');

    // Without a ticket, ticket placeholders wait for one.
    const bare = await as.maria.get(`/api/v2/macros/${macro.id}/apply.json`, { expect: 200 });
    assert.match(bare.body.result.comment.body, /^Hi \{\{ticket\.requester\.first_name\}\}/);

    // Sam is not in billing: the macro is not his to see or apply; Ana may not apply macros at all.
    assert.ok(!(await as.sam.get('/api/v2/macros.json', { expect: 200 })).body.macros.some((m) => m.id === macro.id));
    assert.ok((await as.maria.get('/api/v2/macros/active.json', { expect: 200 })).body.macros.some((m) => m.id === macro.id));
    assert.deepEqual((await as.sam.get(`/api/v2/tickets/${t.id}/macros/${macro.id}/apply.json`, { expect: 404 })).body, NOT_FOUND);
    await as.ana.get(`/api/v2/tickets/${t.id}/macros/${macro.id}/apply.json`, { expect: 403 });

    const saved = await as.maria.put(`/api/v2/tickets/${t.id}.json`, { ticket: { ...ticket, comment } }, { expect: 200 });
    assert.equal(saved.body.ticket.status, 'pending');
    const comments = (await api.get(`/api/v2/tickets/${t.id}/comments.json`, { expect: 200 })).body.comments;
    assert.equal(comments.at(-1).body, comment.body);
    assert.equal(comments.at(-1).author_id, maria.id);
  });

  test('webhooks arrive signed the Zendesk way; a forged secret does not verify', async () => {
    const hook = (
      await api.post('/api/v2/webhooks.json', { webhook: { name: 'Receiver', endpoint: `${hooks.url}/ok`, http_method: 'POST', request_format: 'json', status: 'active' } }, { expect: 201 })
    ).body.webhook;
    assert.equal(hook.signing_secret.secret, null); // revealed only on request
    const { secret } = (await api.get(`/api/v2/webhooks/${hook.id}/signing_secret.json`, { expect: 200 })).body.signing_secret;
    assert.ok(secret.length >= 32);
    await trigger({
      title: 'Tell the receiver',
      conditions: { all: [cond('update_type', 'is', 'Create'), cond('current_tags', 'includes', 'hook')] },
      actions: [act('notification_webhook', [hook.id, '{"ticket": {{ticket.id}}, "title": "{{ticket.title}}", "who": "{{ticket.requester.name}}"}'])],
    });
    const t = await createTicket(api, { subject: 'Say "hello"', tags: ['hook'], requester_id: ana.id });
    const got = await eventually(() => hooks.requests.find((r) => r.url === '/ok' && JSON.parse(r.body).ticket === t.id), {
      message: 'the webhook call',
    });
    assert.deepEqual(JSON.parse(got.body), { ticket: t.id, title: 'Say "hello"', who: 'Ana Customer' });
    assert.equal(got.method, 'POST');
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    const ts = got.headers['x-zendesk-webhook-signature-timestamp'];
    assert.match(ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(got.headers['x-zendesk-webhook-signature'], sign(secret, ts, got.body));
    assert.notEqual(got.headers['x-zendesk-webhook-signature'], sign(`${secret}x`, ts, got.body));
    assert.notEqual(got.headers['x-zendesk-webhook-signature'], sign(secret, ts, got.body.replace('hello', 'HELLO')));

    // After a reset the old secret no longer verifies what is sent.
    const reset = (await api.post(`/api/v2/webhooks/${hook.id}/signing_secret.json`, {}, { expect: 200 })).body.signing_secret;
    assert.notEqual(reset.secret, secret);

    const inv = await eventually(async () => {
      const list = (await api.get(`/api/v2/webhooks/${hook.id}/invocations.json`, { expect: 200 })).body.invocations;
      return list.find((i) => i.source.event.ticket_id === t.id && i.status === 'success' && i);
    });
    assert.equal(inv.status_code, 200);
    assert.equal(inv.source.type, 'trigger');
    // A webhook a trigger calls cannot be deleted out from under it.
    await api.delete(`/api/v2/webhooks/${hook.id}.json`, { expect: 422 });
  });

  test('a receiver answering 500 twice gets the call on the third try; a 404 is not retried', async () => {
    const flaky = (await api.post('/api/v2/webhooks.json', { webhook: { name: 'Flaky', endpoint: `${hooks.url}/flaky` } }, { expect: 201 })).body.webhook;
    const gone = (await api.post('/api/v2/webhooks.json', { webhook: { name: 'Gone', endpoint: `${hooks.url}/gone` } }, { expect: 201 })).body.webhook;
    await trigger({
      title: 'Flaky and gone',
      conditions: { all: [cond('current_tags', 'includes', 'retry')] },
      actions: [act('notification_webhook', [flaky.id, '{"id": {{ticket.id}}}']), act('notification_webhook', [gone.id, '{}'])],
    });
    const t = await createTicket(api, { subject: 'Retry me', tags: ['retry'] });
    const done = async (hook) =>
      eventually(
        async () => {
          const [i] = (await api.get(`/api/v2/webhooks/${hook.id}/invocations.json`, { expect: 200 })).body.invocations;
          return i && (i.status === 'success' || i.status === 'failed') && i;
        },
        { message: `${hook.name} finished` },
      );
    const ok = await done(flaky);
    assert.equal(ok.status, 'success');
    assert.equal(ok.attempts, 3);
    const attempts = (await api.get(`/api/v2/webhooks/${flaky.id}/invocations/${ok.id}/attempts.json`, { expect: 200 })).body.attempts;
    assert.deepEqual(attempts.map((a) => a.status_code), [500, 500, 200]);
    assert.deepEqual(hooks.requests.filter((r) => r.url === '/flaky').map((r) => JSON.parse(r.body).id), [t.id, t.id, t.id]);
    const failed = await done(gone);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.status_code, 404);
  });
});

describe('webhook destinations', { timeout: 60_000 }, () => {
  let srv;
  let api;
  let hooks;
  before(async () => {
    srv = await startServer(); // private destinations refused: the default
    api = client(srv);
    hooks = await receiver();
  });
  after(async () => {
    await hooks?.close();
    await stopClean(srv);
  });

  test('loopback and private addresses are refused by default, and not retried', async () => {
    const hook = (await api.post('/api/v2/webhooks.json', { webhook: { name: 'Local', endpoint: `${hooks.url}/x` } }, { expect: 201 })).body.webhook;
    await api.post('/api/v2/webhooks.json', { webhook: { name: 'Bad', endpoint: 'file:///etc/passwd' } }, { expect: 422 });
    await api.post(
      '/api/v2/triggers.json',
      { trigger: { title: 'Call local', conditions: { all: [cond('update_type', 'is', 'Create')] }, actions: [act('notification_webhook', [hook.id, '{}'])] } },
      { expect: 201 },
    );
    await createTicket(api, { subject: 'ssrf' });
    const inv = await eventually(async () => {
      const [i] = (await api.get(`/api/v2/webhooks/${hook.id}/invocations.json`, { expect: 200 })).body.invocations;
      return i && i.status === 'failed' && i;
    });
    assert.equal(inv.attempts, 1);
    assert.match(inv.last_error, /private or loopback/);
    assert.equal(hooks.requests.length, 0);
  });
});
