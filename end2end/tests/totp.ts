/**
 * One-time codes as an authenticator app makes them (RFC 6238 TOTP:
 * HMAC-SHA1, 30 s steps, 6 digits, over a base32 secret), with node's own
 * `crypto`, so the specs can sign in with a second factor.
 *
 * The server accepts each code once: a second sign-in by app needs the
 * code of a later 30 s step ([`nextTotp`]).
 */
import { createHmac } from 'node:crypto';

/** RFC 4648 base32. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The TOTP step length, seconds. */
export const STEP_SECS = 30;

/** The bytes of a base32 text; spaces, dashes and padding are ignored. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/[\s=-]/g, '').toUpperCase()) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    // Never more than 12 bits are pending, so 16 bits of buffer suffice.
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 4226 HOTP: the code for `counter`. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The code an authenticator app shows at `atMs` for `secretBase32`. */
export function totp(secretBase32: string, atMs = Date.now()): string {
  return totpDigits(secretBase32, atMs, 6);
}

function totpDigits(secretBase32: string, atMs: number, digits: number): string {
  return hotp(base32Decode(secretBase32), Math.floor(atMs / 1000 / STEP_SECS), digits);
}

/** The 30 s step `atMs` falls in. */
export function stepOf(atMs: number): number {
  return Math.floor(atMs / 1000 / STEP_SECS);
}

/**
 * A code the server has not seen yet: waits until the step after the one
 * `usedAtMs` fell in has begun (up to 30 s), then returns its code.
 */
export async function nextTotp(secretBase32: string, usedAtMs: number): Promise<string> {
  const nextStepStartsMs = (stepOf(usedAtMs) + 1) * STEP_SECS * 1000;
  const waitMs = nextStepStartsMs - Date.now();
  if (waitMs > 0) {
    // Time itself is the condition here: nothing to poll.
    await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
  }
  return totp(secretBase32);
}

/** A six-digit code that is not the one `secretBase32` makes now. */
export function wrongTotp(secretBase32: string): string {
  const right = Number(totp(secretBase32));
  return String((right + 500_000) % 1_000_000).padStart(6, '0');
}

/** RFC 6238 Appendix B, SHA-1: the secret is ASCII "12345678901234567890". */
export const RFC6238_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
export const RFC6238_VECTORS: readonly { atSecs: number; code: string }[] = [
  { atSecs: 59, code: '94287082' },
  { atSecs: 1111111109, code: '07081804' },
  { atSecs: 1111111111, code: '14050471' },
  { atSecs: 1234567890, code: '89005924' },
  { atSecs: 2000000000, code: '69279037' },
  { atSecs: 20000000000, code: '65353130' },
];

/** The codes of the RFC's test vectors, 8 digits, as this module makes them. */
export function rfc6238Codes(): string[] {
  return RFC6238_VECTORS.map(({ atSecs }) => totpDigits(RFC6238_SECRET, atSecs * 1000, 8));
}

// The self-check: a spec that imports a broken `totp` fails at once, not
// with a puzzling "code_invalid" from the server.
if (totpDigits(RFC6238_SECRET, 59_000, 8) !== '94287082' || totp(RFC6238_SECRET, 59_000) !== '287082') {
  throw new Error('totp() does not match the RFC 6238 test vector');
}
