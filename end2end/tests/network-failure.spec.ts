/**
 * A refresh that gets no answer (network down) keeps the user signed in
 * and retries with backoff (1 s, 2 s, 4 s, … on the page clock); once the
 * network is back, the next retry succeeds.
 */
import { expect, test } from '@playwright/test';

import {
  REFRESH_PATH,
  countRefreshes,
  countdown,
  expectStays,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  trackPageErrors,
} from './helpers';

test('a refresh without network keeps the user signed in, retries, then succeeds', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  const { user } = await registerViaApi(page);
  const rendered = await gotoSignedIn(page);
  const refreshes = countRefreshes(page);
  const failures: string[] = [];
  page.on('requestfailed', (request) => {
    if (new URL(request.url()).pathname === REFRESH_PATH) failures.push(request.failure()?.errorText ?? '');
  });

  await page.route(`**${REFRESH_PATH}`, (route) => route.abort('internetdisconnected'));

  // Due: the first attempt fails.
  await pauseClockAtTicks(page, refreshDueTicks(rendered) + 500);
  await expect.poll(() => failures.length).toBe(1);
  // The retry waits: 1 s first, then doubling.
  await expect(page.getByTestId('next-refresh')).toHaveAttribute('data-seconds', '1');
  await expectStays(() => refreshes.count, 1, 500, 'no retry before its time');

  await page.clock.fastForward(1_000);
  await expect.poll(() => failures.length).toBe(2);
  await expect(page.getByTestId('next-refresh')).toHaveAttribute('data-seconds', '2');

  await page.clock.fastForward(2_000);
  await expect.poll(() => failures.length).toBe(3);
  await expect(page.getByTestId('next-refresh')).toHaveAttribute('data-seconds', '4');
  expect(refreshes.count).toBe(3);

  // Still signed in, on the dashboard, throughout.
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('signed-in-email')).toHaveText(user.email);
  await expect(page.getByTestId('refresh-count')).toHaveText('0');

  // The network is back: the next retry goes through.
  await page.unroute(`**${REFRESH_PATH}`);
  const answered = page.waitForResponse(isRefreshResponse(200));
  await page.clock.fastForward(4_000);
  await answered;
  expect(refreshes.count).toBe(4);
  expect(failures).toHaveLength(3);
  await expect(page.getByTestId('refresh-count')).toHaveText('1');
  await expect.poll(() => countdown(page)).toBeGreaterThanOrEqual(899);
  await expect(page.getByTestId('next-refresh')).toHaveAttribute('data-seconds', /^(599|600)$/);
  await expect(page.getByTestId('signed-in-email')).toHaveText(user.email);

  expect(pageErrors).toEqual([]);
});
