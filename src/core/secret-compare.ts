/**
 * Constant-time checks of a presented secret (a token, a password) against configured ones.
 * Both sides are compared as SHA-256 digests, so neither the content nor the length shows
 * in the timing; every configured secret is compared, so which one matched does not either.
 * The configured side's digest is computed once (one-shot `crypto.hash`: a request under
 * load spent more time making hash objects than comparing).
 */
import { hash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => hash('sha256', text, 'buffer');

const known = new Map<string, Buffer>();

function expectedDigest(secret: string): Buffer {
  let value = known.get(secret);
  if (value === undefined) {
    value = digest(secret);
    known.set(secret, value);
  }
  return value;
}

/** Whether `given` is `expected`; an empty secret never matches. */
export function sameSecret(given: string, expected: string): boolean {
  return knownSecret(given, [expected]);
}

/** Whether `given` is one of `expected`; an empty secret never matches. */
export function knownSecret(given: string, expected: readonly string[]): boolean {
  const mine = digest(given);
  let found = false;
  for (const secret of expected) found = timingSafeEqual(mine, expectedDigest(secret)) || found;
  return found && given !== '';
}
