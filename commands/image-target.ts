/**
 * What `update <service> [target]` accepts, checked before anything reaches the engine:
 * nothing (the same reference again), a tag, or `image@sha256:<64 hex>`. Anything else —
 * `x;id`, `../../x`, `image:tag` — is refused naming the forms that are allowed.
 */
import { UserError } from '../src/core/errors.ts';
import type { ImageTarget } from '../src/core/platform.ts';
import { quoteValue } from '../src/core/parse.ts';

/** distribution/reference: a tag is at most 128 word characters, dots and dashes. */
export const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const digestPattern = /^sha256:[0-9a-f]{64}$/;

// distribution/reference grammar: [domain[:port]/]path-component(/path-component)*, where a
// path component is lowercase alphanumerics joined by `.`, `_`, `__` or dashes.
const domainPart = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const domain = `${domainPart}(?:\\.${domainPart})*(?::[0-9]+)?`;
const pathPart = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const repositoryPattern = new RegExp(`^(?:${domain}/)?${pathPart}(?:/${pathPart})*$`);

/** The longest repository name a registry takes (distribution/reference NameTotalLengthMax). */
const maxRepositoryLength = 255;

export function parseImageTarget(raw: string | undefined): ImageTarget {
  if (raw === undefined) return { kind: 'current' };
  if (tagPattern.test(raw)) return { kind: 'tag', tag: raw };
  const at = raw.indexOf('@');
  if (at > 0) {
    const image = raw.slice(0, at);
    const digest = raw.slice(at + 1);
    if (
      image.length <= maxRepositoryLength &&
      repositoryPattern.test(image) &&
      digestPattern.test(digest)
    ) {
      return { kind: 'digest', image, digest };
    }
  }
  throw new UserError('update-bad-target', { value: quoteValue(raw) });
}
