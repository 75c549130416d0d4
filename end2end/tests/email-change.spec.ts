/**
 * Changing the email address from the dashboard: the link mailed to the
 * new address makes the change; the old address is told and can undo it,
 * which signs out every session.
 */
import { expect, test } from '@playwright/test';

import { PASSWORD, expectDashboard, registerViaUi, signInViaUi, trackPageErrors, uniqueEmail } from './helpers';
import { linkIn, waitForMail } from './mail';

test('an email change is confirmed from the new address and undone from the old one', async ({ browser, page }) => {
  const errors = trackPageErrors(page);
  const oldEmail = await registerViaUi(page);
  const newEmail = uniqueEmail('moved');

  // Ask on the dashboard.
  const form = page.getByTestId('email-form');
  await expect(form.getByRole('button', { name: 'Change email' })).toBeEnabled();
  await form.getByLabel('New email').fill(newEmail);
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change email' }).click();
  await expect(page.getByTestId('email-change-sent')).toContainText(newEmail);
  await waitForMail(oldEmail, 'Someone asked to change your email address');

  // The new address confirms.
  const confirm = await browser.newPage();
  await confirm.goto(linkIn(await waitForMail(newEmail, 'Confirm your new email address'), '/confirm-email'));
  await expect(confirm).toHaveURL(/\/confirm-email$/);
  await expect(confirm.getByTestId('link-result')).toContainText('Your account now uses this address');

  // The old address was told, with a way back; it undoes the change.
  const undo = await browser.newPage();
  await undo.goto(linkIn(await waitForMail(oldEmail, 'Your email address was changed'), '/undo-email'));
  await expect(undo.getByTestId('link-result')).toContainText('Your old address is back');

  // Every session is over: the dashboard's next load is the sign-in page.
  await page.reload();
  await expect(page).toHaveURL(/\/login/);
  // The old address signs in again.
  await signInViaUi(page, oldEmail, PASSWORD);
  await expectDashboard(page, oldEmail);
  await Promise.all([confirm.close(), undo.close()]);
  expect(errors).toEqual([]);
});
