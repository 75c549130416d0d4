/**
 * Forgot password → the mail (through a real SMTP server) → reset: the new
 * password works, the old one does not, and a session in another browser
 * is signed out. The link's token leaves the address bar.
 */
import { expect, test } from '@playwright/test';

import { PASSWORD, expectDashboard, registerViaApi, signInViaUi, trackPageErrors } from './helpers';
import { linkIn, waitForMail } from './mail';

const NEW_PASSWORD = 'A-Whole-New-Passphrase-7';

test('a forgotten password is reset from the mail, and every other session ends', async ({ browser, page }) => {
  const errors = trackPageErrors(page);
  // Another browser, signed in as the user: the session a thief might hold.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  const { user } = await registerViaApi(otherPage);
  await otherPage.goto('/');
  await expect(otherPage.getByTestId('signed-in-email')).toHaveText(user.email);

  // Forgot password, from the sign-in page.
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot$/);
  const form = page.getByTestId('forgot-form');
  await expect(form.getByRole('button', { name: 'Send reset link' })).toBeEnabled();
  await form.getByLabel('Email').fill(user.email);
  await form.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByTestId('forgot-sent')).toContainText(user.email);

  // The mail, and its link.
  const mail = await waitForMail(user.email, 'Reset your password');
  const link = linkIn(mail, '/reset');
  await page.goto(link);
  // The token leaves the address bar once the page runs.
  await expect(page).toHaveURL(/\/reset$/);
  const reset = page.getByTestId('reset-form');
  await expect(reset.getByRole('button', { name: 'Set new password' })).toBeEnabled();
  await reset.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await reset.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await reset.getByRole('button', { name: 'Set new password' }).click();

  // Signed in here, on the dashboard.
  await expectDashboard(page, user.email);

  // The other browser is signed out on its next page load.
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/login/);

  // The link worked once.
  const again = await page.request.post('/api/auth/password/reset', {
    data: { token: link.split('token=')[1], new_password: 'Yet-Another-Passphrase-9' },
  });
  expect(again.status()).toBe(410);

  // The old password fails, the new one works.
  const fresh = await browser.newContext();
  const freshPage = await fresh.newPage();
  await freshPage.goto('/login');
  await signInViaUi(freshPage, user.email, PASSWORD);
  await expect(freshPage.getByTestId('form-error')).toBeVisible();
  await signInViaUi(freshPage, user.email, NEW_PASSWORD);
  await expectDashboard(freshPage, user.email);

  await Promise.all([other.close(), fresh.close()]);
  expect(errors).toEqual([]);
});

test('a used or broken reset link says what to do next', async ({ page }) => {
  await page.goto('/reset?token=' + 'A'.repeat(43));
  await expect(page).toHaveURL(/\/reset$/);
  const reset = page.getByTestId('reset-form');
  await expect(reset.getByRole('button', { name: 'Set new password' })).toBeEnabled();
  await reset.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await reset.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await reset.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByTestId('reset-error')).toContainText('not valid');
  await expect(page.getByTestId('reset-error').getByRole('link', { name: 'Ask for a new link' })).toBeVisible();
});
