/**
 * The mail the server under test sent, read from maildev's REST API (the
 * real SMTP server the Playwright config starts).
 */
import { expect } from '@playwright/test';

const MAILDEV = `http://127.0.0.1:${process.env.E2E_MAILDEV_PORT ?? '1080'}`;

export interface Mail {
  subject: string;
  text: string;
  to: { address: string }[];
}

/** Every mail maildev holds for `address`, oldest first. */
export async function mailsTo(address: string): Promise<Mail[]> {
  const response = await fetch(`${MAILDEV}/api/email`);
  expect(response.ok, `maildev answered ${response.status}`).toBe(true);
  const all = (await response.json()) as Mail[];
  return all.filter((mail) => mail.to.some((to) => to.address.toLowerCase() === address.toLowerCase()));
}

/** Waits for the newest mail to `address` with `subject`. */
export async function waitForMail(address: string, subject: string, count = 1): Promise<Mail> {
  let found: Mail[] = [];
  await expect
    .poll(
      async () => {
        found = (await mailsTo(address)).filter((mail) => mail.subject === subject);
        return found.length;
      },
      { message: `${count} mail(s) "${subject}" to ${address}`, timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return found[found.length - 1];
}

/** The link to `page` (`/reset`, `/verify`) in a mail, as a path with its query. */
export function linkIn(mail: Mail, page: string): string {
  const match = mail.text.match(new RegExp(`https?://[^\\s/]+(${page}\\?token=[A-Za-z0-9_-]{43})`));
  expect(match, `no ${page} link in:\n${mail.text}`).not.toBeNull();
  return match![1];
}
