// The email settings page and email in the ticket view, in Debian's Chromium against the real
// server and a real Dovecot: an admin adds a mailbox, "Test connection" shows the server's answer
// (and its refusal for a wrong password), and a posted email shows its stripped text, its
// attachment as a download link and a link to the original.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText, signInAsAdmin } from '../lib/browser.mjs';
import { startDovecot } from '../lib/dovecot.mjs';
import { startServer } from '../lib/server.mjs';

describe('email in the web UI', { timeout: 180_000 }, () => {
  let server;
  let dc;
  let browser;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    dc = await startDovecot();
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await dc?.stop();
  });

  async function signedIn(t, fn) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await signInAsAdmin(page, server);
      await fn(page);
      assert.deepEqual(errors, [], 'no script errors');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `email-${t.name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  }

  test('an admin adds a mailbox and tests its connection', async (t) => {
    await signedIn(t, async (page) => {
      await page.getByTestId('nav-email').click();
      await page.getByTestId('mailbox-empty').waitFor();
      await page.getByTestId('mailbox-add').click();
      await page.getByTestId('mailbox-address-input').fill('support@help.example');
      await page.getByTestId('mailbox-host-input').fill('127.0.0.1');
      await page.getByTestId('mailbox-port-input').fill(String(dc.port));
      await page.getByTestId('mailbox-tls-input').selectOption('none');
      await page.getByTestId('mailbox-user-input').fill(dc.user);
      await page.getByTestId('mailbox-password-input').fill('wrong password');
      await page.getByTestId('mailbox-save').click();
      const row = page.getByTestId('mailbox').filter({ hasText: 'support@help.example' });
      await row.waitFor();
      await row.getByTestId('mailbox-test').click();
      await expectText(row.getByTestId('mailbox-test-error'), 'refused the login');

      // Fix the password: the field is empty (write-only) and says one is saved.
      await row.getByTestId('mailbox-edit').click();
      assert.equal(await page.getByTestId('mailbox-password-input').inputValue(), '');
      await expectText(page.getByTestId('mailbox-form'), 'A password is saved');
      await page.getByTestId('mailbox-password-input').fill(dc.password);
      await page.getByTestId('mailbox-save').click();
      await page.getByTestId('mailbox-form').waitFor({ state: 'detached' });
      await row.getByTestId('mailbox-test').click();
      await expectText(row.getByTestId('mailbox-test-ok'), 'Logged in; INBOX has');
    });
  });

  test('an email shows its new text, its attachment and a link to the original', async (t) => {
    const raw = 'From: Ana <ana@customer.example>\r\nTo: support@help.example\r\nSubject: Broken mug\r\nMessage-ID: <mug.1@c>\r\n' +
      'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mug arrived broken.\r\n\r\n' +
      'On Mon, Jan 1, 2024 at 9:00 AM Shop <shop@x.example> wrote:\r\n> Your order shipped\r\n' +
      '--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="mug.png"\r\n\r\nPNG\r\n--b--\r\n';
    const res = await server.request('POST', '/api/v2/channels/email/inbound', { body: raw, headers: { 'Content-Type': 'message/rfc822' } });
    assert.equal(res.status, 201, res.text);
    const id = res.body.email.ticket_id;
    await signedIn(t, async (page) => {
      await page.goto(`/#/tickets/${id}`);
      await expectText(page.getByTestId('ticket-subject'), 'Broken mug');
      const comment = page.getByTestId('comment').first();
      await expectText(comment.getByTestId('comment-body'), 'The mug arrived broken.');
      assert.ok(!(await comment.getByTestId('comment-body').textContent()).includes('Your order shipped'), 'the quote is cut');
      await expectText(comment.getByTestId('attachment-link'), 'mug.png');
      const original = comment.getByTestId('comment-original');
      const href = await original.getAttribute('href');
      const text = await page.evaluate(async (u) => (await fetch(u)).text(), href);
      assert.ok(text.includes('Your order shipped'), 'the original keeps the quote');
    });
  });
});
