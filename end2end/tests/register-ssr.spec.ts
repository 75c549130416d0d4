/**
 * Registering lands on the dashboard, and a reload stays signed in with
 * the user already in the server-rendered HTML: no flash of a signed-out
 * page while the WASM loads.
 */
import { expect, test } from '@playwright/test';

import { bootstrapOf, expectDashboard, registerViaUi, trackPageErrors, uniqueEmail } from './helpers';

/** The email inside the dashboard's `signed-in-email` element of raw HTML. */
function renderedEmail(html: string): string | undefined {
  // Leptos may leave hydration markers (`<!>`, `<!--…-->`) beside text: a
  // cargo-leptos dev build (erase_components) puts `<!>` before `</dd>`.
  const bare = html.replace(/<!--[\s\S]*?-->|<!>/g, '');
  return bare.match(/<dd[^>]*data-testid="signed-in-email"[^>]*>([^<]*)<\/dd>/)?.[1];
}

test('register → dashboard; a reload is rendered signed in by the server', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  const email = uniqueEmail('ssr');

  await registerViaUi(page, email);

  // The page's own request context shares the browser's cookie jar: the
  // first HTML of `/` already names the user (no redirect to the resume hop).
  const html = await page.request.get('/', { maxRedirects: 0 });
  expect(html.status()).toBe(200);
  const body = await html.text();
  expect(renderedEmail(body)).toBe(email);
  expect(bootstrapOf(body).session?.user.email).toBe(email);

  // The same for the browser's own reload: the document response, before
  // any script ran, shows the user.
  const documentResponse = page.waitForResponse(
    (response) => response.request().isNavigationRequest() && new URL(response.url()).pathname === '/',
  );
  await page.reload();
  const reloaded = await documentResponse;
  expect(reloaded.status()).toBe(200);
  const reloadedHtml = await reloaded.text();
  expect(renderedEmail(reloadedHtml)).toBe(email);
  expect(reloadedHtml).not.toContain('Taking you to sign in');

  await expectDashboard(page, email);
  expect(pageErrors).toEqual([]);
});

test('without cookies the server sends the visitor to sign in, not a dashboard', async ({ page }) => {
  const html = await page.request.get('/', { maxRedirects: 0 });
  expect(html.status()).toBe(303);
  expect(html.headers()['location']).toBe('/api/auth/resume?next=/');

  await page.goto('/');
  await expect(page).toHaveURL(/\/login(\?next=(%2F|\/))?$/);
  await expect(page.getByTestId('login-form')).toBeVisible();
  // A first visit: nobody signed out, so the page does not say so.
  await expect(page.getByText('You are signed out')).toHaveCount(0);
});
