/**
 * Passkeys in real Chromium, with its virtual authenticator (CDP
 * `WebAuthn`: resident keys, user verification) on the `mfa` server, which
 * is served as `localhost` (WebAuthn needs a domain name):
 *
 * - a passkey is added on the security page, and signs in alone (no email
 *   typed) after signing out;
 * - a password sign-in of that user then asks for the passkey;
 * - a stale session steps up with the passkey before a password change;
 * - the same device cannot add a second passkey; a passkey is renamed and
 *   removed;
 * - screenshots of each screen at 1280 and 390 px.
 */
import { expect, test, type Page } from '@playwright/test';

import {
  PASSWORD,
  type SessionInfo,
  expectDashboard,
  expectHydrated,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
} from './helpers';
import { STEP_UP_SECS, isApi, proveInDialog, signOutViaUi } from './mfa';
import { addPasskeyViaUi, addVirtualAuthenticator, storedCredentials } from './passkey';
import { capture, forEachViewport } from './screens';

const NEW_PASSWORD = 'Another-Staple-Horse-77';

/** A new user with a passkey on the page's virtual authenticator, on the security page. */
async function userWithPasskey(page: Page, name = 'Test laptop') {
  const device = await addVirtualAuthenticator(page);
  const { user } = await registerViaApi(page);
  const provedAtMs = Date.now();
  await gotoSecurity(page);
  const recoveryCodes = await addPasskeyViaUi(page, name);
  return { device, user, recoveryCodes, provedAtMs };
}

/** Opens the security page and waits for the passkey card to be live (hydrated, support checked). */
async function gotoSecurity(page: Page): Promise<void> {
  await page.goto('/security');
  await expect(page.getByTestId('add-passkey')).toBeEnabled();
}

async function session(page: Page): Promise<SessionInfo> {
  const response = await page.request.get('/api/auth/session');
  expect(response.status()).toBe(200);
  return (await response.json()) as SessionInfo;
}

/** Waits (real time: the server's clock) until a proof made at `provedAtMs` is stale. */
async function waitUntilStale(page: Page, provedAtMs: number): Promise<void> {
  const waitMs = provedAtMs + (STEP_UP_SECS + 1) * 1000 - Date.now();
  if (waitMs > 0) await page.waitForTimeout(waitMs);
}

/** Signs in on the sign-in page with the passkey button; lands on the dashboard. */
async function signInWithPasskey(page: Page, email: string): Promise<void> {
  const answered = page.waitForResponse(isApi('POST', '/api/auth/passkey'));
  await page.getByTestId('passkey-sign-in').click();
  expect((await answered).status()).toBe(200);
  await expectDashboard(page, email);
}

test('a passkey added on the security page signs in alone', async ({ page }) => {
  const errors = trackPageErrors(page);
  const { device, user, recoveryCodes } = await userWithPasskey(page);

  // The first second factor came with ten recovery codes.
  expect(recoveryCodes).toHaveLength(10);
  const card = page.getByTestId('passkeys-card');
  await expect(card.getByTestId('passkey-row-name')).toHaveText(['Test laptop']);
  const [stored, ...more] = await storedCredentials(device);
  expect(more).toEqual([]);
  expect(stored.isResidentCredential, 'a discoverable credential').toBe(true);
  expect(stored.rpId).toBe('localhost');

  await signOutViaUi(page);
  await signInWithPasskey(page, user.email);
  const signedIn = await session(page);
  expect(signedIn.amr).toEqual(['hwk', 'mfa']);
  expect((await storedCredentials(device))[0].signCount).toBeGreaterThan(stored.signCount);

  // The security page shows it was used.
  await page.goto('/security');
  await expect(page.getByTestId('passkey-row')).toContainText('Last used');
  expect(errors).toEqual([]);
});

test('a password sign-in then asks for the passkey', async ({ page }) => {
  const errors = trackPageErrors(page);
  const { user } = await userWithPasskey(page);
  await signOutViaUi(page);

  await signInViaUi(page, user.email);
  const finished = page.waitForResponse(isApi('POST', '/api/auth/mfa/passkey'));
  await page.getByTestId('use-passkey').click();
  expect((await finished).status()).toBe(200);
  await expectDashboard(page, user.email);
  expect((await session(page)).amr).toEqual(['pwd', 'hwk', 'mfa']);
  expect(errors).toEqual([]);
});

test('a stale session steps up with the passkey before changing the password', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = trackPageErrors(page);
  const { provedAtMs } = await userWithPasskey(page);
  await page.goto('/');
  await expectHydrated(page);
  await waitUntilStale(page, provedAtMs);

  const form = page.getByTestId('password-form');
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  const refused = page.waitForResponse(isApi('POST', '/api/auth/password'));
  await form.getByRole('button', { name: 'Change password' }).click();
  expect((await refused).status()).toBe(403);

  // A user with a passkey proves themselves with it, not the password.
  const dialog = page.getByTestId('step-up-dialog');
  await expect(dialog.getByTestId('step-up-passkey')).toBeVisible();
  await expect(dialog.getByTestId('step-up-password')).toHaveCount(0);
  const retried = page.waitForResponse(isApi('POST', '/api/auth/password'));
  await proveInDialog(page, { passkey: true });
  expect((await retried).status()).toBe(204);
  expect((await session(page)).amr).toEqual(['hwk']);
  expect(errors).toEqual([]);
});

test('a passkey is renamed and removed', async ({ page }) => {
  const errors = trackPageErrors(page);
  await userWithPasskey(page, 'Old name');
  const card = page.getByTestId('passkeys-card');

  // The same device again: the authenticator refuses (the passkey is in
  // the options' excludeCredentials) and the card says why.
  await card.getByTestId('passkey-name-input').fill('Again');
  await card.getByTestId('add-passkey').click();
  await expect(card.getByTestId('passkey-error')).toHaveText('This device already holds a passkey for your account.');
  await expect(card.getByTestId('passkey-row')).toHaveCount(1);

  await card.getByTestId('rename-passkey').click();
  await card.getByTestId('passkey-rename-input').fill('Work laptop');
  const renamed = page.waitForResponse(
    (response) => response.request().method() === 'PUT' && response.url().includes('/api/auth/passkeys/'),
  );
  await card.getByTestId('save-passkey-name').click();
  expect((await renamed).status()).toBe(200);
  await expect(card.getByTestId('passkey-row-name')).toHaveText(['Work laptop']);

  await card.getByTestId('remove-passkey').click();
  const removed = page.waitForResponse(
    (response) => response.request().method() === 'DELETE' && response.url().includes('/api/auth/passkeys/'),
  );
  await card.getByTestId('confirm-remove-passkey').click();
  expect((await removed).status()).toBe(204);
  await expect(card.getByTestId('passkey-row')).toHaveCount(0);
  expect(errors).toEqual([]);
});

forEachViewport((viewport) => {
  test('passkey screens', async ({ page }, testInfo) => {
    test.setTimeout(60_000);
    const errors = trackPageErrors(page);
    const { user, provedAtMs } = await userWithPasskey(page);
    await capture(page, testInfo, 'security-passkeys', viewport);

    await signOutViaUi(page);
    await expect(page.getByTestId('passkey-sign-in')).toBeVisible();
    await capture(page, testInfo, 'login-passkey', viewport);

    await signInViaUi(page, user.email);
    await expect(page.getByTestId('use-passkey')).toBeVisible();
    await capture(page, testInfo, 'second-step-passkey', viewport);
    await page.getByTestId('use-passkey').click();
    await expectDashboard(page, user.email);

    await waitUntilStale(page, Math.max(provedAtMs, Date.now()));
    await gotoSecurity(page);
    await page.getByTestId('passkeys-card').getByTestId('remove-passkey').first().click();
    await page.getByTestId('passkeys-card').getByTestId('confirm-remove-passkey').click();
    await expect(page.getByTestId('step-up-dialog').getByTestId('step-up-passkey')).toBeVisible();
    await capture(page, testInfo, 'step-up-passkey', viewport, false);
    expect(errors).toEqual([]);
  });
});
