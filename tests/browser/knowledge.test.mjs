// Self-service in Debian's Chromium: an editor writes an article in Markdown with the live preview
// and publishes it; a visitor finds it in the public help center, and the contact form suggests it
// before submitting ("Yes, this solved it" sends nothing; "No, submit" creates the ticket); an
// agent sees it suggested on a ticket and inserts its link into the reply; a manager opens an
// incident from the incidents page.
//
//   (cd web && npm run build) && make debug && node --test tests/browser/knowledge.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

describe('knowledge base in the browser', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let ticketId;
  let articleId;
  const pageErrors = [];

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing`);
    server = await startServer();
    const api = (method, p, body) => server.request(method, p, { body });
    const cat = await api('POST', '/api/v2/help_center/categories.json', { category: { name: 'Orders' } });
    assert.equal(cat.status, 201, cat.text);
    const sec = await api('POST', `/api/v2/help_center/categories/${cat.body.category.id}/sections.json`, { section: { name: 'Returns' } });
    assert.equal(sec.status, 201, sec.text);
    const t = await api('POST', '/api/v2/tickets.json', {
      ticket: { subject: 'How do I return a parcel?', comment: { body: 'The parcel is too big.' }, requester: { name: 'Pat', email: 'pat@example.com' } },
    });
    assert.equal(t.status, 201, t.text);
    ticketId = t.body.ticket.id;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function withPage(t, fn) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${t.name}: ${err.message}`));
    try {
      await fn(page, context);
      assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `knowledge-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `knowledge-${slug}.server.log`), server.output());
      throw err;
    } finally {
      await context.close();
    }
  }

  async function signIn(page) {
    await page.goto('/');
    await page.getByTestId('login-email').fill(server.adminEmail);
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await expectText(page.getByTestId('current-user'), 'Ada Admin');
  }

  test('an editor writes an article with a live preview, then publishes it', async (t) => {
    await withPage(t, async (page) => {
      await signIn(page);
      await page.getByTestId('nav-kb').click();
      await page.getByTestId('kb-new-article').first().click();
      await page.getByTestId('kb-title').fill('Return a parcel');
      await page.getByTestId('kb-body').fill('Print the **return label** and drop the parcel at any post office.\n\n<script>alert(1)</script>');
      // The preview is the server's rendering: bold, and the raw HTML left out.
      await page.getByTestId('kb-preview').locator('strong').filter({ hasText: 'return label' }).waitFor();
      assert.equal(await page.getByTestId('kb-preview').locator('script').count(), 0);
      await page.getByTestId('kb-save-draft').click();
      await expectText(page.getByTestId('kb-state'), 'Draft');
      await page.waitForFunction(() => /^#\/kb\/articles\/\d+$/.test(window.location.hash));
      articleId = Number(/articles\/(\d+)/.exec(page.url())[1]);
      // Drafts are not public.
      assert.equal((await server.request('GET', `/hc/articles/${articleId}`, { auth: 'none' })).status, 404);
      await page.getByTestId('kb-publish').click();
      await expectText(page.getByTestId('kb-state'), 'Published');
      await page.getByTestId('kb-feedback').getByText('Published.').waitFor();
    });
  });

  test('a visitor finds it in the help center and the contact form suggests it first', async (t) => {
    await withPage(t, async (page) => {
      await page.goto('/hc');
      await page.getByRole('link', { name: 'Return a parcel' }).click();
      await expectText(page.getByTestId('hc-article-title'), 'Return a parcel');
      assert.equal(await page.getByTestId('hc-article-body').locator('strong').count(), 1);

      await page.goto('/hc/search?query=parcel');
      await expectText(page.getByTestId('hc-result-count'), '1 result');

      // "Yes, this solved it": nothing is sent.
      await page.goto('/hc/requests/new');
      await page.getByLabel('Your name').fill('Quinn');
      await page.getByLabel('Your email').fill('quinn@example.com');
      await page.getByLabel('Subject').fill('Returning a parcel');
      await page.getByLabel('How can we help?').fill('How do I return my parcel?');
      await page.getByRole('button', { name: 'Continue' }).click();
      const suggestion = page.getByTestId('hc-suggestion').filter({ hasText: 'Return a parcel' });
      await suggestion.waitFor();
      await suggestion.getByTestId('hc-solved').click();
      await expectText(page.getByTestId('hc-deflected'), 'No request was sent');

      // "No, submit my request": the ticket is created.
      await page.goto('/hc/requests/new');
      await page.getByLabel('Your name').fill('Rae');
      await page.getByLabel('Your email').fill('rae@example.com');
      await page.getByLabel('Subject').fill('Parcel return label missing');
      await page.getByLabel('How can we help?').fill('The parcel label did not print.');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByTestId('hc-submit-anyway').click();
      await expectText(page.getByTestId('hc-request-received'), 'was received');
      const id = Number(/#(\d+)/.exec(await page.getByTestId('hc-request-received').textContent())[1]);
      const created = await server.request('GET', `/api/v2/tickets/${id}.json`);
      assert.equal(created.body.ticket.via.channel, 'web');

      const report = await server.request('GET', '/api/v2/help_center/deflection_report.json');
      assert.deepEqual(report.body.deflection_report.web_form.deflection_rate, { numerator: 1, denominator: 2, value: 0.5 });
    });
  });

  test('an agent inserts a suggested article into the reply', async (t) => {
    await withPage(t, async (page) => {
      await signIn(page);
      await page.goto(`/#/tickets/${ticketId}`);
      const suggestion = page.getByTestId('suggestion').filter({ hasText: 'Return a parcel' });
      await suggestion.waitFor();
      await suggestion.getByTestId('suggestion-insert').click();
      const body = await page.getByTestId('composer-body').inputValue();
      assert.match(body, new RegExp(`Return a parcel: http://[^ ]+/hc/articles/${articleId}`));
    });
  });

  test('a manager opens an incident from the incidents page', async (t) => {
    await withPage(t, async (page) => {
      await signIn(page);
      await page.getByTestId('nav-incidents').click();
      await page.getByTestId('incident-title').fill('Checkout down');
      await page.getByTestId('incident-service').fill('Checkout');
      await page.getByTestId('incident-keywords').fill('checkout, payment');
      await page.getByTestId('incident-message').fill('Checkout is down; we are on it.');
      await page.getByTestId('incident-form').getByRole('button', { name: 'Open incident' }).click();
      const row = page.getByTestId('incident').filter({ hasText: 'Checkout down' });
      await row.waitFor();
      await expectText(row.getByTestId('incident-counts'), '0 contacts answered automatically');
      // A customer's matching contact is answered by it.
      const res = await server.request('POST', '/api/v2/requests.json', {
        auth: 'none',
        body: { request: { subject: 'Payment failed', comment: { body: 'My checkout fails' }, requester: { name: 'Sol', email: 'sol@example.com' } } },
      });
      assert.equal(res.body.request.status, 'pending');
      await page.reload();
      await expectText(page.getByTestId('incident').filter({ hasText: 'Checkout down' }).getByTestId('incident-counts'), '1 contact answered');
      await page.getByTestId('incident-resolve').click();
      await page.getByTestId('incidents-resolved').getByText('Checkout down').waitFor();
    });
  });
});
