/**
 * The self-signed certificate the `dbsc` project serves HTTPS with (DBSC
 * needs a secure origin, and a real one: Chromium ignores the offer over
 * plain HTTP), made with `openssl` the first time the config loads and
 * reused by every process of the run (the config is loaded by the runner
 * and by each worker; all must agree on one certificate).
 *
 * Chromium trusts it through `--ignore-certificate-errors-spki-list`: the
 * base64 SHA-256 of its SubjectPublicKeyInfo. Playwright's
 * `ignoreHTTPSErrors` is not enough (DBSC then fails silently).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tls {
  cert: string;
  key: string;
  /** For `--ignore-certificate-errors-spki-list`. */
  spki: string;
}

/** A certificate older than this is made again (it is valid for 30 days). */
const MAX_AGE_MS = 24 * 3600 * 1000;

export function dbscTls(): Tls {
  const dir = join(tmpdir(), 'cookie-auth-e2e-dbsc');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const stale = !existsSync(cert) || !existsSync(key) || Date.now() - statSync(cert).mtimeMs > MAX_AGE_MS;
  // Only the runner makes one: a worker must use the one its server serves.
  if (stale && process.env.TEST_WORKER_INDEX === undefined) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
  }
  const publicKey = new X509Certificate(readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key, spki: createHash('sha256').update(publicKey).digest('base64') };
}
