/**
 * A page that showed the account must not come back after signing out:
 * pages answer `Cache-Control: no-store` (and `Vary: Cookie`), so the back
 * button asks the server again instead of showing a stored copy.
 */
import { expect, test } from '@playwright/test';

import { registerViaApi, trackPageErrors, uniqueEmail } from './helpers';

test('after signing out, going back does not show the account', async ({ page, baseURL }) => {
  const pageErrors = trackPageErrors(page);
  const email = uniqueEmail('back');
  await registerViaApi(page, email);

  await page.goto('/');
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  const dashboard = await page.request.get('/', { maxRedirects: 0 });
  expect(dashboard.headers()['cache-control']).toContain('no-store');

  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('signed-in-email')).toHaveCount(0);
  await page.goto('/login');
  await expect(page.getByTestId('login-form')).toBeVisible();

  await page.goBack();

  await expect(page).toHaveURL(new RegExp(`^${baseURL}/(login.*)?$`));
  await expect(page.getByTestId('signed-in-email')).toHaveCount(0);
  await expect(page.getByText(email)).toHaveCount(0);
  expect(await page.content()).not.toContain(email);
  expect(pageErrors).toEqual([]);
});
