// The feedback pages in Debian's Chromium against the real server: a team lead watches the live
// feed while a customer answers a survey with one star; the card arrives without a reload, the
// lead coaches the agent from the card and the agent sees it on "My feedback"; the lead closes
// the recovery case with an outcome; the leaderboard ranks the agent.
//
//   (cd web && npm run build) && make debug && node --test tests/browser/feedback_ui.test.mjs
//
// Env: RAPPORT_BIN (default build/debug/rapport), CHROMIUM_BIN (default /usr/bin/chromium),
// FEEDBACK_UI_SCREENSHOTS (a directory: keep screenshots of each page there).
// On failure a screenshot and the server's output land in tests/.tmp/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { client, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText } from '../lib/browser.mjs';
import { repoRoot, startServer } from '../lib/server.mjs';

const SHOTS = process.env.FEEDBACK_UI_SCREENSHOTS;
const PASSWORD = 'feedback ui password';
const LAPTOP = { width: 1366, height: 768 };

describe('feedback pages in a browser', { timeout: 120_000 }, () => {
  let srv;
  let api;
  let browser;
  let amy;
  let lea;
  let cara;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh)`);
    srv = await startServer();
    api = client(srv);
    lea = await createUser(api, { name: 'Lea Lead', email: 'lea@example.com', role: 'agent', rapport_role: 'team_lead', password: PASSWORD });
    amy = await createUser(api, {
      name: 'Amy Agent',
      email: 'amy@example.com',
      role: 'agent',
      ticket_restriction: null,
      team_lead_id: lea.id,
      password: PASSWORD,
    });
    cara = await createUser(api, { name: 'Cara Customer', email: 'cara@example.com', role: 'end-user' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await stopClean(srv);
  });

  /** A signed-in page at a laptop's size; page errors and console errors (CSP included) fail the test. */
  async function signedIn(t, user, hash, problems) {
    const context = await browser.newContext({ viewport: LAPTOP, baseURL: srv.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => problems.push(`${user.name} pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // Refused requests are part of the story (the session probe's 401, the 422 below); what
      // they lead to is asserted on the page. Anything else (CSP violations, exceptions) fails.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`${user.name} console: ${msg.text()}`);
    });
    await page.goto(`/${hash}`);
    await page.getByTestId('login-email').fill(user.email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await expectText(page.getByTestId('current-user'), user.name);
    return { context, page };
  }

  async function shot(page, name) {
    if (!SHOTS) return;
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Amy solves a ticket for Cara; Cara answers its survey through the JSON endpoint. */
  async function customerRates(subject, stars, comment) {
    const ticket = (
      await api.post(
        '/api/v2/tickets.json',
        { ticket: { subject, comment: { body: `${subject}. Please help.` }, requester_id: cara.id, assignee_id: amy.id } },
        { expect: 201 },
      )
    ).body.ticket;
    await api
      .as(tokenAuth(amy.email, srv.token))
      .put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved', comment: { body: 'Done.' } } }, { expect: 200 });
    const request = await eventually(
      async () => {
        const reqs = (await api.get(`/api/v2/tickets/${ticket.id}/feedback_requests.json`, { expect: 200 })).body.feedback_requests;
        return reqs.find((r) => r.url);
      },
      { message: `a survey link for ticket ${ticket.id}` },
    );
    const answer = await fetch(request.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ stars, comment }),
    });
    assert.equal(answer.status, 201, `survey answer: ${answer.status} ${await answer.text()}`);
    return ticket;
  }

  test('live feed → coaching → my feedback → recovery → leaderboard', async (t) => {
    const problems = [];
    const contexts = [];
    let current;
    try {
      // The lead opens the live feed and waits until the stream is connected.
      const lead = await signedIn(t, lea, '#/feedback', problems);
      contexts.push(lead.context);
      current = lead.page;
      await lead.page.locator('[data-testid=live-status][data-state=live]').waitFor();
      await lead.page.getByTestId('nav-live-feed').waitFor();
      assert.equal(await lead.page.getByTestId('nav-rewards').count(), 0, 'a team lead has no rewards page');

      // The agent's own page, open before anything happens.
      const agent = await signedIn(t, amy, '#/my-feedback', problems);
      contexts.push(agent.context);
      await agent.page.locator('[data-testid=live-status][data-state=live]').waitFor();
      assert.equal(await agent.page.getByTestId('nav-live-feed').count(), 0, 'an agent has no live feed');

      const comment = 'Nobody answered my <b>second</b> question.';
      const ticket = await customerRates('Refund never arrived', 1, comment);

      // The card arrives without a reload, with the recovery badge; the comment stays text.
      const card = lead.page.locator(`[data-testid=feed-card][data-ticket-id="${ticket.id}"]`);
      await card.waitFor();
      await expectText(card.getByTestId('feed-agent'), 'Amy Agent');
      await expectText(card.getByTestId('feed-comment'), comment);
      assert.equal(await card.locator('b').count(), 0, 'customer text must not become markup');
      assert.equal(await card.getByTestId('stars').getAttribute('data-stars'), '1');
      await expectText(card.getByTestId('feed-ticket-link'), 'Refund never arrived');
      await card.getByTestId('recovery-badge').waitFor();
      // The digest beside the feed counts it (refreshed shortly after the rating arrives).
      await expectText(lead.page.getByTestId('digest-worst'), 'Amy Agent');
      await shot(lead.page, 'live-feed');

      // Coaching from the card; it shows on the card once the stream echoes it.
      await card.getByTestId('react-toggle').click();
      await card.getByTestId('reaction-coaching').check();
      const note = 'Answer every question in the first reply, please.';
      await card.getByTestId('reaction-input').fill(note);
      await card.getByTestId('reaction-submit').click();
      const shown = card.locator('[data-testid=reaction][data-kind=coaching]');
      await expectText(shown.getByTestId('reaction-body'), note);
      assert.equal(await shown.count(), 1, 'the posted reaction is shown once');

      // The agent sees the rating and the coaching live, without a reload ...
      const mine = agent.page.locator(`[data-testid=rating-card][data-ticket-id="${ticket.id}"]`);
      await expectText(mine.getByTestId('rating-comment'), comment);
      await expectText(mine.locator('[data-testid=reaction][data-kind=coaching]'), note);
      // ... and after one.
      await agent.page.reload();
      await expectText(agent.page.locator(`[data-testid=rating-card][data-ticket-id="${ticket.id}"] [data-testid=reaction]`), note);
      await expectText(agent.page.getByTestId('points-earned'), '0');
      await shot(agent.page, 'my-feedback');

      // The lead works the recovery case: closing without an outcome is refused beside the field.
      await lead.page.getByTestId('nav-recovery').click();
      const row = lead.page.locator(`[data-testid=case-row][data-ticket-id="${ticket.id}"]`);
      await row.waitFor();
      await shot(lead.page, 'recovery-queue');
      await row.getByTestId('case-link').click();
      await expectText(lead.page.getByTestId('case-rating-comment'), comment);
      await lead.page.getByTestId('case-assign-me').click();
      await expectText(lead.page.getByTestId('case-assignee'), 'Lea Lead');
      await lead.page.getByTestId('case-close').click();
      await expectText(lead.page.getByTestId('case-outcome-error'), 'Outcome');
      assert.equal(await lead.page.getByTestId('case-outcome-recovered').getAttribute('aria-invalid'), 'true');
      await shot(lead.page, 'recovery-case-422');
      await lead.page.getByTestId('case-note-input').fill('Called Cara, refund re-issued.');
      await lead.page.getByTestId('case-outcome-recovered').check();
      await lead.page.getByTestId('case-close').click();
      await expectText(lead.page.getByTestId('case-status'), 'Closed');
      await expectText(lead.page.getByTestId('case-note'), 'Called Cara, refund re-issued.');
      await expectText(lead.page.getByTestId('case-follow-up'), 'not answered yet');
      await shot(lead.page, 'recovery-case-closed');
      const cases = (await api.get(`/api/v2/recovery_cases.json?status=closed`, { expect: 200 })).body.recovery_cases;
      const closed = cases.find((c) => c.ticket_id === ticket.id);
      assert.equal(closed?.outcome, 'recovered');
      assert.equal(closed?.assignee_id, lea.id);

      // The leaderboard ranks Amy; TV mode hides the navigation.
      await lead.page.getByTestId('nav-leaderboard').click();
      const amyRow = lead.page.locator(`[data-testid=lb-row][data-agent-id="${amy.id}"]`);
      await expectText(amyRow.getByTestId('lb-name'), 'Amy Agent');
      await shot(lead.page, 'leaderboard');
      await lead.page.getByTestId('tv-mode').click();
      await lead.page.getByTestId('tv-exit').waitFor();
      assert.equal(await lead.page.locator('.site-header').isVisible(), false, 'no navigation in TV mode');
      await amyRow.waitFor();
      await shot(lead.page, 'leaderboard-tv');
      await lead.page.getByTestId('tv-exit').click();
      await lead.page.locator('.site-header').waitFor();

      assert.deepEqual(problems, [], 'errors in the pages');
    } catch (err) {
      const slug = t.name.replace(/\W+/g, '-').slice(0, 60);
      await mkdir(ARTIFACTS, { recursive: true });
      if (current) await current.screenshot({ path: path.join(ARTIFACTS, `feedback-ui-${slug}.png`), fullPage: true }).catch(() => {});
      await writeFile(path.join(ARTIFACTS, `feedback-ui-${slug}.server.log`), srv.output());
      if (problems.length) err.message += `\npage problems:\n${problems.join('\n')}`;
      throw err;
    } finally {
      for (const c of contexts) await c.close();
    }
  });
});

