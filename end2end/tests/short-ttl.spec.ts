/**
 * Real time, on the `short-ttl` server: access tokens live 302 s and the
 * browser refreshes 300 s before expiry, so a refresh is due 2 s after each
 * token is issued. No fake clock here: these are the scheduler's own timers.
 *
 * Every new token is again due 2 s after it arrives, so the scheduler keeps
 * refreshing every ~2 s (the contract's "5 minutes before expiry", taken
 * literally). "Exactly one" is therefore per cycle: one request, then none
 * until the next token's deadline.
 */
import { expect, test, type Response } from '@playwright/test';

import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  REFRESH_PATH,
  cookieValue,
  countRefreshes,
  countdown,
  expectHydrated,
  registerViaApi,
  trackPageErrors,
} from './helpers';

/** Seconds until `expiresAt` (Unix seconds), by the test runner's clock. */
function secondsLeft(expiresAt: number): number {
  return expiresAt - Date.now() / 1000;
}

/** Time (test-runner ms) of each refresh response, with its status and new expiry. */
function logRefreshResponses(target: { on(event: 'response', f: (r: Response) => void): unknown }) {
  const answers: { at: number; status: number; expiresAt?: number }[] = [];
  target.on('response', (response: Response) => {
    if (response.request().method() === 'POST' && new URL(response.url()).pathname === REFRESH_PATH) {
      const answer: { at: number; status: number; expiresAt?: number } = { at: Date.now(), status: response.status() };
      answers.push(answer);
      response
        .json()
        .then((body: { access_expires_at?: number }) => (answer.expiresAt = body.access_expires_at))
        .catch(() => undefined);
    }
  });
  return answers;
}

test('one refresh about 2 s after load; the cookies rotate and the countdown resets', async ({ page, context }) => {
  const pageErrors = trackPageErrors(page);
  const registered = await registerViaApi(page);
  expect(registered.expires_in).toBe(302);
  const refreshes = countRefreshes(page);
  const answers = logRefreshResponses(page);
  const before = {
    access: await cookieValue(context, ACCESS_COOKIE),
    refresh: await cookieValue(context, REFRESH_COOKIE),
  };

  const loadStarted = Date.now();
  const firstRequest = page.waitForRequest(
    (request) => request.method() === 'POST' && new URL(request.url()).pathname === REFRESH_PATH,
    { timeout: 6_000 },
  );
  await page.goto('/');
  await expectHydrated(page);
  expect(await countdown(page)).toBeLessThanOrEqual(registered.expires_in);

  // The first refresh goes out about 2 s after the page loaded.
  await firstRequest;
  const firstAt = refreshes.times[0] - loadStarted;
  expect(firstAt).toBeGreaterThan(500);
  expect(firstAt).toBeLessThan(6_000);
  expect(refreshes.count).toBe(1);
  await expect.poll(() => answers.length).toBe(1);
  expect(answers[0].status).toBe(200);

  // The cookies rotated: a new refresh token and a new access token.
  await expect.poll(() => cookieValue(context, REFRESH_COOKIE)).not.toBe(before.refresh);
  expect(await cookieValue(context, ACCESS_COOKIE)).not.toBe(before.access);

  // The countdown went back up: it now follows the new token, which expires
  // later. (Its shown value alone can't tell: both tokens read "301" for
  // part of a second, as `exp` is whole seconds and the display rounds up.)
  await expect.poll(() => answers[0].expiresAt).toBeGreaterThan(registered.access_expires_at);
  const renewed = answers[0].expiresAt!;
  // The display rounds up, so it reads 0 to 1 s above the exact time left;
  // the old token, which expires ~2 s sooner, would read 1 to 2 s below it.
  const offset = async () => (await countdown(page)) - secondsLeft(renewed);
  await expect.poll(offset, { intervals: [100] }).toBeGreaterThan(-0.5);
  expect(await offset()).toBeLessThan(1.5);
  await expect(page.getByTestId('refresh-count')).toHaveText('1');

  // Exactly one per cycle: the next request waits for the new token's own
  // deadline, about 2 s after the first answer; none in between.
  await expect.poll(() => refreshes.count, { timeout: 6_000 }).toBeGreaterThanOrEqual(2);
  const quiet = refreshes.times[1] - answers[0].at;
  expect(quiet, 'the count stayed 1 until the next token was due').toBeGreaterThan(1_500);
  expect(quiet).toBeLessThan(5_000);
  await expect.poll(() => answers.length).toBe(2);
  expect(answers[1].status).toBe(200);
  await expect(page.getByTestId('refresh-count')).toHaveText('2');
  await expect(page.getByTestId('signed-in-email')).toHaveText(registered.user.email);

  expect(pageErrors).toEqual([]);
});

test('two tabs in real time: one refresh per cycle between them', async ({ context, page: first }) => {
  const errors = trackPageErrors(first);
  const { user } = await registerViaApi(first);
  const refreshes = countRefreshes(context);
  const answers = logRefreshResponses(context);

  await first.goto('/');
  const second = await context.newPage();
  errors.push(...trackPageErrors(second));
  await second.goto('/');
  await expectHydrated(first);
  await expectHydrated(second);

  // Four cycles, about 8 s.
  await expect.poll(() => answers.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  // One refresh per cycle: each request goes out after the previous one
  // was answered (never two at once, from one tab or two) and presents the
  // refresh token that answer set: no tab ever spent a token another tab had
  // already rotated (which only the server's reuse grace would forgive).
  const presented: string[] = [];
  for (const request of refreshes.requests.slice(0, answers.length)) {
    const cookie = (await request.headerValue('cookie')) ?? '';
    presented.push(cookie.split(/;\s*/).find((pair) => REFRESH_COOKIE.test(pair.split('=')[0])) ?? '');
  }
  expect(presented.every((token) => token !== '')).toBe(true);
  expect(new Set(presented).size, 'every refresh spent a different token').toBe(presented.length);
  for (let i = 1; i < answers.length; i++) {
    expect(refreshes.times[i], `refresh ${i + 1} went out after refresh ${i} was answered`).toBeGreaterThanOrEqual(
      answers[i - 1].at,
    );
  }

  // Both tabs follow the same session, whichever refreshed.
  await expect(first.getByTestId('signed-in-email')).toHaveText(user.email);
  await expect(second.getByTestId('signed-in-email')).toHaveText(user.email);
  for (const tab of [first, second]) {
    expect(await countdown(tab)).toBeGreaterThanOrEqual(299);
  }
  const settled = refreshes.count;
  const byTab = async () =>
    Number(await first.getByTestId('refresh-count').textContent()) +
    Number(await second.getByTestId('refresh-count').textContent());
  // Each request was one tab's refresh (read before the next cycle starts).
  await expect.poll(byTab).toBeGreaterThanOrEqual(settled);
  expect(await byTab()).toBeLessThanOrEqual(refreshes.count);

  expect(errors).toEqual([]);
});

test('the countdown never shows more than the token’s life', async ({ page }) => {
  // Regression: the countdown once measured a new deadline against the last
  // one-second tick, so right after each refresh a 302 s token showed "303"
  // (fixed in app/src/components/token_status.rs).
  const registered = await registerViaApi(page);
  const answers = logRefreshResponses(page);
  await page.goto('/');
  await expectHydrated(page);
  // Every value the countdown element ever shows, recorded by the page.
  await page.evaluate(() => {
    const element = document.querySelector('[data-testid="access-countdown"]')!;
    const seen: number[] = [Number(element.textContent)];
    (window as unknown as { __countdowns: number[] }).__countdowns = seen;
    new MutationObserver(() => seen.push(Number(element.textContent))).observe(element, {
      characterData: true,
      childList: true,
      subtree: true,
    });
  });
  await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('refresh-count')).toHaveText(/^[2-9]$/);
  const seen = await page.evaluate(() => (window as unknown as { __countdowns: number[] }).__countdowns);
  expect(seen.length).toBeGreaterThan(2);
  expect(Math.max(...seen)).toBeLessThanOrEqual(registered.expires_in);
});
