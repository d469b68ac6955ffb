// Triage's mail at a real SMTP server (Debian's aiosmtpd as a recording sink): automatic answers
// carry Auto-Submitted (a triage category's self-service answer, a trigger's reply, the
// verification notice), a person's reply does not; a sensitive ticket's replies held back from an
// unverified requester reach them once they confirm, oldest first, each exactly once, also across
// a restart; the confirmation page shows the conversation (public comments only, escaped).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, eventually, stopClean } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp_sink.mjs';

const HC = '/api/v2/help_center';
const SUPPORT = 'help@example.com';
const cond = (field, operator, value) => ({ field, operator, value });

describe('triage mail', { timeout: 180_000 }, () => {
  let sink;
  let srv;
  let api;
  let fraud;
  let crashed = null; // the first server, killed mid-run: it owns the database's directory

  const env = () =>
    sink.env({ RAPPORT_MAIL_FROM_ADDRESS: SUPPORT, RAPPORT_MAIL_RETRY_BASE: '1', RAPPORT_MAIL_RETRY_CAP: '1' });
  const sql = async (query) => (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  const mailTo = async (address) => (await sink.messages()).filter((m) => m.rcptTos.includes(address));
  const contact = async (who, subject, body, extra = {}) =>
    (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject, comment: { body, author_id: who.id }, requester_id: who.id, recipient: SUPPORT, ...extra } },
        { expect: 201 },
      )
    ).body.ticket;
  const reply = (id, body, isPublic = true) =>
    api.put(`/api/v2/tickets/${id}.json`, { ticket: { comment: { body, public: isPublic } } }, { expect: 200 });

  before(async () => {
    sink = await startSmtpSink();
    srv = await startServer({ env: env() });
    api = client(srv);
    fraud = (await api.post('/api/v2/groups.json', { group: { name: 'Fraud desk' } }, { expect: 201 })).body.group;
    const kb = (await api.post(`${HC}/categories.json`, { category: { name: 'Account' } }, { expect: 201 })).body.category;
    const section = (await api.post(`${HC}/categories/${kb.id}/sections.json`, { section: { name: 'Sign-in' } }, { expect: 201 })).body.section;
    const article = (
      await api.post(
        `${HC}/sections/${section.id}/articles.json`,
        { article: { title: 'Reset your password', body: 'Choose **Forgot password**.', draft: false } },
        { expect: 201 },
      )
    ).body.article;
    const category = (fields) => api.post('/api/v2/triage/categories.json', { category: fields }, { expect: 201 });
    await category({
      name: 'Account takeover',
      outcome: 'sensitive',
      conditions: { any: [cond('comment_includes_word', 'includes', 'hacked')] },
      settings: { group_id: fraud.id },
    });
    await category({
      name: 'Password resets',
      outcome: 'self_service',
      conditions: { any: [cond('subject_includes_word', 'includes', 'password')] },
      settings: { article_id: article.id, status: 'solved' },
    });
    await api.post(
      '/api/v2/triggers.json',
      {
        trigger: {
          title: 'Acknowledge refunds',
          conditions: { all: [cond('update_type', 'is', 'Create'), cond('current_tags', 'includes', 'refund')] },
          actions: [{ field: 'comment_value', value: 'We received your refund request.' }],
        },
      },
      { expect: 201 },
    );
  });

  after(async () => {
    if (srv) await stopClean(srv);
    if (crashed) await crashed.stop(); // removes the directory, after the second server is gone
    if (sink) await sink.close();
  });

  test('automatic answers are marked Auto-Submitted: auto-replied; a person’s reply is not marked', async () => {
    const cara = await createUser(api, { name: 'Cara Customer', email: 'cara@example.net' });
    const answered = await contact(cara, 'I forgot my password', 'Cannot sign in.');
    assert.equal(answered.status, 'solved');
    const answer = await sink.waitFor((m) => m.rcptTos.includes(cara.email) && /Reset your password/.test(m.html));
    assert.equal(answer.header('auto-submitted'), 'auto-replied', 'the self-service answer is automatic mail');

    const refund = await contact(cara, 'Money back', 'Please refund order 7.', { tags: ['refund'] });
    const ack = await sink.waitFor((m) => m.rcptTos.includes(cara.email) && /refund request/.test(m.text));
    assert.equal(ack.header('auto-submitted'), 'auto-replied', 'a trigger’s reply is automatic mail');

    await reply(refund.id, 'Refunded, it shows in 3 days.');
    const human = await sink.waitFor((m) => m.rcptTos.includes(cara.email) && /Refunded/.test(m.text));
    assert.equal(human.header('auto-submitted'), undefined, 'a person wrote this');
  });

  test('held replies reach the requester once they confirm: in order, once each, also after a restart', async () => {
    const dan = await createUser(api, { name: 'Dan Doe', email: 'dan@example.net' });
    const t = await contact(dan, 'Strange login', 'I think I was hacked.');
    assert.equal(t.group_id, fraud.id);
    const notice = await sink.waitFor((m) => m.rcptTos.includes(dan.email) && /confirm/i.test(m.subject));
    assert.equal(notice.header('auto-submitted'), 'auto-generated', 'the verification notice is automatic mail');
    const token = notice.text.match(/\/triage\/verify\/(\S+)/)[1];

    await reply(t.id, 'First: did you buy <b>anything</b> today?');
    await reply(t.id, 'Internal: check the IP log.', false);
    await reply(t.id, 'Second: we froze the card.');
    assert.equal(await sql(`SELECT COUNT(*) FROM outbox WHERE ticket_id = ${t.id} AND kind = 'agent_reply'`), '0', 'nothing queued yet');

    // Confirming on the page: the conversation shows, public comments only, as text.
    const page = await api.as('none').post(`/triage/verify/${token}`, undefined, { expect: 200 });
    assert.match(page.text, /data-testid="conversation"/);
    assert.match(page.text, /I think I was hacked\./);
    assert.match(page.text, /did you buy &lt;b&gt;anything&lt;\/b&gt; today\?/, 'escaped, not markup');
    assert.match(page.text, /we froze the card/);
    assert.doesNotMatch(page.text, /IP log/, 'internal notes stay internal');
    assert.ok(page.text.indexOf('First:') < page.text.indexOf('Second:'), 'oldest first');

    // The two held replies go out, in order, each once; the internal note never.
    const first = await sink.waitFor((m) => m.rcptTos.includes(dan.email) && /First:/.test(m.text));
    const second = await sink.waitFor((m) => m.rcptTos.includes(dan.email) && /Second:/.test(m.text));
    assert.equal(first.header('auto-submitted'), undefined);
    assert.equal(second.header('in-reply-to'), first.header('message-id'), 'the second answers the first');
    // Still queued in order: the outbox rows are in comment order.
    assert.equal(
      await sql(`SELECT group_concat(substr(body_text, 1, 6), '|') FROM (SELECT body_text FROM outbox WHERE ticket_id = ${t.id} AND kind = 'agent_reply' ORDER BY id)`),
      'First:|Second',
    );

    // A crash and restart sends nothing twice: a reply after it is the next and only new message.
    crashed = srv;
    await crashed.kill('SIGKILL');
    srv = await startServer({ db: crashed.db, skipSetup: true, token: crashed.token, env: env() });
    api = client(srv);
    await reply(t.id, 'Third: all clear now.');
    await sink.waitFor((m) => m.rcptTos.includes(dan.email) && /Third:/.test(m.text));
    const toDan = (await mailTo(dan.email)).filter((m) => !/confirm/i.test(m.subject)).map((m) => m.text.trim().slice(0, 6));
    assert.deepEqual(toDan, ['First:', 'Second', 'Third:'], 'each reply exactly once, in order');
  });

  test('a second use of the link sends nothing again', async () => {
    const eve = await createUser(api, { name: 'Eve Evans', email: 'eve@example.net' });
    const t = await contact(eve, 'Hacked?', 'I was hacked yesterday.');
    const notice = await sink.waitFor((m) => m.rcptTos.includes(eve.email) && /confirm/i.test(m.subject));
    const token = notice.text.match(/\/triage\/verify\/(\S+)/)[1];
    await reply(t.id, 'Held reply.');
    const used = await api.as('none').post(`/api/v2/triage/verifications/${token}`, undefined, { expect: 200 });
    assert.equal(used.body.verification.replies_released, 1);
    await api.as('none').post(`/api/v2/triage/verifications/${token}`, undefined, { expect: 422 });
    await api.as('none').post(`/triage/verify/${token}`, undefined, { expect: 409 });
    await eventually(async () => (await mailTo(eve.email)).some((m) => /Held reply/.test(m.text)), { message: 'the held reply' });
    assert.equal(await sql(`SELECT COUNT(*) FROM outbox WHERE ticket_id = ${t.id} AND kind = 'agent_reply'`), '1');
  });
});
