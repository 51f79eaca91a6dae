/**
 * The plugin folder as a POSIX ustar archive, to be fed through exec's stdin to GNU tar in
 * the Moodle container. Every member is a plain file or folder (no links, no devices), owned
 * by the web server's numeric uid/gid, with modes normalised to 0755 (folders) and 0644
 * (files) as Moodle's own installer does for plugin code (files: the folder's mode without
 * execute bits, core\update\code_manager::move_plugin_directory). Written here rather than
 * with a library: the format is one 512-byte header per member (POSIX.1-1988 ustar, as GNU
 * tar's manual describes it), and the test reads it back with real GNU tar.
 */
import { Readable } from 'node:stream';
import type { PluginEntry, UnpackedPlugin } from './types.ts';

const block = 512;
const nameMax = 100;
const prefixMax = 155;

/** Where a path goes in a ustar header, or undefined when it does not fit. */
export function ustarName(path: string): { name: string; prefix: string } | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes <= nameMax) return { name: path, prefix: '' };
  // The prefix holds whole leading folders; the name the rest (a folder's trailing `/` too).
  for (
    let cut = path.lastIndexOf('/', path.length - 2);
    cut > 0;
    cut = path.lastIndexOf('/', cut - 1)
  ) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) > prefixMax) continue;
    if (Buffer.byteLength(name) > nameMax || name === '') return undefined;
    return { name, prefix };
  }
  return undefined;
}

/** The longest path a member may have at all (prefix, `/`, name). */
export const ustarPathMax = prefixMax + 1 + nameMax;

function octal(value: number, width: number): string {
  // width - 1 octal digits and a NUL, as GNU tar writes them.
  const text = value.toString(8);
  if (text.length > width - 1) throw new RangeError(`${value} does not fit ${width} tar bytes`);
  return `${text.padStart(width - 1, '0')}\0`;
}

export interface TarOwner {
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch for every member; now when absent. */
  readonly mtime?: number;
}

function header(entry: PluginEntry, owner: TarOwner, mtime: number): Buffer {
  const path = entry.kind === 'dir' ? `${entry.path}/` : entry.path;
  const where = ustarName(path);
  if (where === undefined) throw new RangeError(`the path ${path} does not fit a ustar header`);
  const h = Buffer.alloc(block);
  h.write(where.name, 0, nameMax, 'utf8');
  h.write(octal(entry.kind === 'dir' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(owner.uid, 8), 108, 'ascii');
  h.write(octal(owner.gid, 8), 116, 'ascii');
  h.write(octal(entry.kind === 'dir' ? 0 : (entry.data?.length ?? 0), 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write(entry.kind === 'dir' ? '5' : '0', 156, 'ascii');
  h.write('ustar\x0000', 257, 'ascii');
  h.write(where.prefix, 345, prefixMax, 'utf8');
  // The checksum is the sum of the header's bytes with its own field read as spaces.
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function checkedPath(path: string): void {
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..') || /[\0\\]/.test(path)) {
    throw new RangeError(`unsafe tar member path ${JSON.stringify(path)}`);
  }
}

function* members(plugin: UnpackedPlugin, owner: TarOwner, mtime: number): Generator<Buffer> {
  for (const entry of plugin.entries) {
    yield header(entry, owner, mtime);
    const data = entry.kind === 'file' ? entry.data : undefined;
    if (data !== undefined && data.length > 0) {
      yield data;
      const pad = (block - (data.length % block)) % block;
      if (pad > 0) yield Buffer.alloc(pad);
    }
  }
  // The end of an archive: two zero blocks.
  yield Buffer.alloc(2 * block);
}

/**
 * The plugin folder as a tar stream, one member at a time (the files are not copied again).
 * Members are relative to the type directory: `attendance/`, `attendance/version.php`, ….
 */
export function tarOf(plugin: UnpackedPlugin, owner: TarOwner): Readable {
  if (
    !Number.isInteger(owner.uid) ||
    owner.uid < 0 ||
    !Number.isInteger(owner.gid) ||
    owner.gid < 0
  ) {
    throw new RangeError(`uid and gid must be whole numbers ≥ 0, got ${owner.uid}:${owner.gid}`);
  }
  // unpackPlugin has refused these already; a hand-made UnpackedPlugin is checked again, here
  // rather than while streaming, so that the caller gets the error before starting tar.
  for (const entry of plugin.entries) {
    checkedPath(entry.path);
    if (entry.path !== plugin.root && !entry.path.startsWith(`${plugin.root}/`)) {
      throw new RangeError(`tar member ${entry.path} is outside ${plugin.root}`);
    }
    if (ustarName(entry.kind === 'dir' ? `${entry.path}/` : entry.path) === undefined) {
      throw new RangeError(`the path ${entry.path} does not fit a ustar header`);
    }
  }
  const mtime = owner.mtime ?? Math.floor(Date.now() / 1000);
  return Readable.from(members(plugin, owner, mtime), { objectMode: false });
}

/**
 * The argv that unpacks tarOf's stream from stdin into a type directory (no shell). GNU tar
 * refuses absolute names and `..` members unless told otherwise (no --absolute-names here),
 * and by default replaces whatever is in the way of a member: a link planted where a folder
 * or file goes is removed, not followed (measured with GNU tar 1.34, Debian bookworm's;
 * `--keep-old-files` and `--skip-old-files` would instead follow a link to a folder and write
 * through it, so neither is used; the installer refuses a plugin folder that already exists).
 * - `--same-owner --numeric-owner`: the owners are the uid/gid in the headers (the web
 *   server's), not names looked up in the container; run as root for that;
 * - `--no-same-permissions`: the modes are the headers' (0755/0644) less the umask, never more.
 */
export function extractArgv(typeDir: string): string[] {
  if (!typeDir.startsWith('/'))
    throw new RangeError(`the type directory must be absolute: ${typeDir}`);
  return [
    'tar',
    '--extract',
    '--file=-',
    `--directory=${typeDir}`,
    '--same-owner',
    '--numeric-owner',
    '--no-same-permissions',
  ];
}
