/**
 * A laptop that sleeps through the scheduled refresh: its timers stop, and
 * `performance.now()` may stand still, while the wall clock jumps. The app
 * measures elapsed time as the larger of the `performance.now()` and
 * `Date.now()` deltas (app/src/session/clock.rs) and re-checks its deadline
 * when the page becomes visible again (app/src/session/wake.rs).
 *
 * Playwright's `clock.setSystemTime` is exactly that sleep: it moves
 * `Date.now()` but neither `performance.now()` nor any timer.
 */
import { expect, test, type Page } from '@playwright/test';

import {
  SESSION_PATH,
  countRefreshes,
  countRequests,
  expectStays,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  trackPageErrors,
} from './helpers';

/** Overrides `document.visibilityState` / `hidden` and tells the page. */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
    Object.defineProperty(document, 'hidden', { value: state === 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

test('a sleep past the scheduled time refreshes at once on wake', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  await registerViaApi(page);
  const refreshes = countRefreshes(page);
  const sessionChecks = countRequests(page, 'GET', SESSION_PATH);
  const rendered = await gotoSignedIn(page);
  const due = refreshDueTicks(rendered);

  // Awake for a while (a minute short of the deadline), then the clock
  // stops: from here on no timer fires unless the test says so.
  await pauseClockAtTicks(page, due - 60_000);
  await setVisibility(page, 'hidden');

  // Asleep for ten minutes: only the wall clock moves.
  const wallBefore = await page.evaluate(() => ({ date: Date.now(), perf: performance.now() }));
  await page.clock.setSystemTime(wallBefore.date + 10 * 60_000);
  const wallAfter = await page.evaluate(() => ({ date: Date.now(), perf: performance.now() }));
  expect(wallAfter.date - wallBefore.date).toBeGreaterThanOrEqual(10 * 60_000);
  expect(wallAfter.perf - wallBefore.perf).toBeLessThan(1_000);
  // Still hidden: nothing happens (no timer is due on the page clock, and a
  // hidden page does not re-check).
  await expectStays(() => refreshes.count + sessionChecks.count, 0, 1_000, 'no refresh while asleep');

  // Wake: visible again. The clock stays paused, so only the
  // visibilitychange handler can start this refresh.
  const answered = page.waitForResponse(isRefreshResponse(200));
  await setVisibility(page, 'visible');
  await answered;
  expect(refreshes.count).toBe(1);
  await expect(page.getByTestId('refresh-count')).toHaveText('1');
  await expect(page.getByTestId('signed-in-email')).toHaveText(rendered.user.email);
  await expectStays(() => refreshes.count, 1, 1_000, 'one refresh on wake');

  expect(pageErrors).toEqual([]);
});

test('waking before the scheduled time does not refresh', async ({ page }) => {
  await page.clock.install();
  await registerViaApi(page);
  const refreshes = countRefreshes(page);
  const rendered = await gotoSignedIn(page);
  const due = refreshDueTicks(rendered);

  await pauseClockAtTicks(page, due - 5 * 60_000);
  await setVisibility(page, 'hidden');
  const { date } = await page.evaluate(() => ({ date: Date.now() }));
  // Asleep for four minutes: wakes one minute before the deadline.
  await page.clock.setSystemTime(date + 4 * 60_000);
  await setVisibility(page, 'visible');

  // The wake re-armed the timer with the time actually left (about 60 s).
  await expect
    .poll(async () => Number(await page.getByTestId('next-refresh').getAttribute('data-seconds')))
    .toBeLessThanOrEqual(61);
  await expectStays(() => refreshes.count, 0, 1_000, 'not due yet');

  // The re-armed timer fires at the real deadline.
  const answered = page.waitForResponse(isRefreshResponse(200));
  await page.clock.fastForward(61_000);
  await answered;
  expect(refreshes.count).toBe(1);
});
