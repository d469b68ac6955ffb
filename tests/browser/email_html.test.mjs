// An HTML email in the ticket view, in Debian's Chromium against the real server: a message posted
// to the inbound endpoint shows the sender's formatting (heading, bold, list, table, link) in a
// sandboxed frame; its hostile parts did not run; its remote image (a tracking pixel served by a
// local HTTP server that counts requests) is not fetched until "Show remote images" is clicked;
// its inline cid: image shows; the quoted history is folded behind "Show quoted text".
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WEB_DIST, expectText, signInAsAdmin } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** Polls `fn` until it returns a truthy value or the deadline passes. */
async function until(what, fn, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

describe('an HTML email in the ticket view', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let tracker;
  let pixelRequests = 0;
  let trackerUrl;

  before(async () => {
    assert.ok(existsSync(path.join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html missing: run "npm run build" in web/`);
    tracker = http.createServer((req, res) => {
      if (req.url.startsWith('/pixel.png')) pixelRequests += 1;
      res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' });
      res.end(PNG);
    });
    await new Promise((r) => tracker.listen(0, '127.0.0.1', r));
    trackerUrl = `http://127.0.0.1:${tracker.address().port}/pixel.png?user=ana`;
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => (tracker ? tracker.close(r) : r()));
  });

  function message() {
    const html =
      '<html><head><title>x</title><style>body{position:fixed;top:0;left:0}</style>' +
      '<script>window.top.__pwned = 1; window.top.document.title = "pwned";</script></head><body>' +
      '<h2>Order 4711</h2><p>The <b>blue lamp</b> arrived <strong>broken</strong>.</p>' +
      '<ul><li>Lamp shade cracked</li><li>Cable missing</li></ul>' +
      '<table border="1"><tr><th>Item</th><th>Qty</th></tr><tr><td>Blue lamp</td><td>1</td></tr></table>' +
      '<p><img src="cid:Logo@shop.example" alt="Shop logo" width="40" height="40"></p>' +
      `<p><img src="${trackerUrl}" alt="tracker" width="1" height="1"></p>` +
      '<img src="x" onerror="window.top.__pwned = 2"><svg onload="window.top.__pwned = 3"></svg>' +
      '<p><a href="https://shop.example/orders/4711">Your order</a> <a href="javascript:window.top.__pwned=4">Click</a></p>' +
      '<form action="https://evil.example/"><input name="card" value="1234"></form>' +
      '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">overlay</div>' +
      '<div class="gmail_quote">On Mon, Shop wrote:<blockquote>Your order shipped today.</blockquote></div>' +
      '</body></html>';
    return (
      'From: Ana <ana@customer.example>\r\nTo: support@help.example\r\nSubject: Broken lamp\r\nMessage-ID: <lamp.1@customer.example>\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n' +
      '--rel\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n' +
      '--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe blue lamp arrived broken.\r\n' +
      `--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--alt--\r\n` +
      '--rel\r\nContent-Type: image/png\r\nContent-ID: <Logo@shop.example>\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      `${PNG.toString('base64')}\r\n--rel--\r\n`
    );
  }

  test('the agent sees the formatting, nothing hostile runs, remote images wait for a click', async (t) => {
    const res = await server.request('POST', '/api/v2/channels/email/inbound', {
      body: message(),
      headers: { 'Content-Type': 'message/rfc822' },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.email.ticket_id;

    // The API's html_body is the safe HTML, its inline image pointing at its attachment.
    const comments = await server.request('GET', `/api/v2/tickets/${id}/comments.json`);
    const first = comments.body.comments[0];
    assert.equal(first.metadata.email.html, 'sanitized');
    for (const bad of ['<script', 'onerror', 'onload', 'javascript:', '<form', '<input', 'position', '<svg', '<style'])
      assert.ok(!first.html_body.toLowerCase().includes(bad), `html_body has no ${bad}`);
    const logo = first.attachments.find((a) => a.file_name === 'image' || a.content_type === 'image/png');
    assert.ok(logo, 'the inline image is an attachment');
    assert.ok(first.html_body.includes(`src="${logo.content_url}"`), 'cid: resolved to the attachment URL');

    // The frame's document carries its own policy: no script, sandboxed, remote images only on request.
    const doc = await server.request('GET', `/api/v2/tickets/${id}/comments/${first.id}/html`);
    assert.equal(doc.status, 200);
    const csp = doc.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /sandbox allow-same-origin allow-popups/);
    assert.doesNotMatch(csp, /allow-scripts|http:/);
    assert.ok(!doc.text.includes(`<img src="${trackerUrl}"`), 'the remote image has no src');
    const withRemote = await server.request('GET', `/api/v2/tickets/${id}/comments/${first.id}/html?remote_images=1`);
    assert.match(withRemote.headers.get('content-security-policy'), /img-src 'self' data: https: http:/);
    assert.ok(withRemote.text.includes(`<img src="${trackerUrl.replace(/&/g, '&amp;')}"`));
    assert.equal(pixelRequests, 0, 'the server never fetches the remote image itself');

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await signInAsAdmin(page, server);
      await page.goto(`/#/tickets/${id}`);
      await expectText(page.getByTestId('ticket-subject'), 'Broken lamp');

      const comment = page.getByTestId('comment').first();
      const frame = comment.frameLocator('[data-testid="comment-html"]');
      // The formatting: heading, bold, list, table, link.
      await expectText(frame.locator('h2'), 'Order 4711');
      await expectText(frame.locator('b'), 'blue lamp');
      assert.deepEqual(await frame.locator('ul > li').allTextContents(), ['Lamp shade cracked', 'Cable missing']);
      assert.deepEqual(await frame.locator('table td').allTextContents(), ['Blue lamp', '1']);
      const link = frame.locator('a', { hasText: 'Your order' });
      assert.equal(await link.getAttribute('href'), 'https://shop.example/orders/4711');
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      assert.equal(await frame.locator('a', { hasText: 'Click' }).getAttribute('href'), null);
      assert.equal(await frame.locator('body form, body input, body script, body svg, body style').count(), 0);

      // The inline image shows (loaded from its attachment, with the agent's session).
      await until('the inline image', () =>
        frame.locator('img[alt="Shop logo"]').evaluate((img) => img.complete && img.naturalWidth > 0),
      );

      // Nothing hostile ran: no flag on the page, the title is ours, no overlay covers the page.
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.notEqual(await page.title(), 'pwned');
      const covered = await page.evaluate(() => {
        const el = document.elementFromPoint(640, 20);
        return el?.tagName === 'IFRAME';
      });
      assert.equal(covered, false, 'the email frame does not cover the page');
      const frameBox = await comment.getByTestId('comment-html').boundingBox();
      const commentBox = await comment.boundingBox();
      assert.ok(frameBox.y >= commentBox.y && frameBox.y + frameBox.height <= commentBox.y + commentBox.height + 1,
        'the frame stays inside its comment');

      // The quoted history is folded, and opens on request.
      const quoted = frame.locator('details[data-quoted]');
      await expectText(quoted.locator('summary'), 'Show quoted text');
      assert.equal(await frame.locator('blockquote', { hasText: 'Your order shipped today.' }).isVisible(), false);
      await quoted.locator('summary').click();
      await frame.locator('blockquote', { hasText: 'Your order shipped today.' }).waitFor({ state: 'visible' });

      // The remote image was not fetched; after the click it is.
      await expectText(comment.getByTestId('remote-images-note'), 'remote image is not loaded');
      assert.equal(pixelRequests, 0, 'the tracking pixel was not requested');
      await comment.getByTestId('show-remote-images').click();
      await until('the tracking pixel request', () => pixelRequests > 0);
      await until('the remote image', () =>
        comment
          .frameLocator('[data-testid="comment-html"]')
          .locator('img[alt="tracker"]')
          .evaluate((img) => img.complete && img.naturalWidth > 0),
      );
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.deepEqual(errors, [], 'no script errors');
    } catch (err) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `email-html-${t.name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });
});
