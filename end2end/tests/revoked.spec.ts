/**
 * A session revoked from another browser: the first browser learns of it at
 * its next refresh (driven by its page clock), which the server refuses;
 * the page lands on sign-in with the notice saying why.
 */
import { expect, test } from '@playwright/test';

import {
  PASSWORD,
  TOKEN_COOKIE,
  expectDashboard,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
} from './helpers';

test('a session revoked from another browser ends at the next refresh, with a notice', async ({
  browser,
  page,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  const { user, session_id: firstSession } = await registerViaApi(page);
  const rendered = await gotoSignedIn(page);

  // A second browser (its own cookies, its own real clock) signs in as the
  // same user and revokes the first browser's session on its dashboard.
  const other = await browser.newContext({ baseURL });
  try {
    const otherPage = await other.newPage();
    await otherPage.goto('/login');
    await signInViaUi(otherPage, user.email, PASSWORD);
    await expectDashboard(otherPage, user.email);
    const rows = otherPage.getByTestId('session-row');
    await expect(rows).toHaveCount(2);
    const firstRow = otherPage.locator('[data-testid="session-row"][data-current="false"]');
    await expect(firstRow).toHaveCount(1);
    const revoked = otherPage.waitForResponse(
      (r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/auth/sessions/${firstSession}`),
    );
    await firstRow.getByTestId('revoke-session').click();
    expect((await revoked).status()).toBe(204);
    await expect(rows).toHaveCount(1);
    await expect(otherPage.getByTestId('session-row')).toHaveAttribute('data-current', 'true');
  } finally {
    await other.close();
  }

  // Nothing has told the first browser yet.
  await expect(page.getByTestId('signed-in-email')).toHaveText(user.email);

  // Its next refresh is refused, and every trace of the session goes.
  const refused = page.waitForResponse(isRefreshResponse(401));
  await pauseClockAtTicks(page, refreshDueTicks(rendered) + 1_000);
  const response = await refused;
  expect((await response.json()).error).toBe('refresh_invalid');

  await expect(page).toHaveURL(/\/login\?reason=revoked$/);
  const notice = page.getByTestId('login-notice');
  await expect(notice).toBeVisible();
  await expect(notice).toHaveAttribute('role', 'status');
  await expect(notice).toContainText('Your session was ended');
  await expect(page.getByTestId('login-form')).toBeVisible();
  expect((await page.context().cookies()).filter((c) => TOKEN_COOKIE.test(c.name))).toEqual([]);

  expect(pageErrors).toEqual([]);
});
