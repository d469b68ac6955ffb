// Browser smoke test: the real server and the built web UI, driven in Debian's Chromium.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/smoke.test.mjs
//
// Env: RAPPORT_BIN (default build/debug/rapport), CHROMIUM_BIN (default /usr/bin/chromium).
// On failure a screenshot and the server's output land in tests/.tmp/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { repoRoot, startServer } from '../lib/server.mjs';


describe('web UI smoke', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let ticketId;
  const pageErrors = [];

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer();
    const created = await server.request('POST', '/api/v2/tickets.json', {
      body: {
        ticket: {
          subject: 'Printer on fire',
          comment: { body: 'It is smoking' },
          requester: { name: 'Cara Customer', email: 'cara@example.com' },
        },
      },
    });
    assert.equal(created.status, 201, `create ticket: ${created.status} ${created.text}`);
    ticketId = created.body.ticket.id;
    assert.ok(Number.isInteger(ticketId), `ticket id in ${created.text}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    const result = await server?.stop();
    if (server && result && result.code !== 0 && result.signal !== 'SIGTERM') {
      await saveArtifact('server-smoke.log', server.output());
    }
  });

  async function saveArtifact(name, data) {
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, name), data);
  }

  /** A fresh page at the given viewport; on failure, a screenshot and the server log are kept. */
  async function withPage(t, viewport, fn) {
    const context = await browser.newContext({ viewport, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${t.name}: ${err.message}`));
    try {
      await fn(page);
      assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `smoke-${slug}.png`), fullPage: true }).catch(() => {});
      await saveArtifact(`smoke-${slug}.server.log`, server.output());
      throw err;
    } finally {
      await context.close();
    }
  }

  async function signIn(page, password = server.adminPassword) {
    await page.getByTestId('login-email').fill(server.adminEmail);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
  }

  test('sign in, open the ticket, reply and add an internal note', async (t) => {
    await withPage(t, { width: 1280, height: 800 }, async (page) => {
      await page.goto('/');
      await page.getByTestId('login-email').waitFor();

      // A wrong password is refused with a readable message.
      await signIn(page, 'not the password');
      await expectText(page.getByTestId('login-error'), 'Wrong email or password');

      await signIn(page);
      await expectText(page.getByTestId('current-user'), 'Ada Admin');

      // The list shows the ticket with its requester's name resolved.
      const row = page.getByTestId('ticket-row').filter({ hasText: 'Printer on fire' });
      await row.waitFor();
      await expectText(row, 'Cara Customer');
      await expectText(row, `#${ticketId}`);

      await row.getByTestId('ticket-link').click();
      await page.waitForURL(`**/#/tickets/${ticketId}`);
      await expectText(page.getByTestId('ticket-subject'), 'Printer on fire');
      const comments = page.getByTestId('comment');
      await expectText(comments.first(), 'It is smoking');
      const initialCount = await comments.count();

      // A public reply, with a status change.
      await page.getByTestId('composer-public').check();
      await page.getByTestId('composer-body').fill('A technician is on the way.\nPlease step away from the printer.');
      await page.getByTestId('composer-status').selectOption('pending');
      await page.getByTestId('composer-submit').click();
      const reply = comments.filter({ hasText: 'A technician is on the way.' });
      await reply.waitFor();
      assert.equal(await reply.getAttribute('data-public'), 'true');
      assert.equal(await reply.getByTestId('comment-internal-label').count(), 0, 'a public reply is not marked internal');
      assert.equal(await comments.count(), initialCount + 1);
      await expectText(page.getByTestId('ticket-status'), 'Pending');
      assert.equal(await page.getByTestId('composer-body').inputValue(), '', 'the composer is cleared');

      // An internal note is marked as such, and user text is never rendered as HTML.
      const noteText = 'Customer sounds stressed <b>call back</b>';
      await page.getByTestId('composer-internal').check();
      await page.getByTestId('composer-body').fill(noteText);
      await page.getByTestId('composer-submit').click();
      const note = comments.filter({ hasText: 'Customer sounds stressed' });
      await note.waitFor();
      assert.equal(await note.getAttribute('data-public'), 'false');
      await expectText(note.getByTestId('comment-internal-label'), 'Internal note');
      await expectText(note.getByTestId('comment-body'), noteText);
      assert.equal(await note.locator('b').count(), 0, 'comment text must not become markup');
      assert.equal(await comments.count(), initialCount + 2);

      // Both survive a reload (the session cookie keeps us signed in).
      await page.reload();
      await comments.filter({ hasText: 'Customer sounds stressed' }).waitFor();
      await expectText(page.getByTestId('current-user'), 'Ada Admin');

      // Log out returns to the sign-in form, and a reload stays signed out.
      await page.getByTestId('logout').click();
      await page.getByTestId('login-email').waitFor();
      await page.reload();
      await page.getByTestId('login-email').waitFor();
    });
  });

  test('phone width: the list and the ticket are usable', async (t) => {
    await withPage(t, { width: 390, height: 844 }, async (page) => {
      await page.goto(`/#/tickets/${ticketId}`);
      await signIn(page);
      // Signing in keeps the requested route.
      await expectText(page.getByTestId('ticket-subject'), 'Printer on fire');
      const submit = page.getByTestId('composer-submit');
      await submit.scrollIntoViewIfNeeded();
      assert.ok(await submit.isVisible(), 'composer submit is visible on a phone');
      await page.getByTestId('back-to-tickets').click();
      const row = page.getByTestId('ticket-row').filter({ hasText: 'Printer on fire' });
      await row.waitFor();
      const box = await row.boundingBox();
      assert.ok(box && box.width <= 390, `row fits the screen (width ${box?.width})`);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= 390, `no horizontal scrolling (scrollWidth ${scrollWidth})`);
    });
  });
});

