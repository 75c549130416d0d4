/**
 * Playwright against the system Chromium (`npx playwright install` cannot
 * download browsers here).
 *
 * Each project has its own server, started through `../scripts/e2e-server.sh`
 * (the already-built binary on a fresh SQLite file) with its own port and
 * settings; Playwright waits for each `/healthz`:
 *
 * | project     | port (env)                   | settings                                       |
 * |-------------|------------------------------|------------------------------------------------|
 * | `default`   | 3100 (`E2E_PORT`)            | defaults (900 s access life, 300 s lead), an admin seeded |
 * | `short-ttl` | 3101 (`E2E_SHORT_TTL_PORT`)  | `AUTH_ACCESS_TTL_SECS=302`: the refresh is due 2 s after issue |
 * | `verified`  | 3102 (`E2E_VERIFIED_PORT`)   | `AUTH_REQUIRE_VERIFIED_EMAIL=on`, mail to maildev |
 * | `mfa`       | 3103 (`E2E_MFA_PORT`)        | `AUTH_REQUIRE_MFA=admins`, `AUTH_STEP_UP_SECS=5`, an admin seeded, mail to maildev; on `localhost` |
 * | `dbsc`      | 3104 (`E2E_DBSC_PORT`)       | HTTPS on `localhost` (a self-signed certificate made at setup), `AUTH_ACCESS_TTL_SECS=10` (3 s lead), `AUTH_DEVICE_BINDING=required-for-admin`, an admin seeded; Chromium with DBSC on |
 *
 * The `mfa` project runs the `mfa-*.spec.ts` files (passkeys, two-step
 * verification, step-up, the MFA policy and their screenshots); `default`
 * runs the rest. It is served as `http://localhost:3103`: WebAuthn needs a
 * domain name, and refuses `127.0.0.1`.
 *
 * All run with `AUTH_RATE_LIMITS=off`: the suite registers a fresh user
 * per test from one address, beyond the 10 registrations a minute the
 * limits allow.
 *
 * Mail goes to a real SMTP server: maildev (npm), started here too, SMTP on
 * `E2E_SMTP_PORT` (1025) and its REST API on `E2E_MAILDEV_PORT` (1080),
 * which the specs read the mailed links from (`tests/mail.ts`).
 *
 * The `dbsc` project runs the `dbsc-*.spec.ts` files: device-bound sessions,
 * which Chromium does only over HTTPS, with the flags of `../shared/DBSC.md`
 * (software keys, no origin trial token). Every other project runs
 * Chromium without them: browsers that do not bind are not affected.
 *
 * Set `BASE_URL` to test a server that is already running instead: then no
 * server is started and only the `default` project runs (the others need
 * their own settings).
 */
import { defineConfig } from '@playwright/test';

import { dbscTls } from './tests/dbsc-tls';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './tests/helpers';

const defaultPort = Number(process.env.E2E_PORT ?? '3100');
const shortTtlPort = Number(process.env.E2E_SHORT_TTL_PORT ?? '3101');
const verifiedPort = Number(process.env.E2E_VERIFIED_PORT ?? '3102');
const mfaPort = Number(process.env.E2E_MFA_PORT ?? '3103');
const dbscPort = Number(process.env.E2E_DBSC_PORT ?? '3104');
const externalBaseUrl = process.env.BASE_URL;
export const smtpPort = Number(process.env.E2E_SMTP_PORT ?? '1025');
export const maildevPort = Number(process.env.E2E_MAILDEV_PORT ?? '1080');

const url = (port: number) => `http://127.0.0.1:${port}`;
const localhostUrl = (port: number) => `http://localhost:${port}`;

/** A server for one project: the script reads `E2E_PORT`, passes the rest on. */
function server(port: number, env: Record<string, string>, origin = url(port)) {
  return {
    command: 'bash ../scripts/e2e-server.sh',
    url: `${origin}/healthz`,
    // The `dbsc` server's certificate is self-signed.
    ignoreHTTPSErrors: true,
    env: { E2E_PORT: String(port), AUTH_RATE_LIMITS: 'off', ...env },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
  };
}

/** Specs that need the short access life; everything else runs on `default`. */
const SHORT_TTL_SPECS = /short-ttl\.spec\.ts$/;
/** Specs that need `AUTH_REQUIRE_VERIFIED_EMAIL=on`. */
const VERIFIED_SPECS = /require-verified\.spec\.ts$/;
/** Specs that need `AUTH_REQUIRE_MFA=admins` and a 5 s step-up window. */
const MFA_SPECS = /mfa-.*\.spec\.ts$/;
/** Specs that need HTTPS and a Chromium that binds sessions (DBSC). */
const DBSC_SPECS = /dbsc-.*\.spec\.ts$/;

/** Chromium's switches for every project. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Playwright's own `--enable-features`: replaced by the `dbsc` project's (the last switch wins). */
const PLAYWRIGHT_FEATURES = 'CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies';
/**
 * DBSC without an origin trial token, refresh quota or subdomain check, on
 * software keys (Linux has no hardware key provider): `../shared/DBSC.md`.
 */
const DBSC_FEATURES = [
  'DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false/CheckSubdomainRegistration/false',
  'EnableBoundSessionCredentialsSoftwareKeysForManualTesting',
  PLAYWRIGHT_FEATURES,
].join(',');
const dbscOrigin = `https://localhost:${dbscPort}`;
const tls = externalBaseUrl ? undefined : dbscTls();

export default defineConfig({
  testDir: './tests',
  // One server per project, one database each: run tests one after another.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],

  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      // The background-networking flags keep Chromium from reaching for the
      // (closed) network; `launch()` already gives each run a fresh profile.
      args: CHROMIUM_ARGS,
    },
  },

  projects: externalBaseUrl
    ? [
        {
          name: 'default',
          testIgnore: [SHORT_TTL_SPECS, VERIFIED_SPECS, MFA_SPECS, DBSC_SPECS],
          use: { baseURL: externalBaseUrl },
        },
      ]
    : [
        {
          name: 'default',
          testIgnore: [SHORT_TTL_SPECS, VERIFIED_SPECS, MFA_SPECS, DBSC_SPECS],
          use: { baseURL: url(defaultPort) },
        },
        { name: 'short-ttl', testMatch: SHORT_TTL_SPECS, use: { baseURL: url(shortTtlPort) } },
        { name: 'verified', testMatch: VERIFIED_SPECS, use: { baseURL: url(verifiedPort) } },
        { name: 'mfa', testMatch: MFA_SPECS, use: { baseURL: localhostUrl(mfaPort) } },
        {
          name: 'dbsc',
          testMatch: DBSC_SPECS,
          use: {
            baseURL: dbscOrigin,
            launchOptions: {
              executablePath: '/usr/bin/chromium',
              ignoreDefaultArgs: [`--enable-features=${PLAYWRIGHT_FEATURES}`],
              args: [
                ...CHROMIUM_ARGS,
                `--ignore-certificate-errors-spki-list=${tls?.spki}`,
                `--enable-features=${DBSC_FEATURES}`,
              ],
            },
          },
        },
      ],

  webServer: externalBaseUrl
    ? undefined
    : [
        {
          command: `npx maildev --smtp ${smtpPort} --ip 127.0.0.1 --web ${maildevPort} --web-ip 127.0.0.1`,
          url: `http://127.0.0.1:${maildevPort}/api/healthz`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: 'pipe' as const,
          stderr: 'pipe' as const,
        },
        server(defaultPort, {
          AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
          AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
          AUTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        }),
        server(shortTtlPort, { AUTH_ACCESS_TTL_SECS: '302' }),
        server(verifiedPort, {
          AUTH_REQUIRE_VERIFIED_EMAIL: 'on',
          AUTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        }),
        // Its own database, so the seeded admin here is not the default one.
        server(mfaPort, {
          AUTH_PUBLIC_ORIGIN: localhostUrl(mfaPort),
          AUTH_REQUIRE_MFA: 'admins',
          AUTH_STEP_UP_SECS: '5',
          AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
          AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
          AUTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        }),
        server(
          dbscPort,
          {
            AUTH_PUBLIC_ORIGIN: dbscOrigin,
            AUTH_TLS_CERT: tls?.cert ?? '',
            AUTH_TLS_KEY: tls?.key ?? '',
            AUTH_ACCESS_TTL_SECS: '10',
            AUTH_DEVICE_BINDING: 'required-for-admin',
            AUTH_REFRESH_LEAD_SECS: '3',
            AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
            AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
          },
          dbscOrigin,
        ),
      ],
});
