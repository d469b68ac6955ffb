// Email intake against a real Dovecot: mail appended to the IMAP mailbox becomes a ticket and is
// marked \Seen only after it is stored; replies thread; solved reopens, closed follows up; a crash
// between fetch and commit loses nothing and doubles nothing. The inbound endpoint and
// `rapport mail receive` take raw mail too; attachments come back with safe headers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createUser, eventually, newToken, stopClean, tokenAuth } from '../lib/api.mjs';
import { startDovecot } from '../lib/dovecot.mjs';
import { startServer } from '../lib/server.mjs';

const SUPPORT = 'support@help.example';
const FAST_POLL = { RAPPORT_EMAIL_POLL_INTERVAL: '1' };

let seq = 0;
/** A raw message; `headers` adds lines such as {'In-Reply-To': '<x@y>'}. */
function mail({ from = 'Ana Cliente <ana@customer.example>', to = SUPPORT, subject = 'Hello', body = 'Hi there',
  id = `m${Date.now()}.${++seq}@customer.example`, headers = {} } = {}) {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const raw = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n` +
    `Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n${extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
  return { raw, id };
}

async function ticketsWithSubject(api, subject) {
  const res = await api.get('/api/v2/tickets.json?per_page=100', { expect: 200 });
  return res.body.tickets.filter((t) => t.subject === subject);
}

async function comments(api, ticketId) {
  return (await api.get(`/api/v2/tickets/${ticketId}/comments.json`, { expect: 200 })).body.comments;
}

function inbound(api, raw, opts = {}) {
  return api.post('/api/v2/channels/email/inbound', raw, { headers: { 'Content-Type': 'message/rfc822' }, ...opts });
}

describe('email intake over IMAP (real Dovecot)', () => {
  let dc;
  let srv;
  let api;
  let mailbox;
  let agentToken;

  before(async () => {
    dc = await startDovecot();
    srv = await startServer({ env: FAST_POLL });
    api = client(srv);
    const group = (await api.post('/api/v2/groups.json', { group: { name: 'Support' } }, { expect: 201 })).body.group;
    const agent = await createUser(api, { name: 'Ivan Agent', email: 'ivan@help.example', role: 'agent', group_ids: [group.id] });
    agentToken = tokenAuth(agent.email, await newToken(srv, agent.email));
    mailbox = (
      await api.post('/api/v2/channels/email/mailboxes', {
        mailbox: { address: SUPPORT, name: 'Help', group_id: group.id, imap_host: '127.0.0.1', imap_port: dc.port,
          imap_tls: 'none', imap_user: dc.user, imap_password: dc.password },
      }, { expect: 201 })
    ).body.mailbox;
  });

  after(async () => {
    await stopClean(srv);
    await dc?.stop();
  });

  test('the mailbox API is admin-only and never shows the password', async () => {
    assert.equal(mailbox.imap_password_set, true);
    assert.ok(!JSON.stringify(mailbox).includes(dc.password));
    const list = await api.get('/api/v2/channels/email/mailboxes', { expect: 200 });
    assert.ok(!list.text.includes(dc.password));
    await api.get('/api/v2/channels/email/mailboxes', { auth: agentToken, expect: 403 });
    await api.post('/api/v2/channels/email/mailboxes', { mailbox: { address: 'x@help.example' } }, { auth: agentToken, expect: 403 });
    const dup = await api.post('/api/v2/channels/email/mailboxes', { mailbox: { address: 'SUPPORT@help.example' } }, { expect: 422 });
    assert.equal(dup.body.details.address[0].error, 'DuplicateValue');
  });

  test('"test connection" reports the server\'s answer, or its refusal', async () => {
    const ok = await api.post(`/api/v2/channels/email/mailboxes/${mailbox.id}/test`, {}, { expect: 200 });
    assert.equal(ok.body.ok, true, ok.text);
    assert.match(ok.body.answer, /Dovecot/);
    assert.match(ok.body.answer, /INBOX has \d+ messages/);
    const bad = (await api.post('/api/v2/channels/email/mailboxes', {
      mailbox: { address: 'wrong@help.example', imap_host: '127.0.0.1', imap_port: dc.port, imap_tls: 'none',
        imap_user: dc.user, imap_password: 'not the password', enabled: false },
    }, { expect: 201 })).body.mailbox;
    const refused = await api.post(`/api/v2/channels/email/mailboxes/${bad.id}/test`, {}, { expect: 200 });
    assert.equal(refused.body.ok, false);
    assert.match(refused.body.error, /AUTHENTICATIONFAILED|Authentication failed/);
    await api.delete(`/api/v2/channels/email/mailboxes/${bad.id}`, { expect: 204 });
  });

  test('mail in the mailbox becomes a ticket, is marked \\Seen, and replies thread onto it', async () => {
    const first = mail({ subject: 'Printer on fire', body: 'It is smoking.\r\n\r\nAna' });
    await dc.append(first.raw);
    const [ticket] = await eventually(async () => {
      const ts = await ticketsWithSubject(api, 'Printer on fire');
      return ts.length ? ts : null;
    }, { message: 'a ticket from the IMAP message' });
    assert.equal(ticket.via.channel, 'email');
    assert.equal(ticket.via.source.from.address, 'ana@customer.example');
    assert.equal(ticket.recipient, SUPPORT);
    assert.equal(ticket.group_id, mailbox.group_id);
    const seen = await eventually(async () => {
      const flags = await dc.flags();
      return [...flags.values()].every((f) => f.includes('\\Seen')) ? flags : null;
    }, { message: 'the message marked \\Seen' });
    assert.equal(seen.size, 1);
    const mb = (await api.get(`/api/v2/channels/email/mailboxes/${mailbox.id}`, { expect: 200 })).body.mailbox;
    assert.ok(mb.last_uid >= 1);
    assert.equal(mb.last_error, null);

    // The customer's reply threads by In-Reply-To, its quote cut.
    await dc.append(mail({ subject: 'Re: Printer on fire', headers: { 'In-Reply-To': `<${first.id}>` },
      body: 'Now it is out.\r\n\r\nOn Tue, Jan 2, 2024 at 10:00 AM Help <support@help.example> wrote:\r\n> Is it on fire?' }).raw);
    const cs = await eventually(async () => {
      const c = await comments(api, ticket.id);
      return c.length === 2 ? c : null;
    }, { message: 'the reply as a second comment' });
    assert.equal(cs[1].body, 'Now it is out.');
    assert.equal((await ticketsWithSubject(api, 'Re: Printer on fire')).length, 0);

    // Solved: a reply reopens it. Closed: a reply opens a follow-up linked to it.
    await api.put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved' } }, { auth: agentToken, expect: 200 });
    const reply2 = mail({ subject: 'Re: Printer on fire', headers: { References: `<${first.id}>` }, body: 'Burning again' });
    await dc.append(reply2.raw);
    await eventually(async () => (await api.get(`/api/v2/tickets/${ticket.id}.json`)).body.ticket.status === 'open',
      { message: 'the solved ticket reopened' });
    await api.put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'closed' } }, { auth: agentToken, expect: 200 });
    await dc.append(mail({ subject: 'Re: Printer on fire', headers: { 'In-Reply-To': `<${reply2.id}>` }, body: 'Still?' }).raw);
    const followup = await eventually(async () => {
      const ts = await ticketsWithSubject(api, 'Re: Printer on fire');
      return ts.length ? ts[0] : null;
    }, { message: 'a follow-up ticket' });
    assert.equal(followup.via.source.rel, 'follow_up');
    assert.equal(followup.via.source.from.ticket_id, ticket.id);
    assert.equal((await api.get(`/api/v2/tickets/${ticket.id}.json`)).body.ticket.status, 'closed');
  });

  test('auto-replies, bounces and our own mail open no loops', async () => {
    const before = (await api.get('/api/v2/tickets.json?per_page=1', { expect: 200 })).body.count;
    await dc.append(mail({ from: SUPPORT, subject: 'Loop from ourselves' }).raw);
    const auto = mail({ from: 'bob@customer.example', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } });
    await dc.append(auto.raw);
    // A bounce of mail we never sent: recorded, no ticket.
    await dc.append('From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\nTo: support@help.example\r\n' +
      'Subject: Undelivered Mail\r\nMessage-ID: <dsn.1@mx.customer.example>\r\n' +
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n' +
      '--r\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n' +
      'Reporting-MTA: dns; mx.customer.example\r\n\r\nFinal-Recipient: rfc822; gone@customer.example\r\n' +
      'Action: failed\r\nStatus: 5.1.1\r\n\r\n--r--\r\n');
    const [ooo] = await eventually(async () => {
      const ts = await ticketsWithSubject(api, 'Out of office');
      return ts.length ? ts : null;
    }, { message: 'the auto-reply stored' });
    assert.ok(ooo.tags.includes('mail_auto_submitted'));
    const c = await comments(api, ooo.id);
    assert.equal(c[0].metadata.auto_submitted, true);
    await eventually(async () => {
      const flags = await dc.flags();
      return [...flags.values()].filter((f) => f.includes('\\Seen')).length === flags.size ? flags : null;
    }, { message: 'all three messages taken' });
    // Only the auto-reply became a ticket: mail from our own address is dropped, a bounce is not a ticket.
    assert.equal((await api.get('/api/v2/tickets.json?per_page=1', { expect: 200 })).body.count, before + 1);
    assert.equal((await ticketsWithSubject(api, 'Loop from ourselves')).length, 0);
  });
});

describe('a crash between fetch and commit', () => {
  let dc;
  let srv;
  let crashing;
  after(async () => {
    await stopClean(srv);
    await crashing?.stop(); // removes the temp directory both servers used
    await dc?.stop();
  });

  test('loses nothing and doubles nothing', async () => {
    dc = await startDovecot();
    // First run: the poller kills the server right after fetching, before anything is stored.
    crashing = await startServer({ env: { ...FAST_POLL, RAPPORT_TEST_CRASH_AFTER_FETCH: '1' } });
    const api1 = client(crashing);
    await api1.post('/api/v2/channels/email/mailboxes', {
      mailbox: { address: SUPPORT, imap_host: '127.0.0.1', imap_port: dc.port, imap_tls: 'none', imap_user: dc.user,
        imap_password: dc.password },
    }, { expect: 201 });
    await dc.append(mail({ subject: 'Survives a crash', body: 'Do not lose me' }).raw);
    const exit = await Promise.race([
      crashing.exited(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`the server did not crash after a fetch:\n${crashing.output().slice(-2000)}`)), 30_000)),
    ]);
    assert.equal(exit.signal, 'SIGKILL', crashing.output().slice(-2000));
    assert.match(crashing.output(), /fault_injection/);
    const flags = await dc.flags();
    assert.equal(flags.size, 1);
    assert.ok(!flags.get(1).includes('\\Seen'), 'not marked seen before it was stored');

    // Restart on the same database without the fault: the message is fetched again, stored once.
    srv = await startServer({ db: crashing.db, skipSetup: true, token: crashing.token, env: FAST_POLL });
    const api = client(srv);
    const ts = await eventually(async () => {
      const t = await ticketsWithSubject(api, 'Survives a crash');
      return t.length ? t : null;
    }, { message: 'the ticket after restart' });
    await eventually(async () => (await dc.flags()).get(1)?.includes('\\Seen'), { message: '\\Seen after the commit' });
    // More polls find nothing new: still exactly one ticket.
    await api.post('/api/v2/channels/email/mailboxes/1/poll', {}, { expect: 202 });
    await eventually(async () => {
      const mb = (await api.get('/api/v2/channels/email/mailboxes/1', { expect: 200 })).body.mailbox;
      return mb.last_uid === 1 && mb.last_error === null;
    }, { message: 'the mailbox caught up' });
    assert.equal(ts.length, 1);
    assert.equal((await ticketsWithSubject(api, 'Survives a crash')).length, 1);
  });
});

// IMAP IDLE: the poll interval is five minutes here, so mail that shows up in seconds came by the
// watcher's IDLE notification, not by a poll.
describe('IMAP IDLE', () => {
  let dc;
  let srv;
  after(async () => {
    await stopClean(srv);
    await dc?.stop();
  });

  test('mail appended while the mailbox is watched with IDLE is taken in seconds, not at the next poll', async () => {
    dc = await startDovecot();
    srv = await startServer({ env: { RAPPORT_EMAIL_POLL_INTERVAL: '300' } });
    const api = client(srv);
    const mb = (await api.post('/api/v2/channels/email/mailboxes', {
      mailbox: { address: SUPPORT, imap_host: '127.0.0.1', imap_port: dc.port, imap_tls: 'none', imap_user: dc.user,
        imap_password: dc.password },
    }, { expect: 201 })).body.mailbox;
    // Creating the mailbox polls it once (the folder is empty) and starts its watcher; the
    // watcher's own catch-up poll follows its SELECT. Mail appended after that is IDLE's.
    await eventually(() => new RegExp(`event=mail_idling mailbox_id=${mb.id}\\b`).test(srv.output()),
      { timeoutMs: 20_000, message: 'the mailbox watched with IDLE' });
    await eventually(async () => (await api.get(`/api/v2/channels/email/mailboxes/${mb.id}`, { expect: 200 })).body.mailbox.last_poll_at,
      { message: 'the first poll done' });
    for (const subject of ['Seen by IDLE', 'Seen by IDLE again']) {
      const appended = Date.now();
      await dc.append(mail({ subject }).raw);
      // 15 s against a 300 s interval: only the IDLE notification can explain it.
      await eventually(async () => (await ticketsWithSubject(api, subject)).length === 1,
        { timeoutMs: 15_000, message: `"${subject}" taken while idling` });
      assert.ok(Date.now() - appended < 15_000);
    }
    await eventually(async () => [...(await dc.flags()).values()].every((f) => f.includes('\\Seen')), { message: 'both marked \\Seen' });
  });
});

describe('raw mail by HTTP and by pipe', () => {
  let srv;
  let api;
  let agentToken;
  let customer;
  before(async () => {
    srv = await startServer();
    api = client(srv);
    await api.post('/api/v2/channels/email/mailboxes', { mailbox: { address: SUPPORT } }, { expect: 201 });
    const agent = await createUser(api, { name: 'Ivan Agent', email: 'ivan@help.example', role: 'agent' });
    agentToken = tokenAuth(agent.email, await newToken(srv, agent.email));
    customer = await createUser(api, { name: 'Zoe Other', email: 'zoe@customer.example' });
  });
  after(async () => stopClean(srv));

  test('the inbound endpoint stores, deduplicates and refuses with reasons', async () => {
    const m = mail({ subject: 'Posted by a provider' });
    const created = await inbound(api, m.raw, { expect: 201 });
    assert.equal(created.body.email.outcome, 'created');
    assert.ok(created.body.email.ticket_id);
    const again = await inbound(api, m.raw, { expect: 200 });
    assert.equal(again.body.email.outcome, 'duplicate');
    assert.equal(again.body.email.ticket_id, created.body.email.ticket_id);

    await inbound(api, m.raw, { auth: agentToken, expect: 403 });
    const wrongType = await api.post('/api/v2/channels/email/inbound', m.raw, { headers: { 'Content-Type': 'text/plain' }, expect: 415 });
    assert.match(wrongType.body.description, /message\/rfc822/);
    const noFrom = await inbound(api, 'To: support@help.example\r\nSubject: x\r\n\r\nbody\r\n', { expect: 422 });
    assert.equal(noFrom.body.error, 'MessageRejected');
    assert.match(noFrom.body.description, /From/);
    let bomb = 'From: a@customer.example\r\nSubject: bomb\r\n';
    for (let i = 0; i < 500; i += 1) bomb += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    const refused = await inbound(api, bomb, { expect: 422 });
    assert.match(refused.body.description, /MIME parts/);
    const ownLoop = await inbound(api, mail({ from: SUPPORT }).raw, { expect: 201 });
    assert.equal(ownLoop.body.email.outcome, 'dropped');
    assert.equal(ownLoop.body.email.ticket_id, null);
  });

  test('a mailbox\'s inbound token posts mail to that mailbox only, and is good for nothing else', async () => {
    const support = (await api.get('/api/v2/channels/email/mailboxes', { expect: 200 })).body.mailboxes.find((m) => m.address === SUPPORT);
    const sales = (await api.post('/api/v2/channels/email/mailboxes', { mailbox: { address: 'sales@help.example' } }, { expect: 201 })).body.mailbox;
    const tokenUrl = `/api/v2/channels/email/mailboxes/${support.id}/inbound_token`;
    await api.post(tokenUrl, {}, { auth: agentToken, expect: 403 });
    const made = (await api.post(tokenUrl, {}, { expect: 201 })).body.inbound_token;
    assert.equal(made.mailbox_id, support.id);
    assert.match(made.token, new RegExp(`^rin_${support.id}_[A-Za-z0-9_-]{40,}$`));
    const shown = await api.get(`/api/v2/channels/email/mailboxes/${support.id}`, { expect: 200 });
    assert.equal(shown.body.mailbox.inbound_token_set, true);
    assert.ok(!shown.text.includes(made.token.slice(-20)), 'the token is shown once, when made');
    const bearer = `Bearer ${made.token}`;

    // Addressed to sales, posted with support's token: it arrives at support, the token's mailbox.
    const m = mail({ subject: 'Posted with a mailbox token', to: 'sales@help.example' });
    const r = await inbound(api, m.raw, { auth: bearer, expect: 201 });
    assert.equal(r.body.email.outcome, 'created');
    assert.equal((await api.get(`/api/v2/tickets/${r.body.email.ticket_id}.json`, { expect: 200 })).body.ticket.recipient, SUPPORT);
    const other = mail({ subject: 'Not for this token' });
    const wrongBox = await api.post('/api/v2/channels/email/inbound?mailbox=sales%40help.example', other.raw,
      { auth: bearer, headers: { 'Content-Type': 'message/rfc822' }, expect: 403 });
    assert.equal(wrongBox.body.error, 'WrongMailbox');
    // Nothing but posting mail.
    await api.get('/api/v2/tickets.json', { auth: bearer, expect: 401 });
    await api.get(`/api/v2/channels/email/mailboxes/${support.id}`, { auth: bearer, expect: 401 });
    // A wrong secret, the secret with another mailbox's id, no credentials: refused, nothing stored.
    const secret = made.token.split('_').slice(2).join('_');
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    for (const auth of [`Bearer rin_${support.id}_${flipped}`, `Bearer rin_${sales.id}_${secret}`, 'Bearer rin_x', 'none']) {
      const refused = await inbound(api, other.raw, { auth, expect: 401 });
      assert.equal(refused.status, 401, auth);
    }
    await inbound(api, other.raw, { auth: agentToken, expect: 403 });
    assert.equal((await ticketsWithSubject(api, 'Not for this token')).length, 0);

    // A new token replaces the old; a revoked one stops working.
    const again = (await api.post(tokenUrl, {}, { expect: 201 })).body.inbound_token.token;
    assert.notEqual(again, made.token);
    await inbound(api, other.raw, { auth: bearer, expect: 401 });
    await inbound(api, other.raw, { auth: `Bearer ${again}`, expect: 201 });
    await api.delete(tokenUrl, { expect: 204 });
    await api.delete(tokenUrl, { expect: 404 });
    await inbound(api, mail({ subject: 'After revoking' }).raw, { auth: `Bearer ${again}`, expect: 401 });
    assert.equal((await api.get(`/api/v2/channels/email/mailboxes/${support.id}`, { expect: 200 })).body.mailbox.inbound_token_set, false);
    await api.delete(`/api/v2/channels/email/mailboxes/${sales.id}`, { expect: 204 });
  });

  test('attachments round-trip with safe headers, visible as their ticket is', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const raw = 'From: ana@customer.example\r\nTo: support@help.example\r\nSubject: With files\r\nMessage-ID: <files.1@c>\r\n' +
      'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n' +
      `--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="dot.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n${png.toString('base64')}\r\n` +
      '--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename="page.html"\r\n\r\n<script>alert(1)</script>\r\n--b--\r\n';
    const r = await inbound(api, raw, { expect: 201 });
    const ticketId = r.body.email.ticket_id;
    const [c] = await comments(api, ticketId);
    assert.equal(c.body, 'See attached');
    assert.equal(c.attachments.length, 2);
    const [img, html] = c.attachments;
    assert.deepEqual(
      { file_name: img.file_name, content_type: img.content_type, size: img.size, inline: img.inline },
      { file_name: 'dot.png', content_type: 'image/png', size: png.length, inline: false },
    );
    const meta = await api.get(`/api/v2/attachments/${img.id}`, { expect: 200 });
    assert.equal(meta.body.attachment.content_url, img.content_url);

    const get = (url, auth = srv.basicAuth) => fetch(url, { headers: { Authorization: auth } });
    const imgRes = await get(img.content_url);
    assert.equal(imgRes.status, 200);
    assert.equal(imgRes.headers.get('content-type'), 'image/png');
    assert.match(imgRes.headers.get('content-disposition'), /^inline; filename="dot.png"/);
    assert.equal(imgRes.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await imgRes.arrayBuffer()), png);
    const htmlRes = await get(html.content_url);
    assert.equal(htmlRes.headers.get('content-type'), 'application/octet-stream');
    assert.match(htmlRes.headers.get('content-disposition'), /^attachment; filename="page.html"/);
    assert.equal(htmlRes.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await htmlRes.text(), '<script>alert(1)</script>');

    // Another customer sees neither the ticket nor its files; the sender does.
    const zoe = tokenAuth(customer.email, await newToken(srv, customer.email));
    assert.equal((await get(img.content_url, zoe)).status, 404);
    const ana = (await api.get(`/api/v2/tickets/${ticketId}.json`)).body.ticket.requester_id;
    const anaUser = (await api.get(`/api/v2/users/${ana}.json`)).body.user;
    const anaAuth = tokenAuth(anaUser.email, await newToken(srv, anaUser.email));
    assert.equal((await get(img.content_url, anaAuth)).status, 200);

    // The original message: agents only, byte for byte.
    const orig = await get(`${srv.baseUrl}/api/v2/tickets/${ticketId}/comments/${c.id}/original`);
    assert.equal(orig.status, 200);
    assert.equal(orig.headers.get('content-type'), 'message/rfc822');
    assert.match(orig.headers.get('content-disposition'), /^attachment;/);
    assert.equal(await orig.text(), raw);
    assert.equal((await get(`${srv.baseUrl}/api/v2/tickets/${ticketId}/comments/${c.id}/original`, anaAuth)).status, 403);
  });

  test('`rapport mail receive` exits 0, 65 with the reason, or 75 to make the MTA retry', async () => {
    const m = mail({ subject: 'Piped from Postfix' });
    const ok = await srv.run(['mail', 'receive', '--mailbox', SUPPORT], { input: m.raw });
    assert.match(ok.stdout, /^created ticket=\d+ comment=\d+/);
    assert.equal((await ticketsWithSubject(api, 'Piped from Postfix')).length, 1);
    const dup = await srv.run(['mail', 'receive'], { input: m.raw });
    assert.match(dup.stdout, /^duplicate/);
    const bad = await srv.run(['mail', 'receive'], { input: 'Subject: no sender\r\n\r\nx\r\n', check: false });
    assert.equal(bad.code, 65);
    assert.match(bad.stderr, /rejected: .*From/);
    const down = await srv.run(['mail', 'receive', '--db', '/nonexistent-dir/rapport.db'], { input: m.raw, check: false });
    assert.equal(down.code, 75, down.stderr);
    assert.match(down.stderr, /try again later/);
  });
});
