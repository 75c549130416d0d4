/**
 * Playwright against the system Chromium (`npx playwright install` cannot
 * download browsers here).
 *
 * By default it starts the already-built server on a fresh SQLite file
 * through `../scripts/e2e-server.sh`, on port `E2E_PORT` (3100), and waits
 * for `/healthz`. Set `BASE_URL` to test a server that is already running
 * instead (then no server is started).
 */
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? '3100');
const serverUrl = `http://127.0.0.1:${port}`;
const externalBaseUrl = process.env.BASE_URL;

export default defineConfig({
  testDir: './tests',
  // One server, one database: run tests one after another.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],

  use: {
    baseURL: externalBaseUrl ?? serverUrl,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      // The background-networking flags keep Chromium from reaching for the
      // (closed) network; `launch()` already gives each run a fresh profile.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },

  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],

  webServer: externalBaseUrl
    ? undefined
    : {
        command: 'bash ../scripts/e2e-server.sh',
        url: `${serverUrl}/healthz`,
        env: { E2E_PORT: String(port) },
        reuseExistingServer: false,
        timeout: 120_000,
        stdout: 'pipe',
        stderr: 'pipe',
      },
});
