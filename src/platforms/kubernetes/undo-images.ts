/**
 * The image of each container in the template an undo restores (undo.ts): for a Deployment
 * the json-patch that replaces `/spec/template`, for a StatefulSet the ControllerRevision's
 * strategic-merge patch (`spec.template`). Anything else there yields no images.
 */

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function templateOf(patch: unknown): unknown {
  if (Array.isArray(patch)) {
    const op = (patch as unknown[])
      .map(record)
      .find((o) => o?.['op'] === 'replace' && o['path'] === '/spec/template');
    return op?.['value'];
  }
  return record(record(patch)?.['spec'])?.['template'];
}

export function undoImages(patch: unknown): Map<string, string> {
  const images = new Map<string, string>();
  const containers = record(record(templateOf(patch))?.['spec'])?.['containers'];
  if (!Array.isArray(containers)) return images;
  for (const item of containers as unknown[]) {
    const c = record(item);
    const name = c?.['name'];
    const image = c?.['image'];
    if (typeof name === 'string' && typeof image === 'string') images.set(name, image);
  }
  return images;
}
