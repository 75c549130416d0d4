/**
 * Screenshots of what device binding adds to the pages, at 1280 and 390 px:
 * the dashboard of a bound session (who renews it; the session list's
 * "Bound to device" badge and the warning after a refused renewal without
 * the key), and the admin page refusing an unbound admin session
 * (`AUTH_DEVICE_BINDING=required-for-admin`).
 */
import { expect, request, test } from '@playwright/test';

import { expectBound, registered, watchDbsc } from './dbsc';
import { ADMIN_EMAIL, ADMIN_PASSWORD, expectDashboard, registerViaUi, trackPageErrors } from './helpers';
import { capture, forEachViewport } from './screens';

forEachViewport((viewport) => {
  test('the dashboard of a device-bound session', async ({ baseURL, context, page }, testInfo) => {
    const errors = trackPageErrors(page);
    const events = await watchDbsc(page);
    const email = await registerViaUi(page);
    await expect.poll(() => registered(events).length).toBe(1);
    await expectBound(page);
    // The cookies copied into Playwright's own HTTP client, which has no
    // key: its renewal is refused, and the list says so.
    const copy = await request.newContext({ baseURL, ignoreHTTPSErrors: true, storageState: await context.storageState() });
    expect((await copy.post('/api/auth/refresh')).status()).toBe(401);
    await copy.dispose();
    await page.reload();
    await expectDashboard(page, email);
    await expect(page.getByTestId('renewed-by')).toContainText("device's key");
    await expect(page.getByTestId('session-bound')).toBeVisible();
    await expect(page.getByTestId('binding-refused')).toBeVisible();
    await capture(page, testInfo, 'dashboard-bound', viewport);
    expect(errors).toEqual([]);
  });

  test('the admin page refuses an unbound admin session', async ({ baseURL, context, page }, testInfo) => {
    const errors = trackPageErrors(page);
    // Signed in through Playwright's own HTTP client: the browser never saw
    // the offer, so the session its cookies carry is not bound.
    const client = await request.newContext({ baseURL, ignoreHTTPSErrors: true });
    const signedIn = await client.post('/api/auth/login', { data: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    expect(signedIn.status()).toBe(200);
    await context.addCookies((await client.storageState()).cookies);
    await client.dispose();
    await page.goto('/admin');
    await expect(page.getByTestId('binding-required')).toBeVisible();
    await expect(page.getByTestId('forbidden')).toHaveCount(0);
    await capture(page, testInfo, 'admin-binding-required', viewport);
    expect(errors).toEqual([]);
  });
});
