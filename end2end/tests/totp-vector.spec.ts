/**
 * The specs' TOTP helper against RFC 6238's own test vectors. No page and
 * no server: it runs without a browser (nothing here opens a CDP session).
 */
import { expect, test } from '@playwright/test';

import { RFC6238_SECRET, RFC6238_VECTORS, base32Decode, rfc6238Codes, totp } from './totp';

test('the TOTP helper makes the RFC 6238 codes', () => {
  expect(base32Decode(RFC6238_SECRET).toString('ascii')).toBe('12345678901234567890');
  expect(rfc6238Codes()).toEqual(RFC6238_VECTORS.map((vector) => vector.code));
  // Six digits are the last six of the eight.
  expect(totp(RFC6238_SECRET, 59_000)).toBe('287082');
  // A secret shown in groups reads the same.
  expect(totp('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ', 59_000)).toBe('287082');
});
