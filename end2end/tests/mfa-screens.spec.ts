/**
 * Screenshots of two-step verification at desktop (1280×800) and phone
 * (390×844) width, saved to `end2end/screenshots/` (gitignored) and
 * attached to the report, like `screenshots.spec.ts`: the security page
 * with the QR code, the recovery codes, the security page with the app on,
 * the second step of the sign-in, and the step-up dialog.
 */
import { expect, test, } from '@playwright/test';

import {
  PASSWORD,
  expectDashboard,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
} from './helpers';
import { capture, forEachViewport } from './screens';
import {
  STEP_UP_SECS,
  TOTP_CONFIRM_PATH,
  TOTP_SETUP_PATH,
  clickWithStepUp,
  expectSecondStep,
  readRecoveryCodes,
} from './mfa';
import { totp } from './totp';

forEachViewport((viewport) => {

  test('security page, recovery codes, second step and step-up', async ({ page }, testInfo) => {
    // Waits out the step-up window once (5 s).
    test.setTimeout(60_000);
    const errors = trackPageErrors(page);
    const { user } = await registerViaApi(page);

    // The security page with the QR code.
    await page.goto('/security');
    await expect(page.getByTestId('totp-status')).toHaveText('Off');
    await clickWithStepUp(page, page.getByTestId('totp-setup'), 'POST', TOTP_SETUP_PATH);
    await expect(page.getByTestId('totp-qr').locator('svg')).toBeVisible();
    await expect(page.getByTestId('totp-confirm')).toBeEnabled();
    await capture(page, testInfo, 'security-qr', viewport);

    // The recovery codes, shown once.
    const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
    await page.getByTestId('totp-confirm-code').fill(totp(secret));
    await clickWithStepUp(page, page.getByTestId('totp-confirm'), 'POST', TOTP_CONFIRM_PATH);
    const codes = await readRecoveryCodes(page);
    await capture(page, testInfo, 'recovery-codes', viewport);

    // The page with the app on.
    await page.getByTestId('recovery-done').click();
    await expect(page.getByTestId('recovery-left')).toHaveText('10 codes left');
    await capture(page, testInfo, 'security', viewport);

    // The second step of the sign-in.
    expect((await page.request.post('/api/auth/logout')).status()).toBe(204);
    await page.goto('/login');
    await signInViaUi(page, user.email, PASSWORD);
    await expectSecondStep(page);
    await capture(page, testInfo, 'login-second-step', viewport);

    // The step-up dialog, once the sign-in (by recovery code) is old.
    await page.getByTestId('mfa-use-recovery').click();
    await page.getByTestId('mfa-recovery-code').fill(codes[0]);
    await page.getByTestId('mfa-submit').click();
    const signedInAtMs = Date.now();
    await expectDashboard(page, user.email);
    const staleInMs = signedInAtMs + (STEP_UP_SECS + 1) * 1000 - Date.now();
    if (staleInMs > 0) await page.waitForTimeout(staleInMs);
    const form = page.getByTestId('password-form');
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill(`${PASSWORD}-new`);
    await form.getByLabel('Confirm new password').fill(`${PASSWORD}-new`);
    await form.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByTestId('step-up-dialog');
    await expect(dialog.getByTestId('step-up-code')).toBeFocused();
    await capture(page, testInfo, 'step-up', viewport, false);
    await dialog.getByTestId('step-up-cancel').click();
    await expect(dialog).toBeHidden();

    expect(errors).toEqual([]);
  });
});
