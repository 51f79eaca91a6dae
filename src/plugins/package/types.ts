/** A plugin package unpacked in memory: what unpackPlugin returns and the rest reads. */

export interface PluginEntry {
  /** Relative, `/`-separated, starting with the root folder; no trailing `/`. */
  readonly path: string;
  readonly kind: 'file' | 'dir';
  /** Permission bits the ZIP gave (0o644 / 0o755 when it gave none); tarOf normalises them. */
  readonly mode: number;
  /** A file's bytes (absent for a folder). */
  readonly data?: Buffer;
}

export interface UnpackedPlugin {
  /** The component the package was checked against, e.g. `mod_attendance`. */
  readonly component: string;
  /** The one root folder, e.g. `attendance`. */
  readonly root: string;
  /** Every file and folder, the root and every parent folder included, parents first. */
  readonly entries: readonly PluginEntry[];
}

export interface UnpackLimits {
  /** Most entries (files and folders) the ZIP may list. */
  readonly maxEntries: number;
  /** Most bytes all files may unpack to, together. */
  readonly maxTotalBytes: number;
  /** Most a file may be compressed (uncompressed / compressed size)… */
  readonly maxRatio: number;
  /** …counted only for files at least this large (small text files compress well). */
  readonly ratioFloorBytes: number;
}

/**
 * Sensible for Moodle plugins: the largest plugins in the directory (H5P, BigBlueButton
 * extensions, themes with fonts) unpack to tens of MB in a few thousand files; text compresses
 * 3–15×, while a deflate bomb reaches about 1000×.
 */
export const defaultUnpackLimits: UnpackLimits = {
  maxEntries: 20_000,
  maxTotalBytes: 100 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024,
};

/** `mod_attendance` → `{ type: 'mod', name: 'attendance' }` (Moodle's frankenstyle). */
export function splitComponent(component: string): { type: string; name: string } {
  const cut = component.indexOf('_');
  return cut <= 0
    ? { type: component, name: '' }
    : { type: component.slice(0, cut), name: component.slice(cut + 1) };
}
