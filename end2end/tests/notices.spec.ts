/**
 * Security notices arrive by real mail: a sign-in from a device the account
 * was not used on before.
 */
import { expect, test } from '@playwright/test';

import { PASSWORD, registerViaApi } from './helpers';
import { waitForMail } from './mail';

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

test('a sign-in from a new device mails a notice naming the device', async ({ browser, page }) => {
  const { user } = await registerViaApi(page);

  const elsewhere = await browser.newContext({ userAgent: FIREFOX_ON_WINDOWS });
  const response = await elsewhere.request.post('/api/auth/login', { data: { email: user.email, password: PASSWORD } });
  expect(response.status()).toBe(200);

  const notice = await waitForMail(user.email, 'New sign-in to your account');
  expect(notice.text).toContain('Firefox on Windows');
  await elsewhere.close();
});
