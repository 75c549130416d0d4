/**
 * The main path through the app in a real browser: register, stay signed in
 * across a reload, sign out; sign in, including a refused attempt. Along the
 * way, tokens must stay out of reach of page scripts.
 */
import { expect, test, type Page } from '@playwright/test';

/** Satisfies any reasonable password policy. */
const PASSWORD = 'Correct-Horse-Battery-42';

/** Default names `__Host-access` / `__Secure-refresh`, or plain variants. */
const TOKEN_COOKIE = /access|refresh/i;

function uniqueEmail(): string {
  const nonce = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return `e2e-${nonce}@example.com`;
}

/** Collects uncaught page errors (a WASM panic surfaces as one). */
function trackPageErrors(page: Page): Error[] {
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  return errors;
}

/**
 * The session cookies exist and are HttpOnly, and nothing a page script can
 * read holds them: not `document.cookie`, not Web Storage.
 */
async function expectTokensHiddenFromScripts(page: Page): Promise<void> {
  const tokenCookies = (await page.context().cookies()).filter((c) => TOKEN_COOKIE.test(c.name));
  expect(tokenCookies.map((c) => c.name)).toHaveLength(2);
  for (const cookie of tokenCookies) {
    expect(cookie.httpOnly, `${cookie.name} is HttpOnly`).toBe(true);
  }

  const visible = await page.evaluate(() => ({
    cookie: document.cookie,
    localStorage: Object.keys(window.localStorage),
    sessionStorage: Object.keys(window.sessionStorage),
  }));
  for (const cookie of tokenCookies) {
    expect(visible.cookie).not.toContain(cookie.value);
  }
  expect(visible.cookie).not.toMatch(TOKEN_COOKIE);
  expect(visible.localStorage).toEqual([]);
  expect(visible.sessionStorage).toEqual([]);
}

test('a new user registers, stays signed in across a reload and signs out', async ({
  page,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);
  const email = uniqueEmail();
  const home = new URL('/', baseURL).href;
  const signInLink = page.getByRole('link', { name: 'Sign in', exact: true });
  const registerLink = page.getByRole('link', { name: 'Create an account' });

  // Signed out: home offers both ways in once the session check has answered.
  await page.goto('/');
  await expect(registerLink).toBeVisible();
  await expect(signInLink).toBeVisible();

  await registerLink.click();
  await expect(page).toHaveURL(new URL('/register', baseURL).href);
  const form = page.getByTestId('register-form');
  const submit = form.getByRole('button', { name: 'Create account' });
  // The button enables only after hydration: type into the live form.
  await expect(submit).toBeEnabled();
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await submit.click();

  await expect(page).toHaveURL(home);
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expectTokensHiddenFromScripts(page);

  await page.reload();
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expectTokensHiddenFromScripts(page);

  await page.getByTestId('sign-out').click();
  await expect(signInLink).toBeVisible();
  await expect(registerLink).toBeVisible();
  await expect(page.getByTestId('signed-in-email')).toHaveCount(0);
  const leftover = (await page.context().cookies()).filter((c) => TOKEN_COOKIE.test(c.name));
  expect(leftover).toEqual([]);

  // Signed out for good, not just on this render.
  await page.reload();
  await expect(signInLink).toBeVisible();

  expect(pageErrors).toEqual([]);
});

test('a wrong password shows the error, the right one signs in', async ({
  page,
  request,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);
  const email = uniqueEmail();
  // Arrange through the API, in its own cookie jar: the browser starts signed out.
  const registered = await request.post('/api/auth/register', {
    data: { email, password: PASSWORD },
  });
  expect(registered.status()).toBe(201);

  await page.goto('/login');
  const form = page.getByTestId('login-form');
  const submit = form.getByRole('button', { name: 'Sign in' });
  await expect(submit).toBeEnabled();

  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(`${PASSWORD}-wrong`);
  await submit.click();

  const error = page.getByTestId('form-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).not.toBeEmpty();
  await expect(page).toHaveURL(new URL('/login', baseURL).href);
  await expect(submit).toBeEnabled();

  await form.getByLabel('Password').fill(PASSWORD);
  await submit.click();

  await expect(page).toHaveURL(new URL('/', baseURL).href);
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expectTokensHiddenFromScripts(page);

  expect(pageErrors).toEqual([]);
});
