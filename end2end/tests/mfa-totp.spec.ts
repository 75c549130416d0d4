/**
 * Two-step verification with an authenticator app, on the `mfa` server: a
 * user turns it on from the security page (QR code, secret, a first code)
 * and gets ten recovery codes, shown once. From then on the password alone
 * no longer signs in: a second step asks for the app's code, or a recovery
 * code, which works once.
 */
import { expect, test } from '@playwright/test';

import { expectDashboard, registerViaUi, signInViaUi, trackPageErrors } from './helpers';
import { enableTotpViaUi, expectSecondStep, isApi, signOutViaUi } from './mfa';
import { nextTotp } from './totp';

const LOGIN_PATH = '/api/auth/login';

test('a user turns on the authenticator app, then signs in with its code and with a recovery code once', async ({
  page,
}) => {
  // The second sign-in by app waits for the next 30 s step.
  test.setTimeout(90_000);
  const pageErrors = trackPageErrors(page);
  const email = await registerViaUi(page);

  // The dashboard links to the security page; the app is off.
  await page.getByTestId('security-link').click();
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByRole('heading', { name: 'Security', level: 1 })).toBeVisible();
  await expect(page.getByTestId('mfa-required-notice')).toHaveCount(0);
  await expect(page.getByTestId('recovery-section')).toHaveCount(0);
  const { secret, recoveryCodes, usedAtMs } = await enableTotpViaUi(page);
  expect(new Set(recoveryCodes).size).toBe(10);

  // Back on the page: on, with ten codes left.
  await expect(page.getByTestId('totp-status')).toHaveText(/^On since \d{4}-\d\d-\d\d \d\d:\d\d$/);
  await expect(page.getByTestId('recovery-left')).toHaveText('10 codes left');
  await expect(page.getByTestId('totp-disable')).toBeVisible();

  // The password alone no longer signs in: the second step asks for a code.
  await signOutViaUi(page);
  const answered = page.waitForResponse(isApi('POST', LOGIN_PATH));
  await signInViaUi(page, email);
  const answer = await answered;
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toEqual({ mfa_required: true, methods: expect.arrayContaining(['totp', 'recovery']) });
  await expectSecondStep(page);
  await expect(page.getByTestId('login-form')).toHaveCount(0);
  const codeInput = page.getByTestId('mfa-code');
  await expect(codeInput).toHaveAttribute('inputmode', 'numeric');
  await expect(codeInput).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(codeInput).toBeFocused();
  // The code the confirmation used is spent: the next step's code signs in.
  await codeInput.fill(await nextTotp(secret, usedAtMs));
  await page.getByTestId('mfa-submit').click();
  await expectDashboard(page, email);

  // A recovery code instead of the app.
  await signOutViaUi(page);
  await signInViaUi(page, email);
  await expectSecondStep(page);
  await page.getByTestId('mfa-use-recovery').click();
  await expect(page.getByTestId('mfa-code')).toHaveCount(0);
  await page.getByTestId('mfa-recovery-code').fill(recoveryCodes[0]);
  await page.getByTestId('mfa-submit').click();
  await expectDashboard(page, email);
  await page.getByTestId('security-link').click();
  await expect(page.getByTestId('recovery-left')).toHaveText('9 codes left');

  // The same recovery code a second time: refused beside the input.
  await signOutViaUi(page);
  await signInViaUi(page, email);
  await expectSecondStep(page);
  await page.getByTestId('mfa-use-recovery').click();
  const recoveryInput = page.getByTestId('mfa-recovery-code');
  await recoveryInput.fill(recoveryCodes[0]);
  const refused = page.waitForResponse(isApi('POST', '/api/auth/mfa/recovery'));
  await page.getByTestId('mfa-submit').click();
  const refusal = await refused;
  expect(refusal.status()).toBe(401);
  expect((await refusal.json()).error).toBe('code_invalid');
  const error = page.getByTestId('mfa-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(recoveryInput).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/login/);
  // Another one still works.
  await recoveryInput.fill(recoveryCodes[1]);
  await page.getByTestId('mfa-submit').click();
  await expectDashboard(page, email);

  expect(pageErrors).toEqual([]);
});

test('a pending sign-in that is gone sends the user back to the password with the reason', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  const email = await registerViaUi(page);
  await page.goto('/security');
  await enableTotpViaUi(page);
  await signOutViaUi(page);

  await signInViaUi(page, email);
  await expectSecondStep(page);
  // The server's pending cookie (signed out, the only one) goes, as when
  // it expires after 5 minutes.
  await page.context().clearCookies();

  await page.getByTestId('mfa-code').fill('123456');
  const answered = page.waitForResponse(isApi('POST', '/api/auth/mfa/totp'));
  await page.getByTestId('mfa-submit').click();
  const answer = await answered;
  expect(answer.status()).toBe(401);
  expect((await answer.json()).error).toBe('mfa_pending_invalid');
  await expect(page.getByTestId('mfa-restart')).toBeVisible();
  await expect(page.getByTestId('login-form')).toBeVisible();
  await expect(page.getByTestId('mfa-code')).toHaveCount(0);

  expect(pageErrors).toEqual([]);
});
