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
  // On the page clock (shared by both tabs), when both tabs' refreshes are
  // due; their deadlines differ by the second the server rounded to at most.
  let due = Math.max(refreshDueTicks(firstRendered), refreshDueTicks(secondRendered));

  for (const cycle of [1, 2]) {
    const cookieBefore = await cookieValue(context, REFRESH_COOKIE);
    await serverClockPastIssue(first);
    // Just before the deadline: both tabs' countdowns have moved on, no refresh.
    await pauseClockAtTicks(first, due - 2_000);
    await expect.poll(() => countdown(first)).toBeLessThanOrEqual(303);
    await expect.poll(() => countdown(second)).toBeLessThanOrEqual(303);
    expect(refreshes.count).toBe(cycle - 1);

    // Past it: both tabs' timers fire in this jump.
    const answered = first.context().waitForEvent('response', isRefreshResponse(200));
    await context.clock.fastForward(4_000);
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
    due = (await first.evaluate(() => performance.now())) + (900 - 300) * 1000;
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
