/**
 * Registering mails a verification link (through a real SMTP server);
 * opening it confirms the address.
 */
import { expect, test } from '@playwright/test';

import { registerViaUi, trackPageErrors } from './helpers';
import { linkIn, waitForMail } from './mail';

test('the verification link from the registration mail confirms the address, once', async ({ page }) => {
  const errors = trackPageErrors(page);
  const email = await registerViaUi(page);

  const mail = await waitForMail(email, 'Confirm your email address');
  const link = linkIn(mail, '/verify');
  await page.goto(link);

  await expect(page).toHaveURL(/\/verify$/);
  await expect(page.getByTestId('link-result')).toHaveText('Your email address is confirmed. Thank you.');

  // The same link again: used.
  await page.goto(link);
  await expect(page.getByTestId('link-result')).toContainText('already used');
  expect(errors).toEqual([]);
});
