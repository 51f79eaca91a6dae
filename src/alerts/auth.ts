/**
 * The receiver's credential check. Alertmanager's `http_config` sends either
 * `Authorization: Bearer …` or basic auth (docs/FIELD-NOTES.md "Alertmanager"); both are
 * compared in constant time (src/core/secret-compare.ts).
 */
import { sameSecret as same } from '../core/secret-compare.ts';

export type ReceiverCredentials =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

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
