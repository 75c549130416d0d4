/**
 * Two tabs of one browser share the cookies, so they must not both
 * refresh: one refresh per cycle between them (Web Lock, then the other tab
 * reads the new session back or hears of it on the BroadcastChannel), both
 * show the new expiry, and signing out in one signs out the other.
 *
 * Playwright's clock belongs to the browser context: one `install` and each
 * jump apply to both pages alike.
 */
import { expect, test } from '@playwright/test';

import {
  REFRESH_COOKIE,
  SESSION_PATH,
  cookieValue,
  countRequests,
  countRefreshes,
  countdown,
  expectStays,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  serverClockPastIssue,
  trackPageErrors,
} from './helpers';

test('one refresh per cycle between two tabs; sign-out in one signs out both', async ({ context, page: first }) => {
  const errors = trackPageErrors(first);
  await context.clock.install();
  const { user } = await registerViaApi(first);
  const refreshes = countRefreshes(context);

  const firstRendered = await gotoSignedIn(first);
  const second = await context.newPage();
  errors.push(...trackPageErrors(second));
  const secondRendered = await gotoSignedIn(second);
  // Each tab's refresh round starts by reading the session back.
  const checks = [countRequests(first, 'GET', SESSION_PATH), countRequests(second, 'GET', SESSION_PATH)];
  // On the page clock (shared by both tabs, counting from its install),
  // when each tab's refresh is due. The second tab was rendered later, with
  // a shorter `expires_in` (whole seconds), so its deadline comes first, by
  // `spread`: the time the first page took to load and hydrate, rounded by
  // the server's clock (a second or two on a loaded machine).
  const dues = [refreshDueTicks(firstRendered), refreshDueTicks(secondRendered)];
  let due = Math.max(...dues);
  let spread = due - Math.min(...dues);

  for (const cycle of [1, 2]) {
    const cookieBefore = await cookieValue(context, REFRESH_COOKIE);
    await serverClockPastIssue(first);
    // Just before the earlier deadline: both tabs' countdowns have moved
    // on, no refresh.
    await pauseClockAtTicks(first, due - spread - 2_000);
    const bound = 303 + spread / 1000;
    await expect.poll(() => countdown(first)).toBeLessThanOrEqual(bound);
    await expect.poll(() => countdown(second)).toBeLessThanOrEqual(bound);
    expect(refreshes.count).toBe(cycle - 1);

    // Past both: both tabs' timers fire in this jump.
    const answered = first.context().waitForEvent('response', isRefreshResponse(200));
    await context.clock.fastForward(4_000 + spread);
    await answered;
    // Both tabs show the new expiry: a full life again.
    await expect.poll(() => countdown(first)).toBeGreaterThanOrEqual(899);
    await expect.poll(() => countdown(second)).toBeGreaterThanOrEqual(899);
    // Exactly one request did it, from one of the two tabs.
    await expectStays(() => refreshes.count, cycle, 1_500, `one refresh in cycle ${cycle}`);
    // Yet both tabs were due and both ran a round: the loser found the new
    // session already in the cookies (or heard of it) and adopted it.
    expect(checks[0].count).toBeGreaterThanOrEqual(cycle);
    expect(checks[1].count).toBeGreaterThanOrEqual(cycle);
    const byTab = [
      Number(await first.getByTestId('refresh-count').textContent()),
      Number(await second.getByTestId('refresh-count').textContent()),
    ];
    expect(byTab[0] + byTab[1]).toBe(cycle);
    expect(await cookieValue(context, REFRESH_COOKIE)).not.toBe(cookieBefore);

    // Both tabs re-armed for the next cycle, 600 s after this refresh (the
    // clock is paused, so "now" is when the refresh was answered).
    for (const tab of [first, second]) {
      await expect(tab.getByTestId('next-refresh')).toHaveAttribute('data-seconds', /^(599|600|601)$/);
    }
    // Both now hold the same session, adopted at the same instant.
    due = (await first.evaluate(() => performance.now())) + (900 - 300) * 1000;
    spread = 0;
  }

  await expect(first.getByTestId('signed-in-email')).toHaveText(user.email);
  await expect(second.getByTestId('signed-in-email')).toHaveText(user.email);

  // Sign out in the second tab: the first lands on sign-in by itself.
  await second.getByTestId('sign-out').click();
  await expect(first).toHaveURL(/\/login\?reason=signed_out$/);
  await expect(first.getByTestId('login-notice')).toBeVisible();
  await expect(first.getByTestId('login-form')).toBeVisible();
  await expect(second).toHaveURL(/\/login\?reason=signed_out$/);
  await expect(second.getByTestId('signed-in-email')).toHaveCount(0);
  expect(refreshes.count).toBe(2);

  expect(errors).toEqual([]);
});
