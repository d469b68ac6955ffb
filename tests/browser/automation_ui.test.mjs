// Business rules in the browser: an admin builds a trigger from selects, reorders triggers, and an
// agent applies a macro from the ticket view, reviews what it filled in, and submits.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/automation_ui.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, stopClean } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

describe('business rules UI', { timeout: 180_000 }, () => {
  let server;
  let api;
  let browser;
  const pageErrors = [];

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    server = await startServer();
    api = client(server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await stopClean(server);
  });

  async function withPage(t, fn) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${t.name}: ${err.message}`));
    try {
      await page.goto('/');
      await page.getByTestId('login-email').fill(server.adminEmail);
      await page.getByTestId('login-password').fill(server.adminPassword);
      await page.getByTestId('login-submit').click();
      await expectText(page.getByTestId('current-user'), server.adminName);
      await fn(page);
      assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      const slug = t.name.replace(/\W+/g, '-');
      await page.screenshot({ path: path.join(ARTIFACTS, `rules-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `rules-${slug}.server.log`), server.output());
      throw err;
    } finally {
      await context.close();
    }
  }

  const triggers = async () => (await api.get('/api/v2/triggers.json', { expect: 200 })).body.triggers;

  test('an admin builds a trigger with selects, and it acts on the next ticket', async (t) => {
    await withPage(t, async (page) => {
      await page.getByTestId('nav-rules').click();
      await page.waitForURL('**/#/admin/triggers');
      await page.getByTestId('rule-new').click();
      const editor = page.getByTestId('rule-editor');
      await editor.getByTestId('rule-title-input').fill('Refunds are high priority');
      await editor.getByTestId('conditions-all-add').click();
      const cond = editor.getByTestId('condition-row').first();
      await cond.getByTestId('condition-field').selectOption('comment_includes_word');
      await cond.getByTestId('condition-operator').selectOption('includes');
      await cond.getByTestId('condition-value').fill('refund');
      await editor.getByTestId('actions-add').click();
      const action = editor.getByTestId('action-row').first();
      await action.getByTestId('action-field').selectOption('priority');
      await action.getByTestId('action-value').selectOption('high');
      await editor.getByTestId('rule-save').click();
      await expectText(page.getByTestId('rule-list'), 'Refunds are high priority');

      const [saved] = await triggers();
      assert.deepEqual(saved.conditions.all, [{ field: 'comment_includes_word', operator: 'includes', value: 'refund' }]);
      assert.deepEqual(saved.actions, [{ field: 'priority', value: 'high' }]);
      const ticket = (
        await api.post('/api/v2/tickets.json', { ticket: { subject: 'Money', comment: { body: 'I want a refund' } } }, { expect: 201 })
      ).body.ticket;
      assert.equal(ticket.priority, 'high');

      // A mistake is shown, not saved: an action without a value.
      await page.getByTestId('rule-new').click();
      await page.getByTestId('rule-editor').getByTestId('rule-title-input').fill('Broken');
      await page.getByTestId('rule-editor').getByTestId('rule-save').click();
      await expectText(page.getByTestId('rule-editor-feedback'), 'a trigger needs at least one condition');
      assert.equal((await triggers()).length, 1);
    });
  });

  test('moving a trigger down saves the new order', async (t) => {
    await api.post(
      '/api/v2/triggers.json',
      { trigger: { title: 'Second rule', conditions: { all: [{ field: 'status', operator: 'is', value: 'new' }] }, actions: [{ field: 'type', value: 'question' }] } },
      { expect: 201 },
    );
    const before = (await triggers()).map((x) => x.title);
    assert.deepEqual(before, ['Refunds are high priority', 'Second rule']);
    await withPage(t, async (page) => {
      await page.goto('/#/admin/triggers');
      const first = page.getByTestId('rule-row').filter({ hasText: 'Refunds are high priority' });
      await first.getByTestId('rule-down').click();
      await expectText(page.getByTestId('rule-row').first(), 'Second rule');
    });
    assert.deepEqual((await triggers()).map((x) => x.title), ['Second rule', 'Refunds are high priority']);
  });

  test('a macro applied from the ticket view fills the composer; nothing is saved until submit', async (t) => {
    await api.post(
      '/api/v2/macros.json',
      {
        macro: {
          title: 'Ask for the order number',
          actions: [
            { field: 'status', value: 'pending' },
            { field: 'current_tags', value: 'needs_order' },
            { field: 'comment_value', value: 'Hi {{ticket.requester.first_name}}, what is your order number? — {{current_user.first_name}}' },
          ],
        },
      },
      { expect: 201 },
    );
    const ticket = (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject: 'Where is my parcel', comment: { body: 'It did not arrive' }, requester: { name: 'Cara Customer', email: 'cara@example.com' } } },
        { expect: 201 },
      )
    ).body.ticket;
    await withPage(t, async (page) => {
      await page.goto(`/#/tickets/${ticket.id}`);
      await expectText(page.getByTestId('ticket-subject'), 'Where is my parcel');
      await page.getByTestId('macro-select').selectOption({ label: 'Ask for the order number' });
      await expectText(page.getByTestId('macro-note'), 'tags → needs_order');
      assert.equal(await page.getByTestId('composer-body').inputValue(), 'Hi Cara, what is your order number? — Ada');
      assert.equal(await page.getByTestId('composer-status').inputValue(), 'pending');
      // Nothing is saved before Submit.
      assert.equal((await api.get(`/api/v2/tickets/${ticket.id}.json`, { expect: 200 })).body.ticket.status, 'new');
      await page.getByTestId('composer-submit').click();
      await page.getByTestId('comment').filter({ hasText: 'what is your order number?' }).waitFor();
      await expectText(page.getByTestId('ticket-status'), 'Pending');
      await expectText(page.getByTestId('ticket-tags'), 'needs_order');
    });
    const saved = (await api.get(`/api/v2/tickets/${ticket.id}.json`, { expect: 200 })).body.ticket;
    assert.equal(saved.status, 'pending');
    assert.deepEqual(saved.tags, ['needs_order']);
  });
});
