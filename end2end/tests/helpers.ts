/**
 * Shared pieces of the browser specs: unique users, signing up and in (by
 * the UI or by the API, whose cookies land in the page's context), counting
 * requests, reading the session the server rendered, and driving the page
 * clock to the refresh scheduler's deadline.
 */
import {
  expect,
  type APIResponse,
  type BrowserContext,
  type Page,
  type Request,
  type Response,
} from '@playwright/test';

/** Satisfies the password rules (8 to 1024 characters). */
export const PASSWORD = 'Correct-Horse-Battery-42';

/** The admin the `default` and `mfa` servers seed (see `playwright.config.ts`). */
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-123';

/** `AUTH_REFRESH_LEAD_SECS` of both test servers (the default). */
export const REFRESH_LEAD_SECS = 300;

/** Default names `__Host-access` / `__Secure-refresh`, or plain variants. */
export const TOKEN_COOKIE = /access|refresh/i;
export const REFRESH_COOKIE = /refresh/i;
export const ACCESS_COOKIE = /access/i;

export const REFRESH_PATH = '/api/auth/refresh';
export const SESSION_PATH = '/api/auth/session';

/** The `SessionInfo` of the contract (register, login, refresh, session). */
export interface SessionInfo {
  user: { id: string; email: string; roles: string[]; email_verified: boolean };
  session_id: string;
  access_expires_at: number;
  refresh_expires_at: number;
  expires_in: number;
  server_time: number;
  /** When the user last proved themselves (sign-in or step-up), Unix seconds. */
  auth_time: number;
  /** How they did (`pwd`, `otp`, `mfa`, …). */
  amr: string[];
  /** `AUTH_REQUIRE_MFA` covers the user, who has no second factor yet. */
  mfa_enrolment_required: boolean;
}

/** What the server hands the page in its data island. */
export interface Bootstrap {
  session: SessionInfo | null;
  refresh_lead_secs: number;
}

export function uniqueEmail(tag = 'e2e'): string {
  const nonce = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return `${tag}-${nonce}@example.com`;
}

/** Collects uncaught page errors (a WASM panic surfaces as one). */
export function trackPageErrors(page: Page): Error[] {
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  return errors;
}

/**
 * Registers through the API with the page's own request context, which
 * shares the browser context's cookie jar: the page is signed in afterwards.
 */
export async function registerViaApi(page: Page, email = uniqueEmail()): Promise<SessionInfo> {
  const response = await page.request.post('/api/auth/register', { data: { email, password: PASSWORD } });
  expect(response.status(), await describe(response)).toBe(201);
  return (await response.json()) as SessionInfo;
}

/** Signs in through the API into the page's context (like `registerViaApi`). */
export async function loginViaApi(page: Page, email: string, password = PASSWORD): Promise<SessionInfo> {
  const response = await page.request.post('/api/auth/login', { data: { email, password } });
  expect(response.status(), await describe(response)).toBe(200);
  return (await response.json()) as SessionInfo;
}

/** Fills and submits the register form; lands on the dashboard. */
export async function registerViaUi(page: Page, email = uniqueEmail()): Promise<string> {
  await page.goto('/register');
  await submitCredentials(page, 'register-form', 'Create account', email, PASSWORD);
  await expectDashboard(page, email);
  return email;
}

/** Fills and submits the sign-in form (on whatever `/login` page is open). */
export async function signInViaUi(page: Page, email: string, password = PASSWORD): Promise<void> {
  await submitCredentials(page, 'login-form', 'Sign in', email, password);
}

async function submitCredentials(
  page: Page,
  formId: string,
  buttonName: string,
  email: string,
  password: string,
): Promise<void> {
  const form = page.getByTestId(formId);
  const submit = form.getByRole('button', { name: buttonName });
  // The button enables only after hydration: type into the live form.
  await expect(submit).toBeEnabled();
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await submit.click();
}

/** The dashboard, hydrated, for `email`. */
export async function expectDashboard(page: Page, email: string): Promise<void> {
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('signed-in-email')).toHaveText(email);
  await expectHydrated(page);
}

/** The dashboard's buttons enable only once the WASM has hydrated the page. */
export async function expectHydrated(page: Page): Promise<void> {
  await expect(page.getByTestId('sign-out')).toBeEnabled();
}

/** Requests matching `method` and `path` seen so far, and when. */
export interface RequestLog {
  readonly requests: Request[];
  readonly count: number;
  /** Milliseconds (test-runner clock) at which each request went out. */
  readonly times: number[];
  stop(): void;
}

/**
 * Counts the requests that match, from every page of the context (or the
 * one page given).
 */
export function countRequests(target: Page | BrowserContext, method: string, path: string): RequestLog {
  const requests: Request[] = [];
  const times: number[] = [];
  const listener = (request: Request) => {
    if (request.method() === method && new URL(request.url()).pathname === path) {
      requests.push(request);
      times.push(Date.now());
    }
  };
  target.on('request', listener);
  return {
    requests,
    times,
    get count() {
      return requests.length;
    },
    stop: () => target.off('request', listener),
  };
}

export const countRefreshes = (target: Page | BrowserContext) => countRequests(target, 'POST', REFRESH_PATH);

/** A response to `POST /api/auth/refresh` with the status given. */
export function isRefreshResponse(status: number) {
  return (response: Response) =>
    response.request().method() === 'POST' &&
    new URL(response.url()).pathname === REFRESH_PATH &&
    response.status() === status;
}

/**
 * Asserts that `value()` keeps equalling `expected` for `ms`: the absence
 * of an event can only be observed for a while. Polls, so a change fails
 * at once rather than at the end.
 */
export async function expectStays<T>(value: () => T | Promise<T>, expected: T, ms: number, message?: string) {
  const end = Date.now() + ms;
  do {
    expect((await value()) as unknown, message).toEqual(expected);
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < end);
  expect((await value()) as unknown, message).toEqual(expected);
}

/** The value of the context's cookie whose name matches. */
export async function cookieValue(context: BrowserContext, name: RegExp): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => name.test(cookie.name))?.value;
}

/**
 * The session cookies exist and are HttpOnly, and nothing a page script can
 * read holds them: not `document.cookie`, not Web Storage (keys or values).
 */
export async function expectTokensHiddenFromScripts(page: Page): Promise<void> {
  const tokenCookies = (await page.context().cookies()).filter((c) => TOKEN_COOKIE.test(c.name));
  expect(tokenCookies.map((c) => c.name).sort()).toHaveLength(2);
  for (const cookie of tokenCookies) {
    expect(cookie.httpOnly, `${cookie.name} is HttpOnly`).toBe(true);
  }

  const visible = await page.evaluate(() => {
    const dump = (storage: Storage) =>
      Object.keys(storage).map((key) => ({ key, value: storage.getItem(key) ?? '' }));
    return { cookie: document.cookie, local: dump(localStorage), session: dump(sessionStorage) };
  });
  expect(visible.cookie).not.toMatch(TOKEN_COOKIE);
  const everything = [visible.cookie, ...[...visible.local, ...visible.session].flatMap((e) => [e.key, e.value])];
  for (const cookie of tokenCookies) {
    for (const text of everything) {
      expect(text, `${cookie.name} is not readable by scripts`).not.toContain(cookie.value);
    }
  }
  // Nothing shaped like a JWT (three base64url parts) anywhere either.
  for (const text of everything) {
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  }
  expect(visible.local).toEqual([]);
  expect(visible.session).toEqual([]);
}

/** The bootstrap data island of a server-rendered page's HTML. */
export function bootstrapOf(html: string): Bootstrap {
  const match = html.match(/<script type="application\/json" id="cookie-auth-bootstrap">([\s\S]*?)<\/script>/);
  expect(match, 'the page carries its bootstrap data island').not.toBeNull();
  return JSON.parse(match![1]) as Bootstrap;
}

/**
 * Opens `path` and returns the session the server rendered it with (from
 * the document response, before the WASM removes the island).
 */
export async function gotoSignedIn(page: Page, path = '/'): Promise<SessionInfo> {
  const response = await page.goto(path);
  expect(response, `a document response for ${path}`).not.toBeNull();
  const { session } = bootstrapOf(await response!.text());
  expect(session, 'the page was rendered signed in').not.toBeNull();
  await expectHydrated(page);
  return session!;
}

/**
 * The page-clock time (`performance.now()`, ms) at which the scheduler
 * means to refresh the session the page was rendered with: it counts from
 * the page's start (`performance.now() == 0`; with Playwright's clock, the
 * clock's install) and is due `lead` seconds before `expires_in` runs out.
 */
export function refreshDueTicks(rendered: SessionInfo, leadSecs = REFRESH_LEAD_SECS): number {
  return (rendered.expires_in - leadSecs) * 1000;
}

/**
 * With Playwright's clock installed: jumps the page's clock (timers fire
 * on the way) to `ticks` of `performance.now()`, or a few milliseconds
 * past it, never before, and pauses it there.
 */
export async function pauseClockAtTicks(page: Page, ticks: number): Promise<void> {
  // Wall time = origin + ticks until `setSystemTime` moves it; the
  // scheduler's `Anchor::page_start` uses the same origin. While the clock
  // runs, `performance.now()` read first and `Date.now()` (whole ms) read
  // second can only overstate the origin, by the time between the reads
  // and a millisecond of rounding, so the jump never falls short.
  const origin = await page.evaluate(() => {
    const ticksNow = performance.now();
    return Math.ceil(Date.now() - ticksNow) + 1;
  });
  await page.clock.pauseAt(origin + Math.ceil(ticks));
}

/**
 * Waits until the server's clock has left the second in which the current
 * access token was issued (its `expires_in` has dropped below the full
 * `lifeSecs`).
 *
 * A tab tells that another tab refreshed by a *later* `access_expires_at`
 * (whole seconds). With Playwright's clock the page jumps minutes ahead
 * while the server's clock stands still, so a refresh could land in the
 * very second the token it replaces was issued, with the same expiry, which
 * no real refresh (at least 1 s after issue) can. Two-tab tests call this
 * before each jump to keep the page's time travel consistent with the
 * server's.
 */
export async function serverClockPastIssue(page: Page, lifeSecs = 900): Promise<void> {
  await expect
    .poll(async () => {
      const response = await page.request.get(SESSION_PATH);
      expect(response.status()).toBe(200);
      return ((await response.json()) as SessionInfo).expires_in;
    }, { intervals: [100] })
    .toBeLessThan(lifeSecs);
}

/** The access-token countdown of the dashboard, in seconds. */
export async function countdown(page: Page): Promise<number> {
  return Number(await page.getByTestId('access-countdown').textContent());
}

async function describe(response: APIResponse): Promise<string> {
  return `${response.status()} ${response.url()}: ${await response.text()}`;
}
