/**
 * A link from another site to a protected page, with only the refresh
 * cookie left: the resume hop is reached cross-site, so it rotates nothing
 * and answers a page that asks again; Chromium sends that second request
 * as same-origin, which resumes the session. The user lands signed in.
 * (`localhost` and `127.0.0.1` are different sites.)
 */
import { expect, test } from '@playwright/test';

import { ACCESS_COOKIE, registerViaApi, trackPageErrors, uniqueEmail } from './helpers';

test('a link from another site to the dashboard resumes the session through a same-origin bounce', async ({
  page,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);
  const email = uniqueEmail('cross');
  await registerViaApi(page, email);
  // The access cookie has expired in the browser; the refresh cookie is left.
  const cookies = await page.context().cookies();
  await page.context().clearCookies();
  await page.context().addCookies(cookies.filter((c) => !ACCESS_COOKIE.test(c.name)));
  const sites: Promise<string>[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/auth/resume')) {
      sites.push(
        request
          .allHeaders()
          .then((headers) => headers['sec-fetch-site'] ?? '')
          .catch(() => 'unknown'),
      );
    }
  });

  // Another site (localhost, not 127.0.0.1) links to our dashboard.
  const home = new URL('/', baseURL).href;
  const elsewhere = home.replace('127.0.0.1', 'localhost');
  await page.goto(new URL('/login', elsewhere).href);
  // Hydration walks the server's DOM: change it only once that is done
  // (the button enables then), or hydration meets a node it did not render.
  await expect(page.getByTestId('login-form').getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await page.evaluate((target) => {
    const link = document.createElement('a');
    link.href = target;
    link.id = 'cross-site-link';
    link.textContent = 'to the app';
    document.body.prepend(link);
  }, home);
  await page.click('#cross-site-link');

  await expect(page).toHaveURL(home);
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  // Two trips through resume: the bounced one, then the one that rotated,
  // which the browser sent as same-origin.
  const seen = await Promise.all(sites);
  expect(seen, seen.join(', ')).toHaveLength(2);
  expect(seen[1]).toBe('same-origin');
  expect(pageErrors).toEqual([]);
});
