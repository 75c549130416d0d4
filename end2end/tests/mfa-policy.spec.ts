/**
 * `AUTH_REQUIRE_MFA=admins` on the `mfa` server: the seeded admin, who has
 * no second factor yet, signs in with the password and is led to the
 * security page; the API refuses them everything else until they set one
 * up, and every other page sends them back there. Once the app is on they
 * go on where they were going, and can reset the second factors of a user
 * who lost their phone.
 */
import { expect, test } from '@playwright/test';

import { ADMIN_EMAIL, ADMIN_PASSWORD, registerViaApi, signInViaUi, trackPageErrors } from './helpers';
import { clickWithStepUp, enableTotpViaApi, enableTotpViaUi } from './mfa';
import { nextTotp } from './totp';

const NOTICE = 'Your account needs two-step verification. Set it up to continue.';

test('an admin without a second factor must set one up before anything else', async ({ page, browser, baseURL }) => {
  // The admin's step-up code must come from a later 30 s step than the one
  // that turned the app on.
  test.setTimeout(120_000);
  const pageErrors = trackPageErrors(page);

  await page.goto('/login?next=/admin');
  await signInViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  // Signed in, but led to the security page, with the way back kept.
  await expect(page).toHaveURL(/\/security\?next=\/admin$/);
  await expect(page.getByTestId('mfa-required-notice')).toHaveText(NOTICE);
  await expect(page.getByTestId('totp-setup')).toBeEnabled();

  // The API agrees.
  const me = await page.request.get('/api/me');
  expect(me.status()).toBe(403);
  expect((await me.json()).error).toBe('mfa_enrolment_required');

  // Other pages send the admin back.
  await page.goto('/');
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByTestId('mfa-required-notice')).toHaveText(NOTICE);
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/security\?next=\/admin$/);
  await expect(page.getByTestId('admin-users')).toHaveCount(0);

  // The security page itself stays put (no redirect loop).
  await expect(page.getByTestId('totp-status')).toHaveText('Off');
  const { secret, recoveryCodes, usedAtMs } = await enableTotpViaUi(page);
  expect(recoveryCodes).toHaveLength(10);

  // The codes saved, the admin goes on to the admin page.
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId('admin-users')).toBeVisible();
  const adminRow = page.getByTestId('admin-user-row').filter({ hasText: ADMIN_EMAIL });
  await expect(adminRow.getByTestId('admin-user-factors')).toHaveText('Authenticator, recovery codes');
  expect((await page.request.get('/api/me')).status()).toBe(200);

  // A user with the app on, who lost their phone: the admin resets it.
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  const { user } = await registerViaApi(otherPage);
  await enableTotpViaApi(otherPage);
  await other.close();
  await page.reload();
  const userRow = page.getByTestId('admin-user-row').filter({ hasText: user.email });
  await expect(userRow.getByTestId('admin-user-factors')).toHaveText('Authenticator, recovery codes');
  await userRow.getByTestId('admin-mfa-reset').click();
  const reset = await clickWithStepUp(
    page,
    userRow.getByTestId('admin-mfa-reset-confirm'),
    'DELETE',
    `/api/admin/users/${user.id}/mfa`,
    { code: () => nextTotp(secret, usedAtMs) },
  );
  expect(reset.status()).toBe(204);
  await expect(userRow.getByTestId('admin-user-factors')).toHaveText('—');
  await expect(userRow.getByTestId('admin-mfa-reset')).toHaveCount(0);

  // And the security page no longer shows the notice.
  await page.goto('/security');
  await expect(page.getByTestId('totp-status')).toHaveText(/^On since/);
  await expect(page.getByTestId('mfa-required-notice')).toHaveCount(0);

  expect(pageErrors).toEqual([]);
});
