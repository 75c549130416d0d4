/**
 * Screenshots of every page at desktop (1280×800) and phone (390×844)
 * width, saved to `end2end/screenshots/` (gitignored) and attached to the
 * report. Each waits until the page is hydrated and its data has loaded.
 */
import { expect, test, } from '@playwright/test';

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expectHydrated,
  PASSWORD,
  loginViaApi,
  registerViaApi,
  trackPageErrors,
} from './helpers';
import { capture, forEachViewport } from './screens';
import { linkIn, waitForMail } from './mail';

forEachViewport((viewport) => {

  test('login', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await page.goto('/login');
    await expect(page.getByTestId('login-form').getByRole('button', { name: 'Sign in' })).toBeEnabled();
    await capture(page, testInfo, 'login', viewport);
    expect(errors).toEqual([]);
  });

  test('register', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await page.goto('/register');
    await expect(page.getByTestId('register-form').getByRole('button', { name: 'Create account' })).toBeEnabled();
    await capture(page, testInfo, 'register', viewport);
    expect(errors).toEqual([]);
  });

  test('dashboard', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    const { user } = await registerViaApi(page);
    await page.goto('/');
    await expectHydrated(page);
    await expect(page.getByTestId('signed-in-email')).toHaveText(user.email);
    await expect(page.getByTestId('session-row')).toHaveCount(1);
    // The live clock has ticked once: the browser's own "At hh:mm:ss" time
    // has replaced the server's "In 10:00".
    await expect(page.getByTestId('next-refresh')).toHaveText(/^At \d\d:\d\d:\d\d \(in \d+:\d\d\)$/);
    await capture(page, testInfo, 'dashboard', viewport);
    expect(errors).toEqual([]);
  });

  test('admin', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await loginViaApi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const response = await page.goto('/admin');
    expect(response?.status()).toBe(200);
    await expect(page.getByTestId('admin-user-row').first()).toBeVisible();
    await capture(page, testInfo, 'admin', viewport);
    expect(errors).toEqual([]);
  });

  test('forgot', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await page.goto('/forgot');
    await expect(page.getByTestId('forgot-form').getByRole('button', { name: 'Send reset link' })).toBeEnabled();
    await capture(page, testInfo, 'forgot', viewport);
    expect(errors).toEqual([]);
  });

  test('reset', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await page.goto('/reset?token=' + 'A'.repeat(43));
    await expect(page).toHaveURL(/\/reset$/);
    await expect(page.getByTestId('reset-form').getByRole('button', { name: 'Set new password' })).toBeEnabled();
    await capture(page, testInfo, 'reset', viewport);
    expect(errors).toEqual([]);
  });

  test('verify', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    const { user } = await registerViaApi(page);
    await page.goto(linkIn(await waitForMail(user.email, 'Confirm your email address'), '/verify'));
    await expect(page.getByTestId('link-result')).toHaveText('Your email address is confirmed. Thank you.');
    await capture(page, testInfo, 'verify', viewport);
    expect(errors).toEqual([]);
  });

  test('confirm-email and undo-email', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    const { user } = await registerViaApi(page);
    const newEmail = `moved-${Date.now()}-${viewport}@example.com`;
    const asked = await page.request.post('/api/auth/email/change', {
      data: { new_email: newEmail, password: PASSWORD },
    });
    expect(asked.status()).toBe(202);
    await page.goto(linkIn(await waitForMail(newEmail, 'Confirm your new email address'), '/confirm-email'));
    await expect(page.getByTestId('link-result')).toContainText('Your account now uses this address');
    await capture(page, testInfo, 'confirm-email', viewport);
    await page.goto(linkIn(await waitForMail(user.email, 'Your email address was changed'), '/undo-email'));
    await expect(page.getByTestId('link-result')).toContainText('Your old address is back');
    await capture(page, testInfo, 'undo-email', viewport);
    expect(errors).toEqual([]);
  });

  test('403', async ({ page }, testInfo) => {
    const errors = trackPageErrors(page);
    await registerViaApi(page);
    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await expect(page.getByTestId('forbidden')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Back to your dashboard' })).toBeVisible();
    await capture(page, testInfo, '403', viewport);
    expect(errors).toEqual([]);
  });
});
