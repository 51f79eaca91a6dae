/**
 * A plugin ZIP unpacked in memory, safely: it is untrusted input from the network. yauzl
 * (made for untrusted ZIPs) parses it; its validateFileName refuses absolute paths, drive
 * letters, backslashes and `..` segments, with validateEntrySizes it refuses a file that
 * inflates to more or fewer bytes than its header says, and it refuses "strong encryption".
 * Checked here besides, before a single byte is inflated: the number of entries, the total
 * size and each file's compression ratio (so a ZIP bomb is refused from its central
 * directory), links and other special files (Unix modes in the external attributes),
 * traditionally encrypted entries, unknown compression methods, empty or `.` segments and
 * control characters, duplicate names (also when they differ only in case or Unicode
 * normalisation, which collide on case-insensitive or normalising file systems), and the one
 * root folder Moodle's validator wants (validate_files_layout in
 * lib/classes/update/validator.php) named after the plugin. While inflating: each file's
 * CRC-32 (yauzl does not check it).
 */
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { UserError } from '../../core/errors.ts';
import { ustarName, ustarPathMax } from './tar.ts';
import {
  defaultUnpackLimits,
  splitComponent,
  type PluginEntry,
  type UnpackedPlugin,
  type UnpackLimits,
} from './types.ts';

const fileType = 0o170000;
const regularFile = 0o100000;
const directory = 0o040000;
const symbolicLink = 0o120000;

interface Listed {
  readonly entry: yauzl.Entry;
  readonly path: string;
  readonly kind: 'file' | 'dir';
  readonly mode: number;
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.slice(0, 200) ?? '';
}

function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function shown(path: string): string {
  // Control characters shown as escapes, long names cut: the path goes into one chat line.
  const visible = Array.from(path, (c) =>
    isControl(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c,
  ).join('');
  return visible.length > 120 ? `${visible.slice(0, 117)}…` : visible;
}

function checkPath(path: string): void {
  const parts = path.split('/');
  if (
    path === '' ||
    Array.from(path).some((c) => isControl(c) || c === '\\' || c === ':') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new UserError('plugin-zip-unsafe-path', { path: shown(path) });
  }
}

/** What an entry is, from its name and (for ZIPs made on Unix-like systems) its mode. */
function classify(entry: yauzl.Entry): Listed {
  // Names are decoded here rather than by yauzl so that a refused one is named in the error:
  // the same decoding (CP437 or UTF-8 by the flag, Info-ZIP's Unicode path field) and the
  // same checks yauzl's strictFileNames makes, then ours.
  const raw = yauzl.getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    entry.fileNameRaw,
    entry.extraFields,
    true,
  );
  if (yauzl.validateFileName(raw) !== null) {
    throw new UserError('plugin-zip-unsafe-path', { path: shown(raw) });
  }
  const isDirName = raw.endsWith('/');
  const path = isDirName ? raw.slice(0, -1) : raw;
  checkPath(path);
  // The upper 16 bits of the external attributes carry st_mode when the ZIP was made on a
  // Unix-like system (Info-ZIP's convention; APPNOTE 4.4.15). Any host may set them, so they
  // are read whatever the "version made by" says.
  const unixMode = entry.externalFileAttributes >>> 16;
  const type = unixMode & fileType;
  if (type === symbolicLink) throw new UserError('plugin-zip-link', { path: shown(path) });
  const kind = isDirName ? 'dir' : 'file';
  if (
    (type !== 0 && type !== regularFile && type !== directory) ||
    (type === directory && kind !== 'dir') ||
    (type === regularFile && kind !== 'file') ||
    (kind === 'dir' && entry.uncompressedSize > 0)
  ) {
    throw new UserError('plugin-zip-special', {
      path: shown(path),
      mode: `0${(type >>> 12).toString(8)}`,
    });
  }
  const bits = unixMode & 0o777;
  return {
    entry,
    path,
    kind,
    mode: type === 0 || bits === 0 ? (kind === 'dir' ? 0o755 : 0o644) : bits,
  };
}

function checkEntry(listed: Listed, limits: UnpackLimits): void {
  const { entry, path } = listed;
  if (entry.isEncrypted()) throw new UserError('plugin-zip-encrypted', { path: shown(path) });
  if (listed.kind === 'file' && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new UserError('plugin-zip-method', {
      path: shown(path),
      method: entry.compressionMethod,
    });
  }
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (entry.uncompressedSize >= limits.ratioFloorBytes && ratio > limits.maxRatio) {
    throw new UserError('plugin-zip-ratio', {
      path: shown(path),
      ratio: Math.floor(ratio),
      max: limits.maxRatio,
    });
  }
  checkLength(path, listed.kind);
}

/** The path fits the tar it becomes (ustar: a 155-byte prefix of folders, a 100-byte name). */
function checkLength(path: string, kind: 'file' | 'dir'): void {
  const tarPath = kind === 'dir' ? `${path}/` : path;
  if (ustarName(tarPath) === undefined) {
    throw new UserError('plugin-zip-path-too-long', {
      path: shown(path),
      length: Buffer.byteLength(tarPath),
      max: ustarPathMax,
    });
  }
}

/** Case and normalisation folded, as a case-insensitive, normalising file system sees it. */
function folded(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

async function list(zip: yauzl.ZipFile, limits: UnpackLimits): Promise<Listed[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw new UserError('plugin-zip-too-many-entries', {
      count: zip.entryCount,
      max: limits.maxEntries,
    });
  }
  const listed: Listed[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  for await (const entry of zip.eachEntry()) {
    const item = classify(entry);
    checkEntry(item, limits);
    const key = folded(item.path);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new UserError('plugin-zip-duplicate', { path: shown(item.path), other: shown(other) });
    }
    seen.set(key, item.path);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw new UserError('plugin-zip-too-large', {
        max: Math.round(limits.maxTotalBytes / (1024 * 1024)),
      });
    }
    listed.push(item);
  }
  return listed;
}

/** Exactly one root folder, named after the plugin (Moodle: `onedir`, and the rename it skips). */
function checkRoot(listed: readonly Listed[], expected: string): void {
  const roots = new Set<string>();
  for (const item of listed) {
    const cut = item.path.indexOf('/');
    // A file at the top is a root of its own, not inside any folder.
    roots.add(
      cut < 0 ? (item.kind === 'dir' ? `${item.path}/` : item.path) : `${item.path.slice(0, cut)}/`,
    );
  }
  const found = [...roots].sort();
  if (found.length !== 1) {
    const shownRoots = found.slice(0, 5).map(shown).join(', ') + (found.length > 5 ? ', …' : '');
    throw new UserError('plugin-zip-roots', {
      expected: `${expected}/`,
      found: found.length === 0 ? '—' : shownRoots,
    });
  }
  if (found[0] !== `${expected}/`) {
    throw new UserError('plugin-zip-root-wrong', {
      found: shown(found[0] ?? ''),
      expected: `${expected}/`,
    });
  }
}

/** Every folder on the way to each entry (ZIPs often leave them out), with no name both a file and a folder. */
function withParents(listed: readonly Listed[], files: ReadonlyMap<string, Buffer>): PluginEntry[] {
  const entries = new Map<string, PluginEntry>();
  const kinds = new Map<string, { path: string; kind: 'file' | 'dir' }>();
  const add = (path: string, kind: 'file' | 'dir', mode: number, data?: Buffer): void => {
    const key = folded(path);
    const known = kinds.get(key);
    if (known !== undefined) {
      if (known.kind === kind && known.path === path && kind === 'dir') return;
      throw new UserError('plugin-zip-duplicate', { path: shown(path), other: shown(known.path) });
    }
    checkLength(path, kind);
    kinds.set(key, { path, kind });
    entries.set(path, data === undefined ? { path, kind, mode } : { path, kind, mode, data });
  };
  // Folders the ZIP names first, so their own modes win over implied ones.
  for (const item of listed) if (item.kind === 'dir') add(item.path, 'dir', item.mode);
  for (const item of listed) {
    const parts = item.path.split('/');
    for (let i = 1; i < parts.length; i++) add(parts.slice(0, i).join('/'), 'dir', 0o755);
    if (item.kind === 'file')
      add(item.path, 'file', item.mode, files.get(item.path) ?? Buffer.alloc(0));
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function inflate(
  zip: yauzl.ZipFile,
  item: Listed,
  budget: { left: number },
): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(item.entry);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      budget.left -= chunk.length;
      // validateEntrySizes already stops a file at its declared size; this is the same
      // bound for the whole package, should a header lie in some way yauzl lets through.
      if (budget.left < 0 || size > item.entry.uncompressedSize) {
        throw new Error(`${item.path} inflates to more than its header says`);
      }
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  const data = Buffer.concat(chunks, size);
  if (crc32(data) >>> 0 !== item.entry.crc32 >>> 0) {
    throw new UserError('plugin-zip-crc', { path: shown(item.path) });
  }
  return data;
}

/**
 * Unpacks a plugin ZIP in memory, refusing anything unsafe or not laid out as Moodle wants
 * (one root folder named after the plugin: `attendance/` for `mod_attendance`). Throws a
 * UserError naming what was wrong.
 */
export async function unpackPlugin(
  zip: Buffer,
  expect: { readonly component: string },
  limits: Partial<UnpackLimits> = {},
): Promise<UnpackedPlugin> {
  const bounds: UnpackLimits = { ...defaultUnpackLimits, ...limits };
  // Moodle's frankenstyle: type_name, lower case (PARAM_COMPONENT); the name is the root folder.
  if (
    !/^[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]$/.test(expect.component) ||
    expect.component.includes('__')
  ) {
    throw new UserError('plugin-component-invalid', { value: expect.component.slice(0, 100) });
  }
  const { name } = splitComponent(expect.component);
  let file: yauzl.ZipFile;
  try {
    file = await yauzl.fromBufferPromise(zip, {
      lazyEntries: true,
      strictFileNames: true,
      validateEntrySizes: true,
      decodeStrings: false,
    });
  } catch (error) {
    throw new UserError('plugin-zip-invalid', { reason: reasonOf(error) }, { cause: error });
  }
  try {
    const listed = await list(file, bounds);
    checkRoot(listed, name);
    const files = new Map<string, Buffer>();
    const budget = { left: bounds.maxTotalBytes };
    for (const item of listed) {
      if (item.kind === 'file') files.set(item.path, await inflate(file, item, budget));
    }
    return { component: expect.component, root: name, entries: withParents(listed, files) };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError('plugin-zip-invalid', { reason: reasonOf(error) }, { cause: error });
  } finally {
    file.close();
  }
}
