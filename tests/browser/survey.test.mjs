// The customer's survey page in Debian's Chromium, on a phone: the agent's name, the stars, the
// tag list that fits the stars, a comment, submit, thank-you; and the same without JavaScript.
// What the customer entered is checked through the API afterwards.
//
//   make debug && node --test tests/browser/survey.test.mjs
//
// Env: RAPPORT_BIN (default build/debug/rapport), CHROMIUM_BIN (default /usr/bin/chromium).
// On failure a screenshot and the server's output land in tests/.tmp/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, expectText } from '../lib/browser.mjs';
import { repoRoot, startServer } from '../lib/server.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe('survey page in a browser', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let browser;
  let amy;
  let seq = 0;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    srv = await startServer();
    api = client(srv);
    amy = await createUser(api, { name: 'Amy Agent', email: 'amy@example.com', role: 'agent', ticket_restriction: null });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await stopClean(srv);
  });

  /** Solves a ticket for a new customer and returns {ticket, url} of its survey. */
  async function survey(subject) {
    seq += 1;
    const ticket = (
      await api.post(
        '/api/v2/tickets.json',
        {
          ticket: {
            subject,
            comment: { body: `${subject}, please help` },
            assignee_id: amy.id,
            requester: { name: `Cara Customer ${seq}`, email: `cara-${seq}@example.com` },
          },
        },
        { expect: 201 },
      )
    ).body.ticket;
    await api
      .as(tokenAuth(amy.email, srv.token))
      .put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved' } }, { expect: 200 });
    const [request] = await eventually(
      async () => {
        const reqs = (await api.get(`/api/v2/tickets/${ticket.id}/feedback_requests.json`, { expect: 200 })).body.feedback_requests;
        return reqs.length > 0 && reqs;
      },
      { message: `a feedback request for ticket ${ticket.id}` },
    );
    assert.equal(request.status, 'delivered');
    return { ticket, url: request.url };
  }

  async function requestOf(ticketId) {
    return (await api.get(`/api/v2/tickets/${ticketId}/feedback_requests.json`, { expect: 200 })).body.feedback_requests[0];
  }

  async function ratingOf(ticketId) {
    const all = (await api.get('/api/v2/satisfaction_ratings.json?per_page=100', { expect: 200 })).body.satisfaction_ratings;
    const mine = all.filter((r) => r.ticket_id === ticketId);
    assert.equal(mine.length, 1, `one rating for ticket ${ticketId}: ${JSON.stringify(mine)}`);
    return mine[0];
  }

  /** A fresh phone-sized page; console errors (CSP violations included) and page errors fail the test. */
  async function withPage(t, options, fn) {
    const context = await browser.newContext({ ...PHONE, ...options });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    try {
      await fn(page);
      assert.deepEqual(problems, [], 'errors in the page');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `survey-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `survey-${slug}.server.log`), srv.output());
      throw err;
    } finally {
      await context.close();
    }
  }

  async function assertFitsPhone(page) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= PHONE.viewport.width, `no horizontal scrolling (scrollWidth ${scrollWidth})`);
  }

  test('phone: rate 5 stars with a tag and a comment, see the thank-you, the rating is recorded', async (t) => {
    const s = await survey('Parcel stuck in customs');
    await withPage(t, {}, async (page) => {
      await page.goto(s.url);
      await expectText(page.locator('h1'), 'How did Amy do?');
      await expectText(page.locator('.agent'), 'Amy Agent');
      await expectText(page.locator('main'), 'Parcel stuck in customs');
      await assertFitsPhone(page);

      // The page's script tells the server a person opened it.
      await eventually(async () => (await requestOf(s.ticket.id)).status === 'opened', { message: 'request marked opened' });

      const improve = page.locator('#improve');
      const excel = page.locator('#excel');
      await expectVisible(improve, false);
      await expectVisible(excel, false);

      // A low rating first offers the improvement areas ...
      await page.locator('label[for="star2"]').click();
      await expectVisible(improve, true);
      await expectVisible(excel, false);
      // ... changing to 5 stars swaps them for the excellence areas.
      await page.locator('label[for="star5"]').click();
      assert.equal(await page.locator('#star5').isChecked(), true);
      await expectVisible(excel, true);
      await expectVisible(improve, false);

      await excel.getByLabel('Went the extra mile').check();
      await page.locator('input[name="resolved"][value="yes"]').check();
      await page.locator('input[name="nps"][value="10"]').check();
      const comment = 'Amy called customs for me. Brilliant!';
      await page.locator('#comment').fill(comment);
      const submit = page.getByRole('button', { name: 'Send feedback' });
      await submit.scrollIntoViewIfNeeded();
      assert.ok(await submit.isVisible(), 'the submit button is reachable on a phone');
      await assertFitsPhone(page);
      await submit.click();

      await expectText(page.locator('h1'), 'Thank you!');
      // Only the optional thank-you step (a reward, sharing the comment) is offered, not the survey.
      assert.equal(await page.locator('input[name="stars"]').count(), 0);
      assert.equal(await page.locator('form').count(), 1);
      assert.match(await page.locator('form').getAttribute('action'), /^\/s\/[^/]+\/thanks$/);
      // The optional thank-you step after 5 stars: a reward for Amy and sharing the comment.
      await page.getByLabel('Buy them a coffee').check();
      await page.getByLabel(/Share my comment/).check();
      await assertFitsPhone(page);
      await page.getByRole('button', { name: 'Send' }).click();
      await expectText(page.locator('h1'), 'Thanks again!');
      await expectText(page.locator('main'), 'Amy will hear about your thank-you: Buy them a coffee.');

      const r = await ratingOf(s.ticket.id);
      assert.equal(r.reward?.label, 'Buy them a coffee');
      assert.equal(r.public_kudos, true);
      assert.equal(r.stars, 5);
      assert.equal(r.score, 'good');
      assert.equal(r.assignee_id, amy.id);
      assert.deepEqual(r.tags, ['went_the_extra_mile']);
      assert.equal(r.comment, comment);
      assert.equal(r.resolved, true);
      assert.equal(r.nps, 10);
      assert.equal((await requestOf(s.ticket.id)).status, 'answered');

      // Back to the link later: the thank-you, not the form again.
      await page.goto(s.url);
      await expectText(page.locator('main'), 'Thank you!');
      assert.equal(await page.locator('form').count(), 0);
    });
  });

  test('without JavaScript the form still submits', async (t) => {
    const s = await survey('Invoice shows the wrong VAT');
    await withPage(t, { javaScriptEnabled: false }, async (page) => {
      await page.goto(s.url);
      await expectText(page.locator('h1'), 'How did Amy do?');
      // No script: both tag lists are shown and the visit is not counted as opened.
      await expectVisible(page.locator('#improve'), true);
      await expectVisible(page.locator('#excel'), true);
      await assertFitsPhone(page);

      await page.locator('label[for="star2"]').click();
      assert.equal(await page.locator('#star2').isChecked(), true);
      await page.locator('#improve').getByLabel('Clarity').check();
      await page.locator('input[name="resolved"][value="no"]').check();
      await page.locator('#comment').fill('The second answer contradicted the first.');
      await page.getByRole('button', { name: 'Send feedback' }).click();
      await expectText(page.locator('h1'), 'Thank you!');
    });
    const r = await ratingOf(s.ticket.id);
    assert.equal(r.stars, 2);
    assert.equal(r.score, 'bad');
    assert.deepEqual(r.tags, ['clarity']);
    assert.equal(r.resolved, false);
    assert.equal(r.nps, null);
    assert.equal(r.comment, 'The second answer contradicted the first.');
    const req = await requestOf(s.ticket.id);
    assert.equal(req.status, 'answered');
  });
});

/** Waits until the locator is (or is not) visible. */
async function expectVisible(locator, visible, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await locator.isVisible();
    if (last === visible) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected ${locator} to be ${visible ? 'visible' : 'hidden'}, it stayed ${last ? 'visible' : 'hidden'}`);
}
