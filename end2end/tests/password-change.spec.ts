/**
 * "Change password" on the dashboard: the form checks that the two new
 * passwords match, shows a wrong current password beside its field, and on
 * success signs out every other session of the user (this one stays). After
 * that the old password no longer signs in and the new one does.
 */
import { expect, test, type Page, type Request, type Response } from '@playwright/test';

import {
  PASSWORD,
  REFRESH_PATH,
  expectDashboard,
  loginViaApi,
  registerViaUi,
  signInViaUi,
  trackPageErrors,
} from './helpers';

const NEW_PASSWORD = 'Another-Staple-Horse-77';
const PASSWORD_PATH = '/api/auth/password';

function isPasswordResponse(response: Response): boolean {
  return response.request().method() === 'POST' && new URL(response.url()).pathname === PASSWORD_PATH;
}

async function fillPasswordForm(page: Page, current: string, next: string, confirm = next): Promise<void> {
  const form = page.getByTestId('password-form');
  await form.getByLabel('Current password').fill(current);
  await form.getByLabel('New password', { exact: true }).fill(next);
  await form.getByLabel('Confirm new password').fill(confirm);
}

test('a user changes the password: other sessions end, the old password stops working, the new one signs in', async ({
  browser,
  page,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);
  const email = await registerViaUi(page);

  // A second browser signed in as the same user.
  const other = await browser.newContext({ baseURL });
  try {
    const otherPage = await other.newPage();
    await loginViaApi(otherPage, email);
    await page.reload();
    await expectDashboard(page, email);
    await expect(page.getByTestId('session-row')).toHaveCount(2);

    const form = page.getByTestId('password-form');
    const submit = form.getByRole('button', { name: 'Change password' });
    await expect(submit).toBeEnabled();

    // The two new passwords must match: checked before anything is sent.
    let sent = 0;
    const countSent = (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === PASSWORD_PATH) sent += 1;
    };
    page.on('request', countSent);
    await fillPasswordForm(page, PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}-typo`);
    await submit.click();
    const mismatch = page.getByTestId('password-confirm-error');
    await expect(mismatch).toHaveText('The new passwords do not match.');
    await expect(mismatch).toHaveAttribute('role', 'alert');
    await expect(form.getByLabel('Confirm new password')).toHaveAttribute('aria-invalid', 'true');
    page.off('request', countSent);
    expect(sent).toBe(0);

    // A wrong current password is refused beside its field.
    await fillPasswordForm(page, `${PASSWORD}-wrong`, NEW_PASSWORD);
    const refused = page.waitForResponse(isPasswordResponse);
    await submit.click();
    expect((await refused).status()).toBe(401);
    await expect(page.getByTestId('password-current-error')).toHaveText('Current password is wrong.');
    await expect(form.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('password-changed')).toHaveCount(0);

    // The right one: changed, and the other session is gone.
    await fillPasswordForm(page, PASSWORD, NEW_PASSWORD);
    const changed = page.waitForResponse(isPasswordResponse);
    await submit.click();
    expect((await changed).status()).toBe(204);
    const notice = page.getByTestId('password-changed');
    await expect(notice).toHaveText('Password changed. Your other sessions were signed out.');
    await expect(notice).toHaveAttribute('role', 'status');
    await expect(page.getByTestId('password-current-error')).toHaveCount(0);
    // The inputs are emptied so the passwords do not linger in the page.
    await expect(form.getByLabel('Current password')).toHaveValue('');
    await expect(page.getByTestId('session-row')).toHaveCount(1);
    await expect(page.getByTestId('session-row')).toHaveAttribute('data-current', 'true');
    // This browser is still signed in.
    await expectDashboard(page, email);

    // The other browser's refresh token is dead at once.
    const otherRefresh = await otherPage.request.post(REFRESH_PATH);
    expect(otherRefresh.status()).toBe(401);
    expect((await otherRefresh.json()).error).toBe('refresh_invalid');
  } finally {
    await other.close();
  }

  // Sign out; the old password no longer signs in.
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login\?reason=signed_out$/);
  const loginForm = page.getByTestId('login-form');
  await expect(loginForm.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  const oldLogin = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/auth/login',
  );
  await signInViaUi(page, email, PASSWORD);
  const oldAnswer = await oldLogin;
  expect(oldAnswer.status()).toBe(401);
  expect((await oldAnswer.json()).error).toBe('invalid_credentials');
  await expect(page.getByTestId('form-error')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  // The new one does.
  await signInViaUi(page, email, NEW_PASSWORD);
  await expectDashboard(page, email);

  expect(pageErrors).toEqual([]);
});
