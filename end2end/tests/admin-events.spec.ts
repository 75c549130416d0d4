/**
 * `/admin` for the seeded admin: the recent auth events (its own sign-in
 * among them) and the roles editor. A role change reaches the user's own
 * browser at its next request: the old access token is refused, the app
 * refreshes (as it does on any `401`), and the new token carries the roles.
 */
import { expect, test, type Page, type Response } from '@playwright/test';

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expectDashboard,
  registerViaApi,
  signInViaUi,
  trackPageErrors,
  uniqueEmail,
} from './helpers';

const EVENTS_PATH = '/api/admin/events';

/** Signs the admin in through the form and lands on `/admin`. */
async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto('/login?next=/admin');
  await signInViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page).toHaveURL(/\/admin$/);
}

/** Matches the cell naming a user: their email, or their id without one. */
function naming(email: string, id: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escape(email)}|${escape(id)}`);
}

function isEventsResponse(response: Response): boolean {
  return response.request().method() === 'GET' && new URL(response.url()).pathname === EVENTS_PATH;
}

test('the admin sees the recent auth events, its own sign-in among them', async ({ page }) => {
  const pageErrors = trackPageErrors(page);
  const firstLoad = page.waitForResponse(isEventsResponse);
  await signInAsAdmin(page);
  const loaded = await firstLoad;
  expect(loaded.status()).toBe(200);
  expect(new URL(loaded.url()).searchParams.get('limit')).toBe('50');

  const me = await page.request.get('/api/me');
  expect(me.status()).toBe(200);
  const admin = (await me.json()) as { id: string };

  const events = page.getByTestId('events');
  await expect(events).toBeVisible();
  const logins = events.locator('tr[data-kind="login_succeeded"]');
  await expect(logins.filter({ hasText: naming(ADMIN_EMAIL, admin.id) }).first()).toBeVisible();
  const rows = events.getByTestId('event-row');
  expect(await rows.count()).toBeLessThanOrEqual(50);
  // Every row names its kind, and times are shown as dates.
  for (const kind of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')))) {
    expect(kind).toMatch(/^[a-z_]+$/);
  }
  await expect(logins.first().locator('time')).toHaveAttribute('datetime', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

  // "Reload" asks again and shows the answer.
  const reload = page.getByTestId('events-reload');
  await expect(reload).toBeEnabled();
  const reloaded = page.waitForResponse(isEventsResponse);
  await reload.click();
  expect((await reloaded).status()).toBe(200);
  await expect(reload).toBeEnabled();
  await expect(logins.first()).toBeVisible();

  expect(pageErrors).toEqual([]);
});

test("the admin changes a user's roles; the user's browser gets them at its next request", async ({
  browser,
  page,
  baseURL,
}) => {
  const pageErrors = trackPageErrors(page);

  // The user, signed in on the dashboard of their own browser.
  const other = await browser.newContext({ baseURL });
  try {
    const userPage = await other.newPage();
    const userErrors = trackPageErrors(userPage);
    const { user } = await registerViaApi(userPage, uniqueEmail('roles'));
    await userPage.goto('/');
    await expectDashboard(userPage, user.email);
    await expect(userPage.getByTestId('roles')).toHaveText('user');

    // The admin gives them `user editor`.
    await signInAsAdmin(page);
    // The first load of the events is done before the change.
    await expect(page.getByTestId('events')).toBeVisible();
    const input = page.getByTestId(`role-input-${user.email}`);
    const save = page.getByTestId(`role-save-${user.email}`);
    await expect(input).toHaveValue('user');
    await expect(save).toBeEnabled();
    await input.fill('user editor');
    const saved = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/admin/users/${user.id}/roles`,
    );
    const eventsAfter = page.waitForResponse(isEventsResponse);
    await save.click();
    const answer = await saved;
    expect(answer.status()).toBe(200);
    expect((await answer.json()).roles).toEqual(expect.arrayContaining(['user', 'editor']));
    await expect(page.getByTestId(`role-status-${user.email}`)).toHaveText('Saved.');
    await expect(page.getByTestId(`role-error-${user.email}`)).toHaveCount(0);
    const row = page.getByTestId('admin-user-row').filter({ hasText: user.email });
    await expect(row.getByTestId('admin-user-roles')).toContainText('editor');

    // The change is in the events, which load again after it.
    expect((await eventsAfter).status()).toBe(200);
    await expect(
      page.getByTestId('events').locator('tr[data-kind="role_changed"]').filter({ hasText: naming(user.email, user.id) }),
    ).not.toHaveCount(0);

    // A role the server refuses is shown beside the field.
    await input.fill('Not A Role!');
    const refused = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/admin/users/${user.id}/roles`,
    );
    await save.click();
    expect((await refused).status()).toBe(422);
    await expect(page.getByTestId(`role-error-${user.email}`)).toBeVisible();
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await expect(row.getByTestId('admin-user-roles')).toContainText('editor');

    // The user's access token (issued before the change) is refused within
    // a second; the page's next API call gets that 401, the app refreshes,
    // and the dashboard shows the new roles, still signed in.
    await expect.poll(async () => (await userPage.request.get('/api/me')).status(), { timeout: 5_000 }).toBe(401);
    await userPage.reload();
    await expect(userPage.getByTestId('roles')).toContainText('editor');
    await expectDashboard(userPage, user.email);
    const me = await userPage.request.get('/api/me');
    expect(me.status()).toBe(200);
    expect((await me.json()).roles).toEqual(expect.arrayContaining(['user', 'editor']));
    expect(userErrors).toEqual([]);
  } finally {
    await other.close();
  }

  expect(pageErrors).toEqual([]);
});
