/**
 * The receiver's credential check. Alertmanager's `http_config` sends either
 * `Authorization: Bearer …` or basic auth (FIELD-NOTES "Alertmanager"); both are compared in
 * constant time, over SHA-256 digests so that the lengths never differ either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type ReceiverCredentials =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

// The expected side's digest, computed once per configured credential.
const expectedDigests = new Map<string, Buffer>();

function same(given: string, expected: string): boolean {
  let want = expectedDigests.get(expected);
  if (want === undefined) {
    want = digest(expected);
    expectedDigests.set(expected, want);
  }
  return timingSafeEqual(digest(given), want);
}

/** Whether the Authorization header carries the configured credentials. */
export function authorized(header: string | undefined, expected: ReceiverCredentials): boolean {
  if (header === undefined) return false;
  const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2] ?? '';
  if (expected.kind === 'bearer') {
    // Both sides are always compared, so a wrong scheme takes as long as a wrong token.
    const ok = same(value, expected.token);
    return ok && scheme === 'bearer';
  }
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const ok = same(decoded, `${expected.username}:${expected.password}`);
  return ok && scheme === 'basic';
}
