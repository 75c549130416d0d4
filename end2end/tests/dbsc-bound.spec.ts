/**
 * Device-bound sessions in a real Chromium (DBSC, over HTTPS): the browser
 * binds a new session to a key it cannot export and renews the access
 * cookie itself, never through `POST /api/auth/refresh`; copied cookies
 * cannot renew; tabs of the bound browser never sign each other out.
 *
 * The access token lives 10 s here, so the renewals come quickly. The
 * project's other settings are in `playwright.config.ts`.
 */
import { expect, test } from '@playwright/test';

import {
  ACCESS_TTL_SECS,
  accessCookie,
  auditEvents,
  expectBound,
  pageSession,
  refreshed,
  registered,
  watchDbsc,
} from './dbsc';
import { countRefreshes, expectDashboard, registerViaUi, trackPageErrors } from './helpers';

test('signing in binds the session to the device', async ({ browser, page }) => {
  const errors = trackPageErrors(page);
  const events = await watchDbsc(page);
  await registerViaUi(page);
  await expect.poll(() => registered(events).length).toBe(1);
  const sessionId = await expectBound(page);
  expect((await auditEvents(browser, 'session_bound', sessionId)).length).toBe(1);
  // The page learns it at its next round and says who renews it now.
  await expect(page.getByTestId('renewed-by')).toContainText("device's key", { timeout: 15_000 });
  await expect(page.getByTestId('session-bound')).toBeVisible();
  expect(errors).toEqual([]);
});

test('an expired access cookie: the next request goes out with a fresh one, twice, the page never refreshing', async ({
  browser,
  context,
  page,
}) => {
  test.setTimeout(90_000);
  const errors = trackPageErrors(page);
  const events = await watchDbsc(page);
  const pageRefreshes = countRefreshes(context);
  const email = await registerViaUi(page);
  await expect.poll(() => registered(events).length).toBe(1);
  const sessionId = await expectBound(page);
  // No app on the page, so no scheduler (and no request) while the cookie
  // runs out: the browser alone must see to it.
  await page.goto('about:blank');

  for (const round of [1, 2]) {
    const held = await accessCookie(context);
    expect(held, `round ${round}`).toBeDefined();
    await expect
      .poll(() => accessCookie(context), { timeout: (ACCESS_TTL_SECS + 5) * 1000, intervals: [200] })
      .toBeUndefined();
    const heldRefreshes = events.filter((event) => event.refreshEventDetails?.wasFullyProactiveRefresh === false);
    // The request waits while the browser renews the cookie by proving
    // its key, then goes out with the new one.
    const response = await page.goto('/api/me');
    expect(response?.status(), `round ${round}`).toBe(200);
    expect(await response?.json()).toMatchObject({ email });
    const fresh = await accessCookie(context);
    expect(fresh, `round ${round}`).toBeDefined();
    expect(fresh).not.toBe(held);
    await expect
      .poll(() => events.filter((event) => event.refreshEventDetails?.wasFullyProactiveRefresh === false).length)
      .toBe(heldRefreshes.length + 1);
    await page.goto('about:blank');
  }
  expect(refreshed(events).length).toBeGreaterThanOrEqual(2);
  expect(pageRefreshes.count).toBe(0);
  expect((await auditEvents(browser, 'bound_refresh', sessionId)).length).toBeGreaterThanOrEqual(2);
  expect(errors).toEqual([]);
});

test('cookies copied to a browser without the key cannot renew; the device keeps working', async ({
  browser,
  context,
  page,
}) => {
  test.setTimeout(90_000);
  const events = await watchDbsc(page);
  const email = await registerViaUi(page);
  await expect.poll(() => registered(events).length).toBe(1);
  const sessionId = await expectBound(page);

  // Both cookies, copied into a context of its own: no DBSC session, no key.
  const thief = await browser.newContext();
  await thief.addCookies(await context.cookies());
  const stolen = await thief.newPage();
  await stolen.goto('/');
  // Once the copied access cookie is gone, nothing renews it.
  await expect
    .poll(
      async () => {
        await stolen.goto('/');
        return new URL(stolen.url()).pathname;
      },
      { timeout: (ACCESS_TTL_SECS + 10) * 1000, intervals: [2_000] },
    )
    .toBe('/login');
  const refused = await stolen.evaluate(async () => {
    const response = await fetch('/api/auth/refresh', { method: 'POST' });
    return { status: response.status, body: await response.json() };
  });
  expect(refused).toMatchObject({ status: 401, body: { error: 'binding_proof_missing' } });
  await thief.close();
  expect((await auditEvents(browser, 'binding_proof_missing', sessionId)).length).toBeGreaterThanOrEqual(2);

  // The rightful browser renews through its next cycle, and is told.
  const before = refreshed(events).length;
  await expect.poll(() => refreshed(events).length, { timeout: (ACCESS_TTL_SECS + 10) * 1000 }).toBeGreaterThan(before);
  expect((await pageSession(page)).status).toBe(200);
  await page.reload();
  await expectDashboard(page, email);
  await expect(page.getByTestId('binding-refused')).toBeVisible();
});

test('two tabs of the bound browser: no reuse verdict, no sign-out, over three renewals', async ({
  browser,
  context,
  page: first,
}) => {
  test.setTimeout(120_000);
  const errors = trackPageErrors(first);
  const events = await watchDbsc(first);
  const pageRefreshes = countRefreshes(context);
  const email = await registerViaUi(first);
  await expect.poll(() => registered(events).length).toBe(1);
  const sessionId = await expectBound(first);
  const second = await context.newPage();
  errors.push(...trackPageErrors(second));
  await second.goto('/');
  await expectDashboard(second, email);

  // Three access lives, each renewed by the browser while both tabs run
  // their schedulers.
  const start = Date.now();
  while (Date.now() - start < (3 * ACCESS_TTL_SECS + 3) * 1000) {
    for (const tab of [first, second]) {
      await expect(tab.getByTestId('signed-in-email')).toHaveText(email);
    }
    await first.waitForTimeout(1_000);
  }
  expect((await auditEvents(browser, 'bound_refresh', sessionId)).length).toBeGreaterThanOrEqual(3);
  for (const tab of [first, second]) {
    expect((await pageSession(tab)).status).toBe(200);
    await expect(tab.getByTestId('signed-in-email')).toHaveText(email);
  }
  expect(await auditEvents(browser, 'reuse_detected', sessionId)).toEqual([]);
  expect(await auditEvents(browser, 'binding_proof_missing', sessionId)).toEqual([]);
  expect(pageRefreshes.count).toBe(0);
  expect(errors).toEqual([]);
});
