/**
 * Registering mails a verification link (through a real SMTP server);
 * the dashboard asks for it until it is used, once.
 */
import { expect, test } from '@playwright/test';

import { registerViaUi, trackPageErrors } from './helpers';
import { linkIn, waitForMail } from './mail';

test('the verification link from the registration mail confirms the address, once, and the banner goes', async ({
  page,
}) => {
  const errors = trackPageErrors(page);
  const email = await registerViaUi(page);
  await expect(page.getByTestId('verify-banner')).toContainText(email);

  const mail = await waitForMail(email, 'Confirm your email address');
  const link = linkIn(mail, '/verify');
  await page.goto(link);

  await expect(page).toHaveURL(/\/verify$/);
  await expect(page.getByTestId('link-result')).toHaveText('Your email address is confirmed. Thank you.');

  // The dashboard no longer asks.
  await page.goto('/');
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expect(page.getByTestId('verify-banner')).toHaveCount(0);

  // The same link again: used.
  await page.goto(link);
  await expect(page.getByTestId('link-result')).toContainText('already used');
  expect(errors).toEqual([]);
});
