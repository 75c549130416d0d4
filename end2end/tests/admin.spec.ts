/**
 * `/admin`: a plain user gets the 403 page (and the document answers 403);
 * the admin the server seeded (`AUTH_ADMIN_EMAIL` / `AUTH_ADMIN_PASSWORD`)
 * gets the users list.
 */
import { expect, test } from '@playwright/test';

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expectDashboard,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
  uniqueEmail,
} from './helpers';

test('a user gets the 403 page, with status 403', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  const { user } = await registerViaApi(page);

  const response = await page.goto('/admin');
  expect(response?.status()).toBe(403);
  expect(new URL(response!.url()).pathname).toBe('/admin');
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await expect(page.getByTestId('forbidden')).toContainText('Access denied');
  await expect(page.getByTestId('admin-users')).toHaveCount(0);
  // No admin link for a user, and the API refuses too.
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  const api = await page.request.get('/api/admin/users');
  expect(api.status()).toBe(403);
  expect((await api.json()).error).toBe('forbidden');

  // The way back works once hydrated.
  await page.getByRole('link', { name: 'Back to your dashboard' }).click();
  await expectDashboard(page, user.email);
  expect(pageErrors).toEqual([]);
});

test('the seeded admin gets the users list', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  // Someone else to list.
  const listedEmail = (await registerViaApi(page, uniqueEmail('listed'))).user.email;
  await page.context().clearCookies();

  await page.goto('/login?next=/admin');
  await signInViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin$/);
  const users = page.getByTestId('admin-users');
  await expect(users).toBeVisible();
  const adminRow = users.getByTestId('admin-user-row').filter({ hasText: ADMIN_EMAIL });
  await expect(adminRow).toHaveCount(1);
  await expect(adminRow).toContainText('admin');
  await expect(users.getByTestId('admin-user-row').filter({ hasText: listedEmail })).toHaveCount(1);

  // A full load of /admin as the admin answers 200 and shows the same.
  const response = await page.reload();
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('admin-users')).toBeVisible();
  await expect(page.getByTestId('forbidden')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();
  expect(pageErrors).toEqual([]);
});
