/**
 * Splits an image reference as a container was created with (`Config.Image`) into the
 * repository and the tag, following the grammar of distribution/reference:
 * `[registry[:port]/]path[:tag][@digest]`. The tag is what follows the last `:` after the
 * last `/`; a `:` before a `/` belongs to a registry port.
 */
export interface ImageReference {
  readonly image: string;
  /** The tag; else the digest (`sha256:…`); else `latest`, as Docker assumes. */
  readonly tag: string;
}

/** What `docker images` shows for an image that has no name. */
export const untagged = '<none>';

const imageIdPattern = /^(sha256:)?[0-9a-f]{64}$/;

export function parseImageReference(reference: string): ImageReference {
  // A container created from an image id (`docker run 5b0c…`) has no repository or tag.
  if (imageIdPattern.test(reference)) {
    const id = reference.startsWith('sha256:') ? reference : `sha256:${reference}`;
    return { image: id, tag: untagged };
  }
  const at = reference.indexOf('@');
  const name = at === -1 ? reference : reference.slice(0, at);
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    return { image: name.slice(0, colon), tag: name.slice(colon + 1) };
  }
  return { image: name, tag: digest ?? 'latest' };
}
