/**
 * Helpers of the `dbsc` project: watching Chromium's device-bound sessions
 * over CDP, and reading the audit log as a bound admin.
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

import { ADMIN_EMAIL, ADMIN_PASSWORD, expectDashboard, signInViaUi } from './helpers';

/** The server's access token life in this project (`AUTH_ACCESS_TTL_SECS`). */
export const ACCESS_TTL_SECS = 10;

/** One `Network.deviceBoundSessionEventOccurred` (the fields the specs read). */
export interface DbscEvent {
  sessionId?: string;
  succeeded: boolean;
  creationEventDetails?: { fetchResult: string };
  /** `wasFullyProactiveRefresh: false`: a request was held for it. */
  refreshEventDetails?: { refreshResult: string; fetchResult?: string; wasFullyProactiveRefresh?: boolean };
  challengeEventDetails?: { challengeResult: string };
  terminationEventDetails?: { deletionReason: string };
}

/** Chromium's DBSC events for `page`, collected as they come. */
export async function watchDbsc(page: Page): Promise<DbscEvent[]> {
  const cdp = await page.context().newCDPSession(page);
  const events: DbscEvent[] = [];
  cdp.on('Network.deviceBoundSessionEventOccurred', (event) => events.push(event as DbscEvent));
  await cdp.send('Network.enable');
  await cdp.send('Network.enableDeviceBoundSessions', { enable: true });
  return events;
}

export const registered = (events: DbscEvent[]) =>
  events.filter((event) => event.creationEventDetails?.fetchResult === 'Success');
export const refreshed = (events: DbscEvent[]) =>
  events.filter((event) => event.refreshEventDetails?.refreshResult === 'Refreshed');

/** `GET /api/auth/session` made by the page itself (so the browser may hold it and renew). */
export async function pageSession(page: Page): Promise<{ status: number; body: any }> {
  return page.evaluate(async () => {
    const response = await fetch('/api/auth/session', { credentials: 'same-origin' });
    return { status: response.status, body: await response.json().catch(() => null) };
  });
}

/** Waits until the page's session says it is bound to the device. */
export async function expectBound(page: Page): Promise<string> {
  let sessionId = '';
  await expect
    .poll(async () => {
      const { body } = await pageSession(page);
      sessionId = body?.session_id ?? '';
      return body?.bound;
    })
    .toBe(true);
  return sessionId;
}

/** The access cookie's value in `context`. */
export async function accessCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => /access/.test(cookie.name))?.value;
}

/**
 * Audit events of `kind` for `sessionId`, read by the seeded admin signed
 * in through the UI of a context of its own (bound like any other: the
 * project's server requires that of the admin API).
 */
export async function auditEvents(browser: Browser, kind: string, sessionId: string): Promise<any[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto('/login');
    await signInViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await expectDashboard(page, ADMIN_EMAIL);
    await expectBound(page);
    const events = await page.evaluate(async (path) => {
      const response = await fetch(path);
      return response.ok ? await response.json() : { status: response.status, body: await response.text() };
    }, `/api/admin/events?kind=${kind}&limit=200`);
    expect(Array.isArray(events), JSON.stringify(events)).toBe(true);
    return (events as any[]).filter((event) => event.session_id === sessionId);
  } finally {
    await context.close();
  }
}
