// The email channel end to end, on real mail servers on both sides: a customer's message lands in
// a real Dovecot mailbox, the server's IMAP poller makes it a ticket, an agent answers through the
// API, the answer arrives at a real SMTP server (the aiosmtpd sink) with the threading headers a
// mail client uses, and the customer's answer to THAT message (built from the bytes the sink
// captured, as a mail client would build it) goes back into Dovecot and threads onto the same
// ticket. Then the states a reply meets (solved reopens, closed follows up) and the outages on
// each side (SMTP down: retried, delivered once; IMAP down: retried, taken once).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, eventually, newToken, stopClean, tokenAuth } from '../lib/api.mjs';
import { startDovecot } from '../lib/dovecot.mjs';
import { startSmtpSink } from '../lib/smtp_sink.mjs';
import { startServer } from '../lib/server.mjs';

const SUPPORT = 'support@help.example';
const CUSTOMER = { name: 'Ana Cliente', email: 'ana@customer.example' };
const OUR_ID = /^<[^<>\s@]+@help\.example>$/; // Message-IDs we mint: on the support address's domain

let seq = 0;
const rfcDate = () => new Date().toUTCString().replace('GMT', '+0000');

/** A first message from the customer, as her mail client writes it. */
function customerMail(subject, body) {
  const id = `first.${Date.now()}.${++seq}@customer.example`;
  return {
    id,
    raw:
      `From: ${CUSTOMER.name} <${CUSTOMER.email}>\r\nTo: Help Desk <${SUPPORT}>\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${id}>\r\nDate: ${rfcDate()}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  };
}

/**
 * The customer's answer to a message the sink captured, as a mail client builds it: to the
 * Reply-To, "Re: " + the subject (unless it has one), In-Reply-To the message, References its
 * References plus its Message-ID, the new text above the quoted original.
 */
function answerTo(captured, body) {
  const id = `answer.${Date.now()}.${++seq}@customer.example`;
  const parentId = captured.header('message-id');
  const refs = [...(captured.header('references') ?? '').split(/\s+/).filter(Boolean), parentId].join(' ');
  const subject = /^re:/i.test(captured.subject) ? captured.subject : `Re: ${captured.subject}`;
  const quoted = captured.text.replace(/\r\n/g, '\n').trim().split('\n').map((l) => `> ${l}`).join('\r\n');
  return {
    id,
    raw:
      `From: ${CUSTOMER.name} <${CUSTOMER.email}>\r\nTo: ${captured.header('reply-to') ?? captured.header('from')}\r\n` +
      `Subject: ${subject}\r\nMessage-ID: <${id}>\r\nIn-Reply-To: ${parentId}\r\nReferences: ${refs}\r\n` +
      `Date: ${rfcDate()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `${body}\r\n\r\nOn ${captured.header('date')}, ${captured.header('from')} wrote:\r\n${quoted}\r\n`,
  };
}

describe('email round trip: Dovecot -> ticket -> agent reply -> SMTP -> customer reply -> same ticket', { timeout: 240_000 }, () => {
  let dc;
  let sink;
  let srv;
  let api;
  let asAgent;
  let mailbox;

  const ticket = async (id) => (await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket;
  const comments = async (id) => (await api.get(`/api/v2/tickets/${id}/comments.json`, { expect: 200 })).body.comments;
  const deliveries = async (id) => (await api.get(`/api/v2/tickets/${id}/deliveries.json`, { expect: 200 })).body.deliveries;
  const ticketCount = async () => (await api.get('/api/v2/tickets.json?per_page=1', { expect: 200 })).body.count;
  const ticketBySubject = (subject) =>
    eventually(
      async () => (await api.get('/api/v2/tickets.json?per_page=100', { expect: 200 })).body.tickets.find((t) => t.subject === subject),
      { timeoutMs: 30_000, message: `a ticket "${subject}" from the IMAP mailbox` },
    );
  const commentCount = (id, n, message) =>
    eventually(
      async () => {
        const cs = await comments(id);
        return cs.length >= n && cs;
      },
      { timeoutMs: 30_000, message },
    );
  const reply = (id, body, extra = {}) =>
    asAgent.put(`/api/v2/tickets/${id}.json`, { ticket: { comment: { body }, ...extra } }, { expect: 200 });
  /** The agents' replies at the sink about ticket `id` (not survey mail), once there are `n`. */
  const mailsFor = (id, n) =>
    eventually(
      async () => {
        const found = (await sink.messages()).filter((m) => m.subject.startsWith('Re: ') && m.subject.includes(`[#${id}]`));
        return found.length >= n && found;
      },
      { timeoutMs: 30_000, message: `${n} message(s) about ticket ${id} at the SMTP sink` },
    );

  before(async () => {
    [dc, sink] = await Promise.all([startDovecot(), startSmtpSink()]);
    srv = await startServer({
      env: sink.env({
        RAPPORT_EMAIL_POLL_INTERVAL: '1',
        RAPPORT_MAIL_FROM_ADDRESS: SUPPORT,
        RAPPORT_MAIL_RETRY_BASE: '1',
        RAPPORT_MAIL_RETRY_CAP: '1',
        RAPPORT_MAIL_MAX_ATTEMPTS: '100',
      }),
    });
    api = client(srv);
    const group = (await api.post('/api/v2/groups.json', { group: { name: 'Help Desk' } }, { expect: 201 })).body.group;
    const agent = await createUser(api, { name: 'Ivo Agent', email: 'ivo@help.example', role: 'agent', group_ids: [group.id] });
    asAgent = api.as(tokenAuth(agent.email, await newToken(srv, agent.email)));
    mailbox = (
      await api.post('/api/v2/channels/email/mailboxes', {
        mailbox: { address: SUPPORT, name: 'Help Desk', group_id: group.id, imap_host: '127.0.0.1', imap_port: dc.port,
          imap_tls: 'none', imap_user: dc.user, imap_password: dc.password },
      }, { expect: 201 })
    ).body.mailbox;
  });

  after(async () => {
    await stopClean(srv);
    await sink?.close();
    await dc?.stop();
  });

  test('the customer\'s answer to the agent\'s emailed reply is a comment on the same ticket', async () => {
    const first = customerMail('Kettle leaks', 'The new kettle leaks from the bottom.\r\n\r\nAna');
    await dc.append(first.raw);
    const t = await ticketBySubject('Kettle leaks');
    assert.equal(t.via.channel, 'email');
    assert.equal(t.recipient, SUPPORT);
    assert.equal(t.group_id, mailbox.group_id);
    const requester = (await api.get(`/api/v2/users/${t.requester_id}.json`, { expect: 200 })).body.user;
    assert.equal(requester.email, CUSTOMER.email);

    await reply(t.id, 'Hello Ana,\n\nA replacement is on its way.');
    const [out] = await mailsFor(t.id, 1);
    assert.equal(out.header('from'), `Help Desk <${SUPPORT}>`);
    assert.equal(out.header('reply-to'), `Help Desk <${SUPPORT}>`);
    assert.equal(out.header('to'), `${CUSTOMER.name} <${CUSTOMER.email}>`);
    assert.deepEqual(out.rcptTos, [CUSTOMER.email]);
    assert.equal(out.mailFrom, SUPPORT);
    assert.equal(out.subject, `Re: Kettle leaks [#${t.id}]`, 'the ticket\'s thread marker is in the subject');
    assert.match(out.header('message-id'), OUR_ID);
    assert.equal(out.header('in-reply-to'), `<${first.id}>`, 'answers the customer\'s message');
    assert.equal(out.header('references'), `<${first.id}>`);
    assert.equal(out.header('auto-submitted'), undefined);
    assert.equal(out.text.replace(/\r\n/g, '\n').trim(), 'Hello Ana,\n\nA replacement is on its way.');

    const before = await ticketCount();
    const answer = answerTo(out, 'Thank you, it arrived and it does not leak.');
    await dc.append(answer.raw);
    const cs = await commentCount(t.id, 3, 'the customer\'s answer as the third comment');
    assert.equal(cs.length, 3);
    const last = cs[2];
    assert.equal(last.body, 'Thank you, it arrived and it does not leak.', 'the quoted history is cut');
    assert.equal(last.author_id, t.requester_id);
    assert.equal(last.public, true);
    assert.equal(last.metadata.email.message_id, answer.id);
    assert.equal(await ticketCount(), before, 'no new ticket');
    // The customer's own words are not mailed back to her: still the one delivery.
    const ds = await deliveries(t.id);
    assert.deepEqual(ds.map((d) => [d.kind, d.status]), [['agent_reply', 'sent']]);
  });

  test('an answer to a solved ticket reopens it; to a closed one it opens a linked follow-up that answers by mail too', async () => {
    const first = customerMail('Invoice missing', 'I did not get the invoice.');
    await dc.append(first.raw);
    const t = await ticketBySubject('Invoice missing');
    await reply(t.id, 'Sent again, please check.', { status: 'solved' });
    const [solvedMail] = await mailsFor(t.id, 1);
    assert.equal((await ticket(t.id)).status, 'solved');

    const still = answerTo(solvedMail, 'Still nothing here.');
    await dc.append(still.raw);
    await eventually(async () => (await ticket(t.id)).status === 'open', { timeoutMs: 30_000, message: 'the solved ticket reopened' });
    const cs = await comments(t.id);
    assert.equal(cs.at(-1).body, 'Still nothing here.');

    await reply(t.id, 'It is in your spam folder.', { status: 'closed' });
    const mails = await mailsFor(t.id, 2);
    const closingMail = mails.find((m) => m.header('message-id') !== solvedMail.header('message-id'));
    assert.equal(closingMail.header('in-reply-to'), `<${still.id}>`, 'answers the customer\'s latest message');
    // The whole conversation, oldest first (the survey mail, also ours, may be in it too).
    const refs = closingMail.header('references').split(/\s+/);
    const at = [`<${first.id}>`, solvedMail.header('message-id'), `<${still.id}>`].map((id) => refs.indexOf(id));
    assert.ok(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])), `References: ${refs.join(' ')}`);
    assert.equal(refs.at(-1), `<${still.id}>`);
    assert.equal((await ticket(t.id)).status, 'closed');

    const before = await ticketCount();
    const late = answerTo(closingMail, 'Found it, but it has the wrong address.');
    await dc.append(late.raw);
    const followup = await eventually(
      async () => (await api.get('/api/v2/tickets.json?per_page=100', { expect: 200 })).body.tickets.find((x) => x.via?.source?.rel === 'follow_up' && x.via.source.from?.ticket_id === t.id),
      { timeoutMs: 30_000, message: 'a follow-up ticket linked to the closed one' },
    );
    assert.equal(await ticketCount(), before + 1);
    assert.equal(followup.requester_id, t.requester_id);
    assert.equal(followup.recipient, SUPPORT);
    assert.equal((await comments(followup.id))[0].body, 'Found it, but it has the wrong address.');
    assert.equal((await ticket(t.id)).status, 'closed', 'a closed ticket stays closed');
    assert.equal((await comments(t.id)).length, cs.length + 1, 'nothing was added to the closed ticket');

    // The follow-up is an email ticket like any other: its reply reaches the customer.
    await reply(followup.id, 'We will send a corrected one.');
    const [fmail] = await mailsFor(followup.id, 1);
    assert.equal(fmail.header('to'), `${CUSTOMER.name} <${CUSTOMER.email}>`);
    assert.equal(fmail.header('in-reply-to'), `<${late.id}>`);
  });

  test('SMTP server down: the reply waits, is retried, arrives once when the server is back, and its answer threads', async () => {
    const first = customerMail('Door will not close', 'The fridge door will not close.');
    await dc.append(first.raw);
    const t = await ticketBySubject('Door will not close');
    await sink.stop();
    try {
      await reply(t.id, 'Please check the hinge screws.');
      const [d] = await eventually(
        async () => {
          const ds = await deliveries(t.id);
          return ds[0]?.attempts >= 2 && ds;
        },
        { timeoutMs: 30_000, message: 'two failed attempts while the SMTP server is down' },
      );
      assert.equal(d.status, 'queued');
      assert.match(d.last_error, /connect/i);
      assert.equal(d.permanent, false);
    } finally {
      await sink.start();
    }
    const [out] = await mailsFor(t.id, 1);
    const [d] = await eventually(
      async () => {
        const ds = await deliveries(t.id);
        return ds[0]?.status === 'sent' && ds;
      },
      { timeoutMs: 30_000, message: 'the delivery marked sent' },
    );
    assert.ok(d.attempts >= 3, `attempts: ${d.attempts}`);
    assert.equal(d.message_id, out.header('message-id'));
    assert.equal(out.header('in-reply-to'), `<${first.id}>`);
    assert.equal((await sink.messages()).filter((m) => m.header('message-id') === out.header('message-id')).length, 1, 'sent once');

    await dc.append(answerTo(out, 'The screws were loose, fixed.').raw);
    const cs = await commentCount(t.id, 3, 'the answer to the late reply on the same ticket');
    assert.equal(cs[2].body, 'The screws were loose, fixed.');
  });

  test('IMAP server down: the poller keeps trying, and mail delivered meanwhile is taken once it is back', async () => {
    const first = customerMail('Blender noise', 'It makes a grinding noise.');
    await dc.append(first.raw);
    const t = await ticketBySubject('Blender noise');
    await reply(t.id, 'Is the jar seated well?');
    const [out] = await mailsFor(t.id, 1);
    const mbUrl = `/api/v2/channels/email/mailboxes/${mailbox.id}`;
    const mb = async () => (await api.get(mbUrl, { expect: 200 })).body.mailbox;

    await dc.down();
    let up = false;
    try {
      const failed = await eventually(async () => {
        const m = await mb();
        return m.last_error && m;
      }, { timeoutMs: 30_000, message: 'a failed poll recorded on the mailbox' });
      assert.match(failed.last_error, /connect/i);
      // The customer's answer reaches the mailbox while IMAP is down (the MTA delivers to the
      // Maildir), and the poller goes on failing: retried, not given up.
      const answer = answerTo(out, 'Yes, it is seated well.');
      await dc.deliver(answer.raw);
      const firstFailure = failed.last_poll_at;
      await eventually(async () => {
        const m = await mb();
        return m.last_error && m.last_poll_at !== firstFailure;
      }, { timeoutMs: 30_000, message: 'another failed poll later' });
      assert.equal((await comments(t.id)).length, 2, 'nothing taken while the server is down');
      await dc.up();
      up = true;
    } finally {
      if (!up) await dc.up();
    }
    const cs = await commentCount(t.id, 3, 'the answer taken after IMAP came back');
    assert.equal(cs[2].body, 'Yes, it is seated well.');
    await eventually(async () => (await mb()).last_error === null, { message: 'the mailbox error cleared' });
    await eventually(async () => [...(await dc.flags()).values()].every((f) => f.includes('\\Seen')), {
      message: 'every message marked \\Seen',
    });
    // More polls after it came back find nothing new: no duplicate.
    const caughtUp = (await mb()).last_poll_at;
    await api.post(`${mbUrl}/poll`, {}, { expect: 202 });
    await eventually(async () => (await mb()).last_poll_at !== caughtUp, { message: 'one more poll' });
    assert.equal((await comments(t.id)).length, 3, 'taken exactly once');
  });
});
