/**
 * Tokens live only in HttpOnly cookies: `document.cookie`, localStorage and
 * sessionStorage never hold one, after signing in nor after a refresh (when
 * new tokens arrive). Nor does anything the page is told: the data island,
 * the JSON bodies, the messages between tabs.
 */
import { expect, test } from '@playwright/test';

import {
  ACCESS_COOKIE,
  bootstrapOf,
  REFRESH_COOKIE,
  cookieValue,
  expectDashboard,
  expectTokensHiddenFromScripts,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
  uniqueEmail,
} from './helpers';

test('no token in document.cookie or Web Storage after sign-in and after a refresh', async ({ page, context }) => {
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  // The account exists; the browser itself starts signed out.
  const email = uniqueEmail('storage');
  await registerViaApi(page, email);
  await context.clearCookies();

  // Record every BroadcastChannel message the app sends to other tabs.
  await page.addInitScript(() => {
    const sent: string[] = [];
    (window as unknown as { __sent: string[] }).__sent = sent;
    const post = BroadcastChannel.prototype.postMessage;
    BroadcastChannel.prototype.postMessage = function (message: unknown) {
      sent.push(String(message));
      return post.call(this, message);
    };
  });

  const bodies: Promise<string>[] = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/api/') || response.request().isNavigationRequest()) {
      // Redirects have no body to read.
      bodies.push(response.text().catch(() => ''));
    }
  });

  await page.goto('/login');
  await signInViaUi(page, email);
  await expectDashboard(page, email);
  await expectTokensHiddenFromScripts(page);
  const firstTokens = [await cookieValue(context, ACCESS_COOKIE), await cookieValue(context, REFRESH_COOKIE)];

  // A full load renders the session into the page: still no token there.
  const reloaded = await page.reload();
  const html = await reloaded!.text();
  await expectDashboard(page, email);
  const { session: rendered } = bootstrapOf(html);
  expect(rendered?.user.email).toBe(email);

  // A refresh brings new tokens.
  const answered = page.waitForResponse(isRefreshResponse(200));
  await pauseClockAtTicks(page, refreshDueTicks(rendered!) + 1_000);
  await answered;
  await expect(page.getByTestId('refresh-count')).toHaveText('1');
  await expectTokensHiddenFromScripts(page);
  const secondTokens = [await cookieValue(context, ACCESS_COOKIE), await cookieValue(context, REFRESH_COOKIE)];
  expect(secondTokens[0]).not.toBe(firstTokens[0]);
  expect(secondTokens[1]).not.toBe(firstTokens[1]);

  // What the page was told (HTML, JSON bodies) and what it told other tabs.
  const sent = await page.evaluate(() => (window as unknown as { __sent: string[] }).__sent);
  expect(sent.some((message) => message.includes('"refreshed"'))).toBe(true);
  const told = [...(await Promise.all(bodies)), ...sent];
  expect(told.some((text) => text.includes(`"email":"${email}"`))).toBe(true);
  for (const text of told) {
    for (const token of [...firstTokens, ...secondTokens]) {
      expect(text).not.toContain(token!);
    }
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }

  expect(pageErrors).toEqual([]);
});
