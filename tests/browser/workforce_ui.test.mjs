// The workforce page in Chromium: the staffing calculator (table, answer, service-level chart), a
// forecast chart with its band and accuracy, the staffing plan heat map, and a bad input's error.
//
//   (cd web && npm run build) && make debug
//   node --test tests/browser/workforce_ui.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { execute, startServer } from '../lib/server.mjs';

const DAY = 86_400;

describe('workforce UI', { timeout: 180_000 }, () => {
  let server;
  let browser;
  const pageErrors = [];
  const isWeekday = (epoch) => {
    const wd = new Date(epoch * 1000).getUTCDay();
    return wd >= 1 && wd <= 5;
  };

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    server = await startServer();
    // Four weeks of email tickets (no API backdates a ticket): weekdays 4 at 09:xx UTC.
    const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
    const rows = [];
    for (let d = 1; d <= 28; ++d) {
      const day = today - d * DAY;
      if (isWeekday(day)) for (let i = 0; i < 4; ++i) rows.push(`(@a, @a, 'email', 'history', ${day + 9 * 3600 + i}, ${day + 9 * 3600 + i}, ${day + 9 * 3600 + i})`);
    }
    const admin = (await execute('sqlite3', ['-cmd', '.timeout 5000', server.db, "SELECT id FROM users WHERE role = 'admin' LIMIT 1"])).stdout.trim();
    await execute('sqlite3', ['-cmd', '.timeout 5000', server.db,
      `INSERT INTO tickets (requester_id, submitter_id, channel, subject, created_at, updated_at, generated_ts) VALUES ${rows.join(',').replaceAll('@a', admin)};`]);
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
      await fn(page);
      assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `workforce-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `workforce-${slug}.server.log`), server.output());
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
    await expectText(page.getByTestId('current-user'), server.adminName);
  }

  test('the calculator answers the textbook case and recalculates', async (t) => {
    await withPage(t, async (page) => {
      await signIn(page);
      await page.getByTestId('nav-workforce').click();
      await page.waitForURL('**/#/workforce');
      // 100 contacts per 30 minutes at 180 s = 10 erlangs: 14 agents for 80/20, 20 with 30 % shrinkage.
      await expectText(page.getByTestId('staffing-summary'), '14 agents needed, 20 to schedule');
      const answer = page.getByTestId('staffing-answer');
      assert.equal(await answer.getAttribute('data-agents'), '14');
      await expectText(answer, '88.8 %');
      const table = page.getByTestId('staffing-table');
      await expectText(table.locator('tr[data-agents="13"]'), '79.6 %');
      const chart = page.getByTestId('sl-chart');
      assert.equal(await chart.locator('circle').count(), await table.locator('tbody tr').count());
      assert.equal(await page.getByTestId('sl-target').count(), 1);

      await page.getByTestId('calc-volume').fill('200');
      await page.getByTestId('calc-submit').click();
      const api = await server.request('GET', '/api/v2/workforce/staffing?volume=200&interval=30m&aht=180s&target=80/20&shrinkage=30%25');
      await expectText(page.getByTestId('staffing-summary'), `${api.body.answer} agents needed, ${api.body.scheduled} to schedule`);

      await page.getByTestId('calc-aht').fill('three minutes');
      await page.getByTestId('calc-submit').click();
      await expectText(page.getByTestId('error'), 'three minutes');
    });
  });

  test('a forecast chart with its band and accuracy, and the plan heat map', async (t) => {
    await withPage(t, async (page) => {
      await signIn(page);
      await page.goto('/#/workforce');
      await page.getByTestId('fc-channel').fill('email');
      await page.getByTestId('fc-interval').selectOption('60m');
      await page.getByTestId('fc-history').fill('4');
      await page.getByTestId('fc-weeks').fill('1');
      await page.getByTestId('fc-holdout').fill('2');
      await page.getByTestId('plan-aht').fill('900');
      await page.getByTestId('plan-shrinkage').fill('0.25');
      await page.getByTestId('fc-submit').click();
      // The history repeats exactly, so the held-out weeks were forecast without error.
      await expectText(page.getByTestId('forecast-accuracy'), 'MAPE 0.0 %');
      const line = await page.getByTestId('forecast-line').getAttribute('points');
      assert.equal(line.trim().split(' ').length, 7 * 24);
      assert.equal((await page.getByTestId('forecast-history').getAttribute('points')).trim().split(' ').length, 28 * 24);
      assert.ok((await page.getByTestId('forecast-band').getAttribute('points')).length > 0);

      const heat = page.getByTestId('plan-heatmap');
      await heat.waitFor();
      assert.equal(await heat.locator('tbody tr').count(), 7);
      // A weekday's 09:00 cell shows what the calculator schedules for 4 contacts in an hour.
      const calc = await server.request('GET', '/api/v2/workforce/staffing?volume=4&interval=60m&aht=900s&target=80/20&shrinkage=25%25');
      const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
      const d = [...Array(7).keys()].find((i) => isWeekday(today + i * DAY));
      const cell = heat.locator('tbody tr').nth(d).locator('td').nth(9);
      await expectText(cell, String(calc.body.scheduled));
      await expectText(page.getByTestId('plan-summary'), 'FTE');

      // Too little history for the held-out weeks: the server's message is shown.
      await page.getByTestId('fc-history').fill('2');
      await page.getByTestId('fc-submit').click();
      await expectText(page.getByTestId('error'), 'at least 14 days of history before the 2 held-out weeks');
    });
  });
  test('a schedule import shows every bad line, then imports; the people report shows absenteeism', async (t) => {
    const created = await server.request('POST', '/api/v2/users.json', { body: { user: { name: 'Pia People', email: 'pia@example.com', role: 'agent' } } });
    assert.equal(created.status, 201, created.text);
    const pia = created.body.user.id;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const after = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const header = 'email,starts_at,ends_at,activity';
    const good = `pia@example.com,${tomorrow}T09:00:00Z,${tomorrow}T13:00:00Z,work`;
    await withPage(t, async (page) => {
      await signIn(page);
      await page.goto('/#/workforce');
      const upload = async (text) => {
        await page.getByTestId('schedule-file').setInputFiles({ name: 'schedule.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
        await page.getByTestId('schedule-submit').click();
      };
      await upload([header, good, `nobody@example.com,${tomorrow}T09:00:00Z,${tomorrow}T13:00:00Z,work`, `pia@example.com,${tomorrow}T14:00:00Z,${tomorrow}T13:00:00Z,work`].join('\n'));
      const error = page.getByTestId('schedule-result').getByTestId('error');
      await expectText(error, 'Nothing was imported');
      await expectText(error.locator('li').nth(0), "line 3: no active agent has the email 'nobody@example.com'");
      await expectText(error.locator('li').nth(1), 'line 4: ends_at must be after starts_at');
      const none = await server.request('GET', `/api/v2/workforce/shifts?from=${tomorrow}&to=${after}`);
      assert.deepEqual(none.body.shifts, []);

      await upload(`${header}\n${good}\n`);
      await expectText(page.getByTestId('schedule-imported'), 'Imported 1 shifts.');

      // Sick for the last hour: 1 of 4 paid hours.
      const absence = await server.request('POST', '/api/v2/workforce/absences', {
        body: { absence: { user_id: pia, starts_at: `${tomorrow}T12:00:00Z`, ends_at: `${tomorrow}T13:00:00Z`, planned: false } },
      });
      assert.equal(absence.status, 201, absence.text);
      await page.getByTestId('people-from').fill(tomorrow);
      await page.getByTestId('people-to').fill(after);
      await page.getByTestId('people-submit').click();
      const row = page.locator('[data-testid="people-row"][data-name="Pia People"]');
      await expectText(row, '25.0 %');
      await expectText(row.getByTestId('people-adherence'), '0.0 %');
    });
  });
});

