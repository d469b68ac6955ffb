// The SLA queue and the ticket's SLA targets in the browser: tickets sorted by nearest breach,
// the breached one in red and the next one counting down, and the ticket page listing its
// target. The server runs with the test-only clock (March 2024); the UI counts from the time
// left the server reports, so the browser's own clock does not matter.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/sla_ui.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, eventually } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

describe('SLA queue in the web UI', { timeout: 180_000 }, () => {
  let server;
  let api;
  let browser;
  let late;
  let soon;

  const setClock = (now) => api.put('/api/v2/testing/clock', { clock: { now } }, { expect: 200 });
  const ticket = async (subject, requesterId) =>
    (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject, comment: { body: 'Help', author_id: requesterId }, requester_id: requesterId, tags: ['lane'] } },
        { expect: 201 },
      )
    ).body.ticket.id;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer({ env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(server);
    const customer = (await api.post('/api/v2/users.json', { user: { name: 'Cara Customer', email: 'cara@example.com' } }, { expect: 201 }))
      .body.user;
    await api.post(
      '/api/v2/slas/policies.json',
      {
        sla_policy: {
          title: 'Lanes',
          filter: { all: [{ field: 'current_tags', operator: 'includes', value: 'lane' }], any: [] },
          policy_metrics: [{ priority: 'normal', metric: 'first_reply_time', target: 60, business_hours: false }],
        },
      },
      { expect: 201 },
    );
    await setClock('2024-03-13T10:00:00Z');
    late = await ticket('Refund never arrived', customer.id);
    await setClock('2024-03-13T10:30:00Z');
    soon = await ticket('Password reset loops', customer.id);
    await setClock('2024-03-13T11:15:00Z');
    // The tracker has caught up once both clocks are in the sideload.
    await eventually(async () => {
      const { body } = await api.get(`/api/v2/tickets/show_many.json?ids=${late},${soon}&include=slas`, { expect: 200 });
      return body.tickets.every((t) => t.slas.policy_metrics.length === 1);
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the queue shows the breached ticket first, in red, then the next one counting down', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto('/#/sla');
      await page.getByTestId('login-email').fill(server.adminEmail);
      await page.getByTestId('login-password').fill(server.adminPassword);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('sla-queue').waitFor();

      const rows = page.locator('[data-testid^="sla-row-"]');
      assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))), [
        `sla-row-${late}`,
        `sla-row-${soon}`,
      ]);
      const lateClock = page.getByTestId(`sla-row-${late}`).getByTestId('sla-clock');
      assert.equal(await lateClock.getAttribute('data-level'), 'breached');
      await expectText(lateClock, 'Breached 15m ago');
      const soonClock = page.getByTestId(`sla-row-${soon}`).getByTestId('sla-clock');
      assert.equal(await soonClock.getAttribute('data-level'), 'soon');
      await expectText(soonClock, '15m left');
      await expectText(page.getByTestId(`sla-row-${soon}`), 'First reply');

      // The ticket page lists its target.
      await page.getByTestId(`sla-row-${soon}`).getByRole('link').click();
      await page.waitForURL(`**/#/tickets/${soon}`);
      const target = page.getByTestId('ticket-slas').getByTestId('sla-first_reply_time');
      await expectText(target, 'First reply');
      await expectText(target, '15m left');
      await expectText(target, '60 min calendar time');
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'sla-queue.png'), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, 'sla-queue.server.log'), server.output());
      throw err;
    } finally {
      await context.close();
    }
  });
});
