/**
 * The refresh scheduler against Playwright's clock, on the default access
 * life (900 s, lead 300 s): nothing before expiry − 5 min, exactly one
 * refresh at it. Only the page's clock moves; the server's does not, so the
 * refresh it answers is an ordinary one.
 */
import { expect, test } from '@playwright/test';

import {
  REFRESH_COOKIE,
  SESSION_PATH,
  cookieValue,
  countRefreshes,
  countRequests,
  countdown,
  expectStays,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  trackPageErrors,
} from './helpers';

test('no refresh before expiry − 5 min, exactly one at it', async ({ page, context }) => {
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  const registered = await registerViaApi(page);
  expect(registered.expires_in).toBe(900);

  const refreshes = countRefreshes(page);
  const sessionChecks = countRequests(page, 'GET', SESSION_PATH);
  const rendered = await gotoSignedIn(page);
  const due = refreshDueTicks(rendered);
  // 600 s after the token was issued, give or take the second the server
  // rounded `expires_in` to.
  expect(due).toBeGreaterThanOrEqual(599_000);
  expect(due).toBeLessThanOrEqual(600_000);
  const refreshCookie = await cookieValue(context, REFRESH_COOKIE);

  // One second before it is due: the countdown has moved on (so the jump
  // reached the page's timers), and no refresh round has started.
  await pauseClockAtTicks(page, due - 1_000);
  await expect.poll(() => countdown(page)).toBeLessThanOrEqual(302);
  await expect(page.getByTestId('next-refresh')).toHaveAttribute('data-seconds', '1');
  await expectStays(() => refreshes.count + sessionChecks.count, 0, 1_000, 'no refresh round yet');

  // One second past it: one refresh, answered, adopted.
  const answered = page.waitForResponse(isRefreshResponse(200));
  await page.clock.fastForward(2_000);
  await answered;
  expect(refreshes.count).toBe(1);
  await expect(page.getByTestId('refresh-count')).toHaveText('1');
  await expect.poll(() => countdown(page)).toBeGreaterThanOrEqual(899);
  expect(await cookieValue(context, REFRESH_COOKIE)).not.toBe(refreshCookie);
  // And only one: the next is 600 s away.
  await expectStays(() => refreshes.count, 1, 1_000, 'exactly one refresh');
  await expect(page.getByTestId('signed-in-email')).toHaveText(registered.user.email);

  expect(pageErrors).toEqual([]);
});
