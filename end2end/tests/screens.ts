/**
 * Screenshots at desktop (1280×800) and phone (390×844) width, saved to
 * `end2end/screenshots/` (gitignored) and attached to the report. The
 * screenshot specs run each test once per width with `forEachViewport`.
 */
import path from 'node:path';

import { test, type Page, type TestInfo } from '@playwright/test';

const SCREENSHOT_DIR = path.join(__dirname, '..', 'screenshots');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

export type Viewport = keyof typeof VIEWPORTS;

/** A full-page shot, or with `fullPage: false` what the viewport shows (a modal dialog). */
export async function capture(page: Page, testInfo: TestInfo, name: string, viewport: Viewport, fullPage = true) {
  const file = path.join(SCREENSHOT_DIR, `${name}-${viewport}.png`);
  const body = await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' });
  await testInfo.attach(`${name}-${viewport}`, { body, contentType: 'image/png' });
}

/** Declares the tests `define` makes once per width, each in its own describe block. */
export function forEachViewport(define: (viewport: Viewport) => void) {
  for (const [viewport, size] of Object.entries(VIEWPORTS) as [Viewport, { width: number; height: number }][]) {
    test.describe(`${viewport} (${size.width}×${size.height})`, () => {
      test.use({ viewport: size });
      define(viewport);
    });
  }
}
