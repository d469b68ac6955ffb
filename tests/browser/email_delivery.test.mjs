// The delivery status of outgoing email in the ticket view, in Debian's Chromium: an agent's reply
// on an email ticket shows "Email queued", then "Email sent" once the real SMTP server (the aiosmtpd
// sink) took it; a reply the server refuses shows "Email failed" with the server's answer.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/email_delivery.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText, signInAsAdmin } from '../lib/browser.mjs';
import { startSmtpSink } from '../lib/smtp_sink.mjs';
import { startServer } from '../lib/server.mjs';

const REFUSED = 'nobody@example.test';

describe('email delivery status in the ticket view', { timeout: 180_000 }, () => {
  let sink;
  let server;
  let browser;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    sink = await startSmtpSink();
    await sink.control({ rcpt: { [REFUSED]: '550 5.1.1 No such user here' } });
    server = await startServer({ env: sink.env({ RAPPORT_MAIL_FROM_ADDRESS: 'support@acme.test' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
  });

  async function emailTicket(requester, subject) {
    const res = await server.request('POST', '/api/v2/tickets.json', {
      body: { ticket: { subject, recipient: 'support@acme.test', requester, comment: { body: `${subject}, please help.` } } },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.ticket.id;
  }

  async function withPage(t, fn) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await signInAsAdmin(page, server);
      await fn(page);
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `email-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `email-${slug}.server.log`), server.output());
      throw err;
    } finally {
      await context.close();
    }
  }

  test('a reply shows queued, then sent', async (t) => {
    const id = await emailTicket({ name: 'Cara Customer', email: 'cara@example.test' }, 'Kettle leaks');
    await withPage(t, async (page) => {
      await page.goto(`/#/tickets/${id}`);
      await page.getByTestId('composer-public').check();
      await page.getByTestId('composer-body').fill('A new kettle is on its way.');
      await page.getByTestId('composer-submit').click();
      const reply = page.getByTestId('comment').filter({ hasText: 'A new kettle is on its way.' });
      await reply.waitFor();
      // The badge follows the outbox without a reload: queued first (or already sent), then sent.
      const badge = reply.getByTestId('delivery-status');
      await expectText(badge, 'Email');
      await expectText(badge, 'Email sent', 20_000);
      assert.match(await badge.getAttribute('title'), /To cara@example\.test[\s\S]*Server: 250 OK queued as/);
    });
    const mail = await sink.waitFor((m) => m.subject === `Re: Kettle leaks [#${id}]`);
    assert.equal(mail.text.trim(), 'A new kettle is on its way.');
  });

  test('a refused reply shows failed, with the server\'s answer', async (t) => {
    const id = await emailTicket({ name: 'No Body', email: REFUSED }, 'Unknown user');
    const put = await server.request('PUT', `/api/v2/tickets/${id}.json`, { body: { ticket: { comment: { body: 'Hello?' } } } });
    assert.equal(put.status, 200, put.text);
    await withPage(t, async (page) => {
      await page.goto(`/#/tickets/${id}`);
      const reply = page.getByTestId('comment').filter({ hasText: 'Hello?' });
      await expectText(reply.getByTestId('delivery-status'), 'Email failed', 20_000);
      await expectText(reply.getByTestId('delivery-detail'), '550 5.1.1 No such user here');
      const first = page.getByTestId('comment').first();
      assert.equal(await first.getByTestId('delivery').count(), 0, 'the customer\'s message was not mailed');
    });
  });
});
