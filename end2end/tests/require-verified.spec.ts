/**
 * With `AUTH_REQUIRE_VERIFIED_EMAIL=on`: a new account sees only "Check your
 * inbox" until the mailed link is used; then the dashboard. Screenshots of
 * that card at desktop and phone width.
 */
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { registerViaApi, trackPageErrors } from './helpers';
import { linkIn, waitForMail } from './mail';

const SCREENSHOT_DIR = path.join(__dirname, '..', 'screenshots');

test('an unverified account sees only "Check your inbox" until the link is used', async ({ page }, testInfo) => {
  const errors = trackPageErrors(page);
  const { user } = await registerViaApi(page);
  expect(user.email_verified).toBe(false);

  await page.goto('/');
  const card = page.getByTestId('verify-banner');
  await expect(card).toContainText('Check your inbox');
  await expect(card).toContainText(user.email);
  await expect(page.getByTestId('session-row')).toHaveCount(0);
  // The API agrees.
  expect((await page.request.get('/api/me')).status()).toBe(403);
  // Sending the link again works from here.
  await expect(page.getByTestId('verify-resend')).toBeEnabled();
  for (const [name, size] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    await page.setViewportSize(size);
    const body = await page.screenshot({ path: path.join(SCREENSHOT_DIR, `check-inbox-${name}.png`), fullPage: true });
    await testInfo.attach(`check-inbox-${name}`, { body, contentType: 'image/png' });
  }
  await page.getByTestId('verify-resend').click();
  await expect(page.getByTestId('verify-resent')).toBeVisible();

  // The newest link opens the account.
  await page.goto(linkIn(await waitForMail(user.email, 'Confirm your email address', 2), '/verify'));
  await expect(page.getByTestId('link-result')).toHaveText('Your email address is confirmed. Thank you.');
  await page.goto('/');
  await expect(page.getByTestId('signed-in-email')).toHaveText(user.email);
  await expect(page.getByTestId('verify-banner')).toHaveCount(0);
  await expect(page.getByTestId('session-row')).toHaveCount(1);
  expect(errors).toEqual([]);
});
