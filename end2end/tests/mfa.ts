/**
 * Shared pieces of the two-step verification specs (the `mfa` project):
 * answering the step-up dialog when the server asks for it, turning the
 * authenticator app on through the security page or the API, and reading
 * the recovery codes shown once.
 */
import { expect, type Locator, type Page, type Response } from '@playwright/test';

import { PASSWORD, expectHydrated } from './helpers';
import { totp } from './totp';

export const MFA_PATH = '/api/auth/mfa';
export const TOTP_SETUP_PATH = '/api/auth/mfa/totp/setup';
export const TOTP_CONFIRM_PATH = '/api/auth/mfa/totp/confirm';
export const STEP_UP_PATH = '/api/auth/step-up';

/** `AUTH_STEP_UP_SECS` of the `mfa` server. */
export const STEP_UP_SECS = 5;

/** A response to `method path`. */
export function isApi(method: string, path: string) {
  return (response: Response) =>
    response.request().method() === method && new URL(response.url()).pathname === path;
}

/** How to answer the step-up dialog: the password, a code, or the page's passkey. */
export type Proof = { password: string } | { code: () => string | Promise<string> } | { passkey: true };

/**
 * Clicks `button`, which sends `method path`. When the server wants a fresh
 * proof first (`403 step_up_required`), answers the step-up dialog with
 * `proof` and waits for the retried request. Returns the final response.
 */
export async function clickWithStepUp(
  page: Page,
  button: Locator,
  method: string,
  path: string,
  proof: Proof = { password: PASSWORD },
): Promise<Response> {
  const first = page.waitForResponse(isApi(method, path));
  await button.click();
  const answer = await first;
  if (answer.status() !== 403 || (await answer.json()).error !== 'step_up_required') {
    return answer;
  }
  const retried = page.waitForResponse(isApi(method, path));
  await proveInDialog(page, proof);
  return retried;
}

/** Fills and submits the open step-up dialog; waits for its answer (200). */
export async function proveInDialog(page: Page, proof: Proof): Promise<void> {
  const dialog = page.getByTestId('step-up-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading', { name: "Confirm it's you" })).toBeVisible();
  const proved = page.waitForResponse(isApi('POST', STEP_UP_PATH));
  if ('passkey' in proof) {
    await dialog.getByTestId('step-up-passkey').click();
  } else {
    if ('password' in proof) {
      await dialog.getByTestId('step-up-password').fill(proof.password);
    } else {
      await dialog.getByTestId('step-up-code').fill(await proof.code());
    }
    await dialog.getByTestId('step-up-submit').click();
  }
  expect((await proved).status()).toBe(200);
  await expect(dialog).toBeHidden();
}

/** What turning TOTP on gave: the secret, the codes and when the code was used. */
export interface TotpEnrolment {
  secret: string;
  recoveryCodes: string[];
  /** When the confirming code was made: the next TOTP sign-in needs a later step. */
  usedAtMs: number;
}

/**
 * On the security page (open, hydrated): sets up the authenticator app,
 * confirms it with a code, reads the recovery codes shown once and leaves
 * the panel with "Done, I saved them". Answers the step-up dialog with the
 * password if it comes.
 */
export async function enableTotpViaUi(page: Page, password = PASSWORD): Promise<TotpEnrolment> {
  await expect(page.getByTestId('totp-status')).toHaveText('Off');
  const setup = await clickWithStepUp(page, page.getByTestId('totp-setup'), 'POST', TOTP_SETUP_PATH, { password });
  expect(setup.status()).toBe(200);
  await expect(page.getByTestId('totp-qr').locator('svg')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);

  const usedAtMs = Date.now();
  await page.getByTestId('totp-confirm-code').fill(totp(secret, usedAtMs));
  const confirmed = await clickWithStepUp(page, page.getByTestId('totp-confirm'), 'POST', TOTP_CONFIRM_PATH, {
    password,
  });
  expect(confirmed.status()).toBe(200);

  const recoveryCodes = await readRecoveryCodes(page);
  await page.getByTestId('recovery-done').click();
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);
  return { secret, recoveryCodes, usedAtMs };
}

/** The codes of the recovery-codes panel (shown once, ten of them). */
export async function readRecoveryCodes(page: Page): Promise<string[]> {
  const panel = page.getByTestId('recovery-codes');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('Save these codes somewhere safe. Each works once. They are shown only now.');
  const codes = panel.locator('ol > li code');
  await expect(codes).toHaveCount(10);
  return (await codes.allTextContents()).map((code) => code.trim());
}

/**
 * Turns the authenticator app on through the API with the page's cookies
 * (right after registering, the session is fresh enough not to need a
 * step-up).
 */
export async function enableTotpViaApi(page: Page): Promise<TotpEnrolment> {
  const setup = await page.request.post(TOTP_SETUP_PATH);
  expect(setup.status(), await setup.text()).toBe(200);
  const { secret } = (await setup.json()) as { secret: string };
  const usedAtMs = Date.now();
  const confirmed = await page.request.post(TOTP_CONFIRM_PATH, { data: { code: totp(secret, usedAtMs) } });
  expect(confirmed.status(), await confirmed.text()).toBe(200);
  const { recovery_codes } = (await confirmed.json()) as { recovery_codes: { codes: string[] } };
  return { secret, recoveryCodes: recovery_codes.codes, usedAtMs };
}

/** Signs out with the dashboard's button; lands on the sign-in page. */
export async function signOutViaUi(page: Page): Promise<void> {
  await page.goto('/');
  await expectHydrated(page);
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
}

/** The second step of the sign-in is showing, hydrated. */
export async function expectSecondStep(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expect(page.getByText('Enter the 6-digit code from your authenticator app.')).toBeVisible();
  await expect(page.getByTestId('mfa-submit')).toBeEnabled();
}
