// Outgoing mail as the customer's mail server sees it: agent replies on email tickets, survey
// mail and its suppression, retries while the mail server is down, permanent refusals, header
// injection, and the delivery status an agent and an admin see. The mail server is real: the
// aiosmtpd sink from scripts/smtp-sink.py on loopback, recording every message it accepts.
//
// Email tickets: a ticket that names the support address it was sent to (`recipient`, settable
// through the API as in Zendesk) is answered by email. Survey mail needs the ticket's channel to
// be `email`, which only intake sets; these tests set it with the sqlite3 CLI (a test-only path)
// until intake's inbound endpoint lands. Inbound Message-IDs are recorded the same way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, client, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { startSmtpSink } from '../lib/smtp_sink.mjs';
import { execute, startServer } from '../lib/server.mjs';

const SUPPORT = 'support@acme.test';
const ID = /^<[^<>\s]+@acme\.test>$/;

describe('email delivery', { timeout: 120_000 }, () => {
  let sink;
  let srv;
  let api;
  let amy;
  let asAmy;
  let seq = 0;

  const sql = async (query) => (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  const customer = (label) => {
    seq += 1;
    return { name: `Cara ${label} ${seq}`, email: `cara-${label}-${seq}@example.test` };
  };
  const deliveries = async (ticketId, as = api) =>
    (await as.get(`/api/v2/tickets/${ticketId}/deliveries.json`, { expect: 200 })).body.deliveries;
  const emailTicket = async (fields) =>
    (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { recipient: SUPPORT, assignee_id: amy.id, comment: { body: 'Please help.' }, ...fields } },
        { expect: 201 },
      )
    ).body.ticket;
  const reply = (ticketId, body, extra = {}) =>
    asAmy.put(`/api/v2/tickets/${ticketId}.json`, { ticket: { comment: { body, ...extra } } }, { expect: 200 });
  const mailFor = (ticketId, n = 1) =>
    eventually(
      async () => {
        const found = (await sink.messages()).filter((m) => m.subject.includes(`[#${ticketId}]`));
        return found.length >= n && found;
      },
      { message: `${n} message(s) about ticket ${ticketId} at the sink` },
    );
  const waitDelivery = (ticketId, pred, message) =>
    eventually(
      async () => {
        const ds = await deliveries(ticketId);
        return pred(ds) && ds;
      },
      { message, timeoutMs: 20_000 },
    );

  before(async () => {
    sink = await startSmtpSink();
    srv = await startServer({
      env: sink.env({
        RAPPORT_MAIL_FROM_ADDRESS: SUPPORT,
        RAPPORT_MAIL_FROM_NAME: 'Acme Support',
        RAPPORT_MAIL_RETRY_BASE: '1',
        RAPPORT_MAIL_RETRY_CAP: '1',
        RAPPORT_MAIL_MAX_ATTEMPTS: '60',
      }),
    });
    api = client(srv);
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@acme.test', role: 'agent', ticket_restriction: null });
    asAmy = api.as(tokenAuth(amy.email, srv.token));
  });

  after(async () => {
    if (srv) await stopClean(srv);
    if (sink) await sink.close();
  });

  test('an agent reply reaches the customer with threading headers; a second reply answers the first', async () => {
    const cara = customer('reply');
    const boss = await createUser(api, { name: 'Bo Boss', email: `boss-${seq}@example.test` });
    const t = await emailTicket({ subject: 'Broken kettle', requester: cara, email_cc_ids: [boss.id] });
    // The customer's own message, as intake records it in the threading index.
    await sql(
      `INSERT INTO mail_messages(message_id, direction, ticket_id, from_address, subject, created_at) ` +
        `VALUES ('cara-1@example.test', 'in', ${t.id}, '${cara.email}', 'Broken kettle', strftime('%s','now') - 60)`,
    );

    await reply(t.id, 'Hello Cara,\n\nA new kettle is on its way.');
    const [first] = await mailFor(t.id);
    assert.equal(first.header('from'), `Acme Support <${SUPPORT}>`);
    assert.equal(first.header('reply-to'), `Acme Support <${SUPPORT}>`);
    assert.equal(first.header('to'), `${cara.name} <${cara.email}>`);
    assert.equal(first.header('cc'), boss.email);
    assert.equal(first.subject, `Re: Broken kettle [#${t.id}]`);
    assert.match(first.header('message-id'), ID);
    assert.equal(first.header('in-reply-to'), '<cara-1@example.test>');
    assert.equal(first.header('references'), '<cara-1@example.test>');
    assert.equal(first.header('auto-submitted'), undefined, 'a person wrote this');
    assert.equal(first.header('mime-version'), '1.0');
    assert.ok(first.header('date'));
    assert.deepEqual(first.rcptTos.sort(), [boss.email, cara.email].sort(), 'the envelope carries To and Cc');
    assert.equal(first.mailFrom, SUPPORT);
    assert.equal(first.text.replace(/\r\n/g, '\n').trim(), 'Hello Cara,\n\nA new kettle is on its way.');
    assert.match(first.html, /<p>Hello Cara,<\/p><p>A new kettle is on its way\.<\/p>/);

    const [d1] = await waitDelivery(t.id, (ds) => ds[0]?.status === 'sent', 'the reply marked sent');
    assert.equal(d1.kind, 'agent_reply');
    assert.equal(d1.to, cara.email);
    assert.deepEqual(d1.cc, [boss.email]);
    assert.equal(d1.attempts, 1);
    assert.equal(d1.message_id, first.header('message-id'));
    assert.match(d1.smtp_response, /^250 OK queued as \d+/);
    assert.equal(d1.next_attempt_at, null);
    assert.equal(d1.permanent, false);
    assert.ok(d1.comment_id);

    await reply(t.id, 'It shipped today.');
    const both = await mailFor(t.id, 2);
    const second = both.find((m) => m.header('message-id') !== first.header('message-id'));
    assert.equal(second.header('in-reply-to'), first.header('message-id'));
    // References may be folded over lines; the IDs and their order are what count.
    assert.deepEqual(second.header('references').split(/\s+/), ['<cara-1@example.test>', first.header('message-id')]);
  });

  test('notes, the customer\'s own comments and non-email tickets send nothing', async () => {
    const cara = customer('quiet');
    const t = await emailTicket({ subject: 'Quiet please', requester: cara });
    await reply(t.id, 'Internal: check the warehouse.', { public: false });
    assert.deepEqual(await deliveries(t.id), [], 'an internal note is not mail');
    const asCara = api.as(tokenAuth(cara.email, srv.token));
    await asCara.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Any news?' } } }, { expect: 200 });
    assert.deepEqual(await deliveries(t.id), [], 'the customer is not mailed their own words');
    const apiTicket = (
      await api.post('/api/v2/tickets.json', { ticket: { subject: 'By API', requester: customer('api'), comment: { body: 'x' } } }, { expect: 201 })
    ).body.ticket;
    await reply(apiTicket.id, 'Answered in the app.');
    assert.deepEqual(await deliveries(apiTicket.id), [], 'a ticket without a support address is answered where it came from');
  });

  test('a survey mail is automatic, carries a working link, and marks the request delivered', async () => {
    const cara = customer('survey');
    const t = await emailTicket({ subject: 'Lost parcel', requester: cara });
    await sql(`UPDATE tickets SET channel = 'email' WHERE id = ${t.id}`);
    await asAmy.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'solved', comment: { body: 'Found it!' } } }, { expect: 200 });
    const mails = await mailFor(t.id, 2);
    const survey = mails.find((m) => m.subject === `How did Amy do? [#${t.id}]`);
    assert.ok(survey, `survey mail among ${mails.map((m) => m.subject)}`);
    assert.equal(survey.header('auto-submitted'), 'auto-generated');
    assert.equal(survey.header('to'), `${cara.name} <${cara.email}>`);
    assert.equal(survey.header('from'), `Acme Support <${SUPPORT}>`);
    assert.match(survey.header('message-id'), ID);
    const link = /(http:\/\/\S+\/s\/[A-Za-z0-9._-]+)/.exec(survey.text)?.[1];
    assert.ok(link, survey.text);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /How did Amy do\?/);
    const reqs = await eventually(async () => {
      const r = (await api.get(`/api/v2/tickets/${t.id}/feedback_requests.json`, { expect: 200 })).body.feedback_requests;
      return r[0]?.status === 'delivered' && r;
    }, { message: 'the survey request delivered' });
    assert.ok(reqs[0].delivered_at);
    const reply = mails.find((m) => m.subject.startsWith('Re: '));
    assert.equal(reply.header('auto-submitted'), undefined, 'the solve comment itself is a person\'s reply');
  });

  test('no automatic mail to a bouncing address or to a ticket from an automatic sender', async () => {
    const bouncy = customer('bouncy');
    await sql(`INSERT INTO mail_bounces(address_key, reason, status_code, bounced_at) VALUES ('${bouncy.email}', 'mailbox full', '5.2.2', 0)`);
    const t1 = await emailTicket({ subject: 'Bouncing', requester: bouncy });
    const robot = customer('robot');
    const t2 = await emailTicket({ subject: 'Out of office', requester: robot, tags: ['mail_auto_submitted'] });
    for (const t of [t1, t2]) {
      await sql(`UPDATE tickets SET channel = 'email' WHERE id = ${t.id}`);
      await asAmy.put(`/api/v2/tickets/${t.id}.json`, { ticket: { status: 'solved', comment: { body: 'Done.' } } }, { expect: 200 });
    }
    const d1 = await waitDelivery(t1.id, (ds) => ds.length === 2 && ds.every((d) => d.status !== 'queued'), 'both rows settled');
    const survey1 = d1.find((d) => d.kind === 'feedback_request');
    assert.equal(survey1.status, 'failed');
    assert.equal(survey1.last_error, 'suppressed: address is bouncing');
    assert.equal(survey1.automatic, true);
    assert.equal(d1.find((d) => d.kind === 'agent_reply').status, 'sent', 'a person\'s reply still goes');
    const d2 = await waitDelivery(t2.id, (ds) => ds.length >= 1 && ds.every((d) => d.status !== 'queued'), 'the reply settled');
    // Feedback does not even request a survey for a ticket from an automatic sender (the outbox
    // would refuse one too: email_test covers that rule).
    assert.deepEqual(d2.map((d) => d.kind), ['agent_reply']);
    assert.equal(d2[0].status, 'sent', 'a person\'s reply still goes');
    const mails = await sink.messages();
    assert.equal(mails.filter((m) => m.rcptTos.includes(bouncy.email) && m.header('auto-submitted')).length, 0);
    assert.equal(mails.filter((m) => m.rcptTos.includes(robot.email) && m.header('auto-submitted')).length, 0);
  });

  test('mail server down: the reply is retried, visibly, and delivered when it is back', async () => {
    const cara = customer('down');
    const t = await emailTicket({ subject: 'Server down', requester: cara });
    await sink.stop();
    try {
      await reply(t.id, 'Are you there?');
      const [d] = await waitDelivery(t.id, (ds) => ds[0]?.attempts >= 2, 'two failed attempts');
      assert.equal(d.status, 'queued');
      assert.ok(d.next_attempt_at, 'the next attempt is scheduled');
      assert.ok(d.last_attempt_at);
      assert.match(d.last_error, /connect/i);
      assert.equal(d.permanent, false);
    } finally {
      await sink.start();
    }
    const [mail] = await mailFor(t.id);
    assert.equal(mail.header('to'), `${cara.name} <${cara.email}>`);
    const [d] = await waitDelivery(t.id, (ds) => ds[0]?.status === 'sent', 'sent after the server came back');
    assert.ok(d.attempts >= 3);
    assert.equal(d.message_id, mail.header('message-id'), 'the Message-ID minted before the first attempt is kept');
  });

  test('a temporary refusal (451) is retried; a permanent one (550) fails for good and shows on the ticket', async () => {
    const later = customer('later');
    const gone = customer('gone');
    await sink.control({ rcpt: { [later.email]: '451 4.2.0 Greylisted, come back later', [gone.email]: '550 5.1.1 No such user here' } });
    try {
      const t1 = await emailTicket({ subject: 'Greylisted', requester: later });
      const t2 = await emailTicket({ subject: 'Unknown user', requester: gone });
      await reply(t1.id, 'One');
      await reply(t2.id, 'Two');
      const [failed] = await waitDelivery(t2.id, (ds) => ds[0]?.status === 'failed', 'the 550 row failed');
      assert.equal(failed.permanent, true);
      assert.equal(failed.attempts, 1);
      assert.match(failed.smtp_response, /^550 5\.1\.1 No such user here/);
      assert.match(failed.last_error, /550 5\.1\.1 No such user here/);
      const [deferred] = await waitDelivery(t1.id, (ds) => ds[0]?.attempts >= 1, 'the 451 row tried');
      assert.equal(deferred.status, 'queued');
      assert.match(deferred.smtp_response, /^451 4\.2\.0 Greylisted/);
      await sink.control({});
      await waitDelivery(t1.id, (ds) => ds[0]?.status === 'sent', 'the 451 row sent once accepted');

      // The admin's outbox shows the failure and can send it again.
      const listed = (await api.get('/api/v2/channels/email/outbox.json?status=failed', { expect: 200 })).body;
      assert.ok(listed.deliveries.some((d) => d.id === failed.id));
      assert.ok(listed.deliveries.every((d) => d.status === 'failed'));
      await asAmy.get('/api/v2/channels/email/outbox.json', { expect: 403 });
      await asAmy.post(`/api/v2/channels/email/outbox/${failed.id}/retry.json`, {}, { expect: 403 });
      const retried = (await api.post(`/api/v2/channels/email/outbox/${failed.id}/retry.json`, {}, { expect: 200 })).body.delivery;
      assert.equal(retried.status, 'queued');
      assert.equal(retried.attempts, 0);
      await waitDelivery(t2.id, (ds) => ds[0]?.status === 'sent', 'sent after the retry');
      const again = await api.post(`/api/v2/channels/email/outbox/${failed.id}/retry.json`, {}, { expect: 422 });
      assert.match(JSON.stringify(again.body), /already sent/);
    } finally {
      await sink.control({});
    }
  });

  test('CR/LF in a subject or a name cannot add headers or recipients', async () => {
    const eve = { name: 'Eve\r\nBcc: victim@evil.test', email: `eve-${++seq}@example.test` };
    const t = await emailTicket({ subject: 'Refund\r\nBcc: victim@evil.test\r\nX-Injected: yes', requester: eve });
    await reply(t.id, 'Hello');
    const [mail] = await mailFor(t.id);
    for (const [name] of mail.headerLines) {
      assert.notEqual(name, 'bcc');
      assert.notEqual(name, 'x-injected');
    }
    assert.deepEqual(mail.rcptTos, [eve.email]);
    assert.equal(mail.subject, `Re: Refund Bcc: victim@evil.test X-Injected: yes [#${t.id}]`);
    assert.ok(!mail.raw.includes('\r\nBcc:'));
  });

  test('an uploaded file goes out with the reply, stored once', async () => {
    const cara = customer('files');
    const t = await emailTicket({ subject: 'Invoice copy', requester: cara });
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from([0, 1, 2, 255, 254, 13, 10]), Buffer.alloc(3000, 0x41)]);
    const upload = async (name, as = asAmy) =>
      as.call('POST', `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, pdf, { headers: { 'Content-Type': 'application/pdf' } });
    const res = await upload('invoice 42.pdf');
    assert.equal(res.status, 201, res.text);
    const { token, attachment } = res.body.upload;
    assert.ok(token);
    assert.equal(attachment.file_name, 'invoice 42.pdf');
    assert.equal(attachment.content_type, 'application/pdf');
    assert.equal(attachment.size, pdf.length);
    const again = await upload('same bytes.pdf');
    assert.equal(again.status, 201);
    assert.equal(await sql(`SELECT COUNT(*) FROM blobs WHERE size = ${pdf.length}`), '1', 'the same bytes are stored once');
    const asCara = api.as(tokenAuth(cara.email, srv.token));
    assert.equal((await upload('x.pdf', asCara)).status, 403, 'end users do not upload');

    await reply(t.id, 'Here is your invoice.', { uploads: [token] });
    const [mail] = await mailFor(t.id);
    assert.match(mail.header('content-type'), /^multipart\/mixed/);
    const file = mail.parts.find((p) => p.type === 'application/pdf');
    assert.ok(file, `parts: ${mail.parts.map((p) => p.type)}`);
    assert.match(file.disposition, /attachment; filename="invoice 42\.pdf"/);
    assert.ok(file.bytes.equals(pdf), 'the attachment arrives byte for byte');
    assert.equal(mail.text.trim(), 'Here is your invoice.');

    // A token is used once; an unused one can be deleted, once.
    const reuse = await asAmy.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Again', uploads: [token] } } });
    assert.equal(reuse.status, 422, reuse.text);
    assert.equal((await deliveries(t.id)).length, 1, 'the refused comment queued nothing');
    await asAmy.delete(`/api/v2/uploads/${again.body.upload.token}.json`, { expect: 204 });
    await asAmy.delete(`/api/v2/uploads/${again.body.upload.token}.json`, { expect: 404 });
  });

  test('deliveries: staff who see the ticket, not end users', async () => {
    const cara = customer('perm');
    const t = await emailTicket({ subject: 'Perms', requester: cara });
    const asCara = api.as(tokenAuth(cara.email, srv.token));
    const res = await asCara.get(`/api/v2/tickets/${t.id}/deliveries.json`, { expect: 403 });
    assert.deepEqual(res.body, FORBIDDEN);
    await api.get('/api/v2/tickets/999999/deliveries.json', { expect: 404 });
    await api.get('/api/v2/channels/email/outbox.json?status=bogus', { expect: 400 });
  });
});

// The way to the server: STARTTLS required and AUTH, as a submission server (port 587) wants them.
// A wrong password defers the mail (an operator's problem, not the message's), visibly.
describe('email delivery over STARTTLS with AUTH', { timeout: 120_000 }, () => {
  let sink;
  let srv;
  let api;

  before(async () => {
    sink = await startSmtpSink({ auth: 'rapport:s3cret', tls: true });
    srv = await startServer({
      env: sink.env({
        RAPPORT_MAIL_TLS: 'starttls',
        RAPPORT_MAIL_TLS_VERIFY: 'false', // the sink's certificate is self-signed for the run
        RAPPORT_MAIL_USER: 'rapport',
        RAPPORT_MAIL_PASSWORD: 's3cret',
        RAPPORT_MAIL_FROM_ADDRESS: SUPPORT,
        RAPPORT_MAIL_RETRY_BASE: '1',
        RAPPORT_MAIL_RETRY_CAP: '1',
      }),
    });
    api = client(srv);
  });

  after(async () => {
    if (srv) await stopClean(srv);
    if (sink) await sink.close();
  });

  test('a reply goes out encrypted and authenticated', async () => {
    const t = (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject: 'Secure', recipient: SUPPORT, requester: { name: 'Sam', email: 'sam@example.test' }, comment: { body: 'Hi' } } },
        { expect: 201 },
      )
    ).body.ticket;
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Over TLS.' } } }, { expect: 200 });
    const mail = await sink.waitFor((m) => m.subject === `Re: Secure [#${t.id}]`);
    assert.equal(mail.authUser, 'rapport', 'the sink saw AUTH as rapport (after STARTTLS, which it requires)');
    assert.deepEqual(mail.rcptTos, ['sam@example.test']);
  });

  test('with a wrong password the reply waits, with the server\'s answer, instead of failing for good', async () => {
    // The password changes on the server, which restarts: the kept-alive connection (already
    // authenticated) is gone, so the next message has to log in again.
    await sink.control({ auth: 'rapport:changed' });
    await sink.stop();
    await sink.start();
    try {
      const t = (
        await api.post(
          '/api/v2/tickets.json',
          { ticket: { subject: 'Locked out', recipient: SUPPORT, requester: { name: 'Lou', email: 'lou@example.test' }, comment: { body: 'Hi' } } },
          { expect: 201 },
        )
      ).body.ticket;
      await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { comment: { body: 'Can you read this?' } } }, { expect: 200 });
      const [d] = await eventually(
        async () => {
          const ds = (await api.get(`/api/v2/tickets/${t.id}/deliveries.json`, { expect: 200 })).body.deliveries;
          return ds[0]?.attempts >= 2 && /^535 /.test(ds[0].smtp_response) && ds;
        },
        { message: 'attempts refused with 535', timeoutMs: 20_000 },
      );
      assert.equal(d.status, 'queued');
      assert.equal(d.permanent, false);
      assert.match(d.last_error, /Login denied/i);
      await sink.control({});
      await eventually(
        async () => (await api.get(`/api/v2/tickets/${t.id}/deliveries.json`, { expect: 200 })).body.deliveries[0].status === 'sent',
        { message: 'sent once the password matches again', timeoutMs: 20_000 },
      );
    } finally {
      await sink.control({});
    }
  });
});
