/**
 * Refresh-token reuse, seen from the victim's side: a copy of an old refresh
 * token replayed after the grace window kills the whole session, and the
 * victim's browser lands on sign-in with a notice that says why.
 */
import { expect, test } from '@playwright/test';

import { REFRESH_COOKIE, REFRESH_PATH, TOKEN_COOKIE, gotoSignedIn, registerViaApi, trackPageErrors } from './helpers';

/** AUTH_REUSE_GRACE_SECS on the e2e servers (the default), plus a second. */
const PAST_GRACE_MS = 11_000;

test('a session killed for refresh-token reuse lands on sign-in saying why', async ({ page, playwright, baseURL }) => {
  test.setTimeout(60_000);
  const pageErrors = trackPageErrors(page);
  await registerViaApi(page);
  await gotoSignedIn(page);

  // A thief copies the refresh cookie; then the browser rotates it, so the
  // copy becomes the live token's parent.
  const stolen = (await page.context().cookies()).find((c) => REFRESH_COOKIE.test(c.name));
  expect(stolen, 'the refresh cookie is set').toBeDefined();
  const rotated = await page.request.post(REFRESH_PATH);
  expect(rotated.status()).toBe(200);

  // Past the grace window for racing tabs, the replay is reuse.
  await page.waitForTimeout(PAST_GRACE_MS);
  const thief = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { cookie: `${stolen!.name}=${stolen!.value}` },
  });
  try {
    const replay = await thief.post(REFRESH_PATH);
    expect(replay.status()).toBe(401);
    expect((await replay.json()).error).toBe('refresh_reused');
  } finally {
    await thief.dispose();
  }

  // The victim's live tokens died with the session: the next page load
  // goes through the resume hop, which is refused as reuse.
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?reason=reused/);
  const notice = page.getByTestId('login-notice');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('an old sign-in token of this session was used again');
  expect((await page.context().cookies()).filter((c) => TOKEN_COOKIE.test(c.name))).toEqual([]);
  expect(pageErrors).toEqual([]);
});
