// Collision detection in the browser, with two agents in two browser contexts on one ticket: each
// page shows the other live ("Ben Agent is viewing", then "... is replying" while Ben types), and
// Ana, who opened the ticket before Ben replied, is warned before her reply goes out and can send
// it anyway.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/collision.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, createTicket, createUser } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

const PASSWORD = 'collision test pw';

describe('collision detection in the web UI', { timeout: 180_000 }, () => {
  let server;
  let api;
  let browser;
  let ticket;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer();
    api = client(server);
    for (const [name, email] of [
      ['Ana Agent', 'ana@example.com'],
      ['Ben Agent', 'ben@example.com'],
    ])
      await createUser(api, { name, email, role: 'agent', ticket_restriction: null, password: PASSWORD });
    const cy = await createUser(api, { name: 'Cy Customer', email: 'cy@example.com' });
    ticket = await createTicket(api, { subject: 'Charged twice', requester_id: cy.id, comment: { body: 'Please refund one', author_id: cy.id } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const open = async (email) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`/#/tickets/${ticket.id}`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('composer').waitFor();
    return { context, page, errors };
  };

  test('two agents see each other live, and a stale reply is caught before it is sent', async () => {
    const ana = await open('ana@example.com');
    const ben = await open('ben@example.com');
    try {
      await expectText(ana.page.getByTestId('presence'), 'Ben Agent is viewing');
      await expectText(ben.page.getByTestId('presence'), 'Ana Agent is viewing');

      // Ben starts typing: Ana sees him replying, live.
      await ben.page.getByTestId('composer-body').fill('Refunded the second charge.');
      await expectText(ana.page.getByTestId('presence'), 'Ben Agent is replying');

      // Ben sends; Ana, who had the ticket open all along, writes her own reply.
      await ben.page.getByTestId('composer-submit').click();
      await expectText(ben.page.getByTestId('composer-feedback'), 'Reply sent.');
      await expectText(ana.page.getByTestId('presence'), 'Ben Agent is viewing');
      await ana.page.getByTestId('composer-body').fill('I will refund you now.');
      await ana.page.getByTestId('composer-submit').click();
      const warning = ana.page.getByTestId('collision-warning');
      await expectText(warning, 'Ben Agent replied after you opened this ticket.');
      const { body } = await api.get(`/api/v2/tickets/${ticket.id}/comments.json`, { expect: 200 });
      assert.equal(body.comments.length, 2, 'nothing of Ana was sent yet');

      await ana.page.getByTestId('collision-submit').click();
      await expectText(ana.page.getByTestId('composer-feedback'), 'Reply sent.');
      const after = (await api.get(`/api/v2/tickets/${ticket.id}/comments.json`, { expect: 200 })).body.comments;
      assert.deepEqual(after.map((c) => c.body).slice(1), ['Refunded the second charge.', 'I will refund you now.']);

      // Ben leaves the ticket: Ana's page says nobody else is there.
      await ben.page.goto('/#/tickets');
      await ana.page.getByTestId('presence').waitFor({ state: 'detached' });
      assert.deepEqual([...ana.errors, ...ben.errors], [], 'uncaught errors in the pages');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await ana.page.screenshot({ path: path.join(ARTIFACTS, 'collision-ana.png'), fullPage: true }).catch(() => {});
      await ben.page.screenshot({ path: path.join(ARTIFACTS, 'collision-ben.png'), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, 'collision.server.log'), server.output());
      throw err;
    } finally {
      await ana.context.close();
      await ben.context.close();
    }
  });
});
