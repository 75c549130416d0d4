/**
 * Step-up on the `mfa` server (`AUTH_STEP_UP_SECS=5`): a sensitive change
 * more than 5 s after the user last proved themselves opens "Confirm it's
 * you". After the proof the change goes through without being asked
 * again; Cancel leaves the form with the refusal. The browser's scheduled
 * refresh renews the token but never the proof.
 */
import { expect, test, type Page } from '@playwright/test';

import {
  PASSWORD,
  type SessionInfo,
  gotoSignedIn,
  isRefreshResponse,
  pauseClockAtTicks,
  refreshDueTicks,
  registerViaApi,
  trackPageErrors,
} from './helpers';
import { STEP_UP_PATH, STEP_UP_SECS, enableTotpViaApi, isApi } from './mfa';
import { nextTotp, wrongTotp } from './totp';

const NEW_PASSWORD = 'Another-Staple-Horse-77';
const PASSWORD_PATH = '/api/auth/password';

/**
 * Waits (real time, the server's clock) until a proof made at `provedAtMs`
 * is older than `AUTH_STEP_UP_SECS`. Time itself is the condition here.
 */
async function waitUntilStale(page: Page, provedAtMs: number): Promise<void> {
  const waitMs = provedAtMs + (STEP_UP_SECS + 1) * 1000 - Date.now();
  if (waitMs > 0) await page.waitForTimeout(waitMs);
}

/** Fills the dashboard's "Change password" form and submits it; the first answer. */
async function submitPasswordChange(page: Page) {
  const form = page.getByTestId('password-form');
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  const answered = page.waitForResponse(isApi('POST', PASSWORD_PATH));
  await form.getByRole('button', { name: 'Change password' }).click();
  return answered;
}

test('an old sign-in confirms the password before changing it; the scheduled refresh did not make it fresh', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const pageErrors = trackPageErrors(page);
  await page.clock.install();
  const registered = await registerViaApi(page);
  const provedAtMs = Date.now();
  const rendered = await gotoSignedIn(page);

  // The browser refreshes at its deadline (the page clock jumps there):
  // a new access token, the same proof.
  const refreshed = page.waitForResponse(isRefreshResponse(200));
  await pauseClockAtTicks(page, refreshDueTicks(rendered) - 1_000);
  await page.clock.fastForward(2_000);
  const renewed = (await (await refreshed).json()) as SessionInfo;
  expect(renewed.access_expires_at).toBeGreaterThanOrEqual(registered.access_expires_at);
  expect(renewed.auth_time).toBe(registered.auth_time);
  await expect(page.getByTestId('refresh-count')).toHaveText('1');
  await page.clock.resume();

  await waitUntilStale(page, provedAtMs);
  const refused = await submitPasswordChange(page);
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error).toBe('step_up_required');

  // No second factor: the dialog asks for the password.
  const dialog = page.getByTestId('step-up-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading', { name: "Confirm it's you" })).toBeVisible();
  await expect(dialog.getByTestId('step-up-code')).toHaveCount(0);
  const password = dialog.getByTestId('step-up-password');
  await expect(password).toBeFocused();

  // A wrong one is refused in the dialog, which stays open.
  await password.fill(`${PASSWORD}-wrong`);
  const wrong = page.waitForResponse(isApi('POST', STEP_UP_PATH));
  await dialog.getByTestId('step-up-submit').click();
  expect((await wrong).status()).toBe(401);
  await expect(dialog.getByTestId('step-up-error')).toHaveText('Password is wrong.');
  await expect(password).toHaveAttribute('aria-invalid', 'true');

  // The right one: a fresh proof, and the change is sent again and made.
  await password.fill(PASSWORD);
  const proved = page.waitForResponse(isApi('POST', STEP_UP_PATH));
  const retried = page.waitForResponse(isApi('POST', PASSWORD_PATH));
  await dialog.getByTestId('step-up-submit').click();
  const proof = await proved;
  expect(proof.status()).toBe(200);
  expect(((await proof.json()) as SessionInfo).auth_time).toBeGreaterThan(registered.auth_time);
  expect((await retried).status()).toBe(204);
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('password-changed')).toHaveText(
    'Password changed. Your other sessions were signed out.',
  );
  await expect(page.getByTestId('signed-in-email')).toHaveText(registered.user.email);

  expect(pageErrors).toEqual([]);
});

test('cancelling the dialog leaves the change undone, with the refusal in the form', async ({ page }) => {
  test.setTimeout(30_000);
  const pageErrors = trackPageErrors(page);
  await registerViaApi(page);
  const provedAtMs = Date.now();
  await gotoSignedIn(page);
  await waitUntilStale(page, provedAtMs);

  const form = page.getByTestId('email-form');
  await form.getByLabel('New email').fill(`moved-${Date.now()}@example.com`);
  await form.getByLabel('Current password').fill(PASSWORD);
  const sent: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/auth/email/change') sent.push(request.method());
  });
  await page.getByTestId('email-submit').click();
  const dialog = page.getByTestId('step-up-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('step-up-cancel').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('email-form-error')).toBeVisible();
  await expect(page.getByTestId('email-change-sent')).toHaveCount(0);
  expect(sent).toEqual(['POST']);

  // Escape cancels too.
  await form.getByLabel('Current password').fill(PASSWORD);
  await page.getByTestId('email-submit').click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('email-form-error')).toBeVisible();
  expect(sent).toEqual(['POST', 'POST']);

  expect(pageErrors).toEqual([]);
});

test('with the authenticator app on, the dialog asks for its code and refuses a wrong one', async ({ page }) => {
  // The right code must come from a later 30 s step than the one that
  // turned the app on.
  test.setTimeout(90_000);
  const pageErrors = trackPageErrors(page);
  const registered = await registerViaApi(page);
  const { secret, usedAtMs } = await enableTotpViaApi(page);
  await gotoSignedIn(page);
  // Turning the app on was itself a fresh proof.
  await waitUntilStale(page, usedAtMs);

  const refused = await submitPasswordChange(page);
  expect(refused.status()).toBe(403);
  const dialog = page.getByTestId('step-up-dialog');
  await expect(dialog).toBeVisible();
  const code = dialog.getByTestId('step-up-code');
  await expect(code).toBeVisible();
  await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(dialog.getByTestId('step-up-password')).toHaveCount(0);

  await code.fill(wrongTotp(secret));
  const wrong = page.waitForResponse(isApi('POST', STEP_UP_PATH));
  await dialog.getByTestId('step-up-submit').click();
  const wrongAnswer = await wrong;
  expect(wrongAnswer.status()).toBe(401);
  expect((await wrongAnswer.json()).error).toBe('code_invalid');
  await expect(dialog.getByTestId('step-up-error')).toBeVisible();
  await expect(code).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toBeVisible();

  await code.fill(await nextTotp(secret, usedAtMs));
  const proved = page.waitForResponse(isApi('POST', STEP_UP_PATH));
  const retried = page.waitForResponse(isApi('POST', PASSWORD_PATH));
  await dialog.getByTestId('step-up-submit').click();
  expect((await proved).status()).toBe(200);
  expect((await retried).status()).toBe(204);
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await expect(page.getByTestId('signed-in-email')).toHaveText(registered.user.email);

  expect(pageErrors).toEqual([]);
});
