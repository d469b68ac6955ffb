// What the browser tests share: how Debian's Chromium is launched, where the built UI and the
// screenshots live, and waiting for text with a deadline instead of a sleep.
import assert from 'node:assert/strict';
import path from 'node:path';

import { repoRoot } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const WEB_DIST = path.join(repoRoot, 'web', 'dist');
export const ARTIFACTS = path.join(repoRoot, 'tests', '.tmp');

/** Waits until the locator's first match contains `expected`. */
export async function expectText(locator, expected, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = (await locator.first().textContent({ timeout: Math.max(100, deadline - Date.now()) })) ?? '';
      if (last.includes(expected)) return;
    } catch {
      // not attached yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected text ${JSON.stringify(expected)}, last seen ${JSON.stringify(last)}`);
}

/** Opens the app on `page` and signs in as the test server's admin, waiting until the header names them. */
export async function signInAsAdmin(page, server) {
  await page.goto('/');
  await page.getByTestId('login-email').fill(server.adminEmail);
  await page.getByTestId('login-password').fill(server.adminPassword);
  await page.getByTestId('login-submit').click();
  await expectText(page.getByTestId('current-user'), server.adminName);
}
