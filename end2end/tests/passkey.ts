/**
 * Chromium's virtual authenticator (the CDP `WebAuthn` domain) for the
 * passkey specs: a platform authenticator with resident keys and user
 * verification that answers every prompt on its own, as a laptop's
 * fingerprint reader would. It lives as long as the page's CDP session.
 */
import { expect, type CDPSession, type Page } from '@playwright/test';

import { isApi } from './mfa';

export const PASSKEYS_PATH = '/api/auth/passkeys';

export interface VirtualAuthenticator {
  cdp: CDPSession;
  id: string;
}

/** A credential the authenticator holds, as CDP reports it. */
export interface StoredCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

export async function storedCredentials(device: VirtualAuthenticator): Promise<StoredCredential[]> {
  const { credentials } = await device.cdp.send('WebAuthn.getCredentials', { authenticatorId: device.id });
  return credentials as StoredCredential[];
}

/**
 * On the security page (open, hydrated, the session fresh): names and adds
 * a passkey, and when it is the first second factor, leaves the recovery
 * codes panel. Returns the codes shown (empty for a later passkey).
 */
export async function addPasskeyViaUi(page: Page, name: string): Promise<string[]> {
  const card = page.getByTestId('passkeys-card');
  const before = await card.getByTestId('passkey-row').count();
  await card.getByTestId('passkey-name-input').fill(name);
  const added = page.waitForResponse(isApi('POST', PASSKEYS_PATH));
  await card.getByTestId('add-passkey').click();
  const answer = await added;
  expect(answer.status(), await answer.text()).toBe(201);
  const { recovery_codes } = (await answer.json()) as { recovery_codes: { codes: string[] } };
  if (recovery_codes.codes.length > 0) {
    await expect(page.getByTestId('recovery-codes')).toBeVisible();
    await page.getByTestId('recovery-done').click();
  }
  await expect(card.getByTestId('passkey-row')).toHaveCount(before + 1);
  return recovery_codes.codes;
}
