// Routing in the browser, as an admin: add a skill, route a group with a policy, give an agent
// capacity and a skill level, see a waiting ticket in the queue with why it waits, and the own
// capacity view. What the forms save is checked through the API.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/routing_ui.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, eventually } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

describe('routing in the web UI', { timeout: 180_000 }, () => {
  let server;
  let api;
  let browser;
  let group;
  let agent;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer();
    api = client(server);
    group = (await api.post('/api/v2/groups.json', { group: { name: 'Billing team' } }, { expect: 201 })).body.group;
    agent = (
      await api.post('/api/v2/users.json', { user: { name: 'Bea Billing', email: 'bea@example.com', role: 'agent', group_ids: [group.id] } }, { expect: 201 })
    ).body.user;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an admin adds a skill, routes a group, sets an agent and sees why a ticket waits', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto('/#/routing');
      await page.getByTestId('login-email').fill(server.adminEmail);
      await page.getByTestId('login-password').fill(server.adminPassword);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('routing-skill-form').waitFor();
      await expectText(page.getByTestId('routing-my-status'), 'not online');

      await page.getByTestId('routing-skill-name').fill('invoices');
      await page.getByTestId('routing-skill-type').selectOption('product');
      await page.getByTestId('routing-skill-save').click();
      await expectText(page.getByTestId('routing-skills'), 'invoices');
      const skill = (await api.get('/api/v2/routing/skills', { expect: 200 })).body.skills.find((s) => s.name === 'invoices');
      assert.equal(skill.type, 'product');

      await page.getByTestId('routing-policy-group').selectOption(String(group.id));
      await page.getByTestId('routing-policy-method').selectOption('least_busy');
      await page.getByTestId('routing-policy-save').click();
      await expectText(page.getByTestId(`routing-policy-${group.id}`), 'least busy');

      // The agent's current settings are held back here until the fields have been checked: while
      // they load, nothing typed may be overwritten by their late answer, so the fields are locked.
      let release;
      const held = new Promise((resolve) => (release = resolve));
      await page.route(`**/api/v2/routing/agents/${agent.id}/capacity`, async (route) => {
        if (route.request().method() === 'GET') await held;
        await route.continue();
      });
      await page.getByTestId('routing-agent').selectOption(String(agent.id));
      assert.equal(await page.getByTestId('routing-agent-cap-email').isDisabled(), true, 'locked while loading');
      assert.equal(await page.getByTestId('routing-agent-save').isDisabled(), true, 'cannot save while loading');
      release();
      await page.getByTestId('routing-agent-cap-email').fill('8');
      await page.getByTestId('routing-agent-cap-chat').fill('2');
      await page.getByTestId(`routing-agent-skill-${skill.id}`).fill('4');
      await page.getByTestId('routing-agent-save').click();
      await expectText(page.getByTestId('routing-agent-status'), 'Saved.');
      const cap = (await api.get(`/api/v2/routing/agents/${agent.id}/capacity`, { expect: 200 })).body;
      assert.deepEqual(cap.capacity, { email: 8, chat: 2 });
      const skills = (await api.get(`/api/v2/routing/agents/${agent.id}/skills`, { expect: 200 })).body.agent_skills;
      assert.deepEqual(skills.map((s) => [s.skill_id, s.level]), [[skill.id, 4]]);

      // Bea is offline: a ticket in the group waits, and the queue says why.
      const ticket = (await api.post('/api/v2/tickets.json', { ticket: { subject: 'Invoice wrong', comment: { body: 'Help' }, group_id: group.id } }, { expect: 201 }))
        .body.ticket.id;
      await eventually(async () => (await api.get('/api/v2/routing/queue', { expect: 200 })).body.count === 1, { message: 'ticket queued' });
      await page.reload();
      await expectText(page.getByTestId(`routing-queue-${ticket}`).getByTestId('routing-reason'), 'No agent online');
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'routing.png'), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, 'routing.server.log'), server.output());
      throw err;
    } finally {
      await context.close();
    }
  });
});
