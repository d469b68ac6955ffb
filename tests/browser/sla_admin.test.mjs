// The SLA settings page as an admin uses it: a business-hours schedule created with the API's
// validation messages shown on a bad time zone, its weekly hours and a holiday; an SLA policy
// created (after a refused blank title) on that schedule and then deleted.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/sla_admin.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

describe('SLA settings in the web UI', { timeout: 180_000 }, () => {
  let server;
  let api;
  let browser;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer();
    api = client(server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('schedules with holidays and SLA policies: create, validate, edit, delete', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', (d) => void d.accept());
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto('/#/settings/sla');
      await page.getByTestId('login-email').fill(server.adminEmail);
      await page.getByTestId('login-password').fill(server.adminPassword);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('schedule-new').click();

      // A wrong zone: the server's message, and nothing saved.
      const editor = page.getByTestId('schedule-editor');
      await editor.getByTestId('schedule-name-input').fill('Berlin office');
      await editor.getByTestId('schedule-zone-input').fill('Mars/Olympus');
      await editor.getByTestId('schedule-save').click();
      await expectText(editor.getByTestId('schedule-feedback'), 'Time zone: is not a known time zone');
      assert.equal((await api.get('/api/v2/business_hours/schedules.json', { expect: 200 })).body.schedules.length, 0);

      // Fixed, and closed on Fridays.
      await editor.getByTestId('schedule-zone-input').fill('Europe/Berlin');
      await editor.getByTestId('day-5-open').uncheck();
      await editor.getByTestId('day-1-start').fill('08:30');
      await editor.getByTestId('schedule-save').click();
      await expectText(page.getByTestId('schedule-row'), 'Berlin office');
      await expectText(page.getByTestId('schedule-row'), 'Europe/Berlin · default');
      const [schedule] = (await api.get('/api/v2/business_hours/schedules.json', { expect: 200 })).body.schedules;
      assert.deepEqual(schedule.intervals, [
        { start_time: 1440 + 510, end_time: 1440 + 1020 },
        { start_time: 2 * 1440 + 540, end_time: 2 * 1440 + 1020 },
        { start_time: 3 * 1440 + 540, end_time: 3 * 1440 + 1020 },
        { start_time: 4 * 1440 + 540, end_time: 4 * 1440 + 1020 },
      ]);

      // Holidays on the saved schedule: a bad one is refused, a good one listed.
      await page.getByTestId('schedule-edit').click();
      await page.getByTestId('holiday-name').fill('Christmas');
      await page.getByTestId('holiday-add').click();
      await expectText(page.getByTestId('holiday-feedback'), 'Start date: must be a date');
      await page.getByTestId('holiday-start').fill('2024-12-25');
      await page.getByTestId('holiday-end').fill('2024-12-26');
      await page.getByTestId('holiday-add').click();
      await expectText(page.getByTestId('holiday-row'), 'Christmas: 2024-12-25 to 2024-12-26');
      const hs = (await api.get(`/api/v2/business_hours/schedules/${schedule.id}/holidays.json`, { expect: 200 })).body.holidays;
      assert.deepEqual(hs.map((x) => [x.name, x.start_date, x.end_date]), [['Christmas', '2024-12-25', '2024-12-26']]);

      // A policy: a blank title is refused with the server's message; then saved on the schedule.
      await page.getByTestId('policy-new').click();
      const pe = page.getByTestId('policy-editor');
      await pe.getByTestId('policy-all-add').click();
      await pe.getByTestId('policy-condition-field').selectOption('priority');
      await pe.getByTestId('policy-condition-value').fill('urgent');
      await pe.getByTestId('policy-metrics-add').click();
      await pe.getByTestId('metric-priority').selectOption('urgent');
      await pe.getByTestId('metric-name').selectOption('first_reply_time');
      await pe.getByTestId('metric-target').fill('30');
      await pe.getByTestId('policy-schedule').selectOption(String(schedule.id));
      await pe.getByTestId('policy-save').click();
      await expectText(pe.getByTestId('policy-feedback'), 'Title: cannot be blank');
      await pe.getByTestId('policy-title-input').fill('Urgent');
      await pe.getByTestId('policy-save').click();
      await expectText(page.getByTestId('policy-row'), 'Urgent');
      await expectText(page.getByTestId('policy-targets'), 'urgent');
      const [policy] = (await api.get('/api/v2/slas/policies.json', { expect: 200 })).body.sla_policies;
      assert.equal(policy.schedule_id, schedule.id);
      assert.deepEqual(policy.filter.all, [{ field: 'priority', operator: 'is', value: 'urgent' }]);
      assert.deepEqual(
        policy.policy_metrics.map((m) => [m.priority, m.metric, m.target, m.business_hours]),
        [['urgent', 'first_reply_time', 30, true]],
      );

      await page.getByTestId('policy-delete').click();
      await page.getByTestId('policy-row').waitFor({ state: 'detached' });
      assert.equal((await api.get('/api/v2/slas/policies.json', { expect: 200 })).body.sla_policies.length, 0);
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'sla-admin.png'), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, 'sla-admin.server.log'), server.output());
      throw err;
    } finally {
      await context.close();
    }
  });
});
