/**
 * A ZIP writer for tests (PKWARE APPNOTE 6.3: local headers, central directory, end record;
 * no ZIP64) that can also write what a hostile package holds: `../` and absolute names,
 * duplicate names, symbolic links and devices in the Unix mode bits of the external
 * attributes, a wrong CRC, the encryption flag, unknown methods, and deflate bombs. And
 * `pluginZip`, the named plugin packages the tests of the installer use.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** The name as stored (a folder ends with `/`); a Buffer is stored byte for byte. */
  readonly name: string | Buffer;
  readonly data?: Buffer | string;
  /** Deflate (the default for files) or store. */
  readonly method?: 'deflate' | 'store';
  /** Unix st_mode (type and permission bits), stored in the external attributes' upper half. */
  readonly mode?: number;
  /** The external attributes as is (overrides mode). */
  readonly externalAttributes?: number;
  /** A CRC-32 to write instead of the true one. */
  readonly crc?: number;
  /** Sets the "encrypted" flag (bit 0) without encrypting anything. */
  readonly encryptedFlag?: boolean;
  /** A compression method number to write instead (the data is stored). */
  readonly methodNumber?: number;
  /** An uncompressed size to write in both headers instead of the true one. */
  readonly declaredSize?: number;
}

const unix = 3;

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** Builds a ZIP from entries, in order. */
export function makeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    const isDir = name.at(-1) === 0x2f;
    const raw = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    const deflate = entry.methodNumber === undefined && !isDir && entry.method !== 'store';
    const packed = deflate ? deflateRawSync(raw) : raw;
    // Traditional PKWARE encryption puts a 12-byte header before the data (APPNOTE 6.1).
    const body =
      entry.encryptedFlag === true ? Buffer.concat([Buffer.alloc(12, 0xa5), packed]) : packed;
    const method = entry.methodNumber ?? (deflate ? 8 : 0);
    const crc = entry.crc ?? crc32(raw);
    const flags = 0x0800 | (entry.encryptedFlag === true ? 1 : 0);
    const mode = entry.mode ?? (isDir ? 0o040755 : 0o100644);
    const external = entry.externalAttributes ?? ((mode << 16) >>> 0) | (isDir ? 0x10 : 0);
    // 1980-01-01 00:00, the earliest DOS date.
    const time = u16(0);
    const date = u16((0 << 9) | (1 << 5) | 1);
    const common = [
      u16(20),
      u16(flags),
      u16(method),
      time,
      date,
      u32(crc),
      u32(body.length),
      u32(entry.declaredSize ?? raw.length),
      u16(name.length),
      u16(0),
    ];
    const local = Buffer.concat([u32(0x04034b50), ...common, name, body]);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16((unix << 8) | 30),
        ...common,
        u16(0), // comment length
        u16(0), // disk number
        u16(0), // internal attributes
        u32(external),
        u32(offset),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...locals, directory, end]);
}

export type PluginZipKind =
  | 'good'
  | 'path-escape'
  | 'wrong-root'
  | 'requires-newer'
  | 'missing-dependency'
  | 'upgrade-fails'
  | 'symlink'
  | 'bomb';

export interface PluginZipOptions {
  /** `$plugin->version`; 2025010100 when absent. */
  readonly version?: number;
  readonly release?: string;
  /** `$plugin->requires`; 2022112800 (Moodle 4.1) when absent, or above `siteVersion` for requires-newer. */
  readonly requires?: number;
  /** The site's version, for `requires-newer` (the package requires one more). */
  readonly siteVersion?: number;
  /** `$plugin->dependencies`; for missing-dependency, `{ local_absent: 2024010100 }` when absent. */
  readonly dependencies?: Readonly<Record<string, number | 'any'>>;
  /** The root folder; `moodle-<component>-main` for wrong-root, else the plugin's name. */
  readonly root?: string;
  /** Bytes of zeros in the bomb's one file (20 MiB when absent: about 1000× compressed). */
  readonly bombBytes?: number;
}

function php(value: number | string): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/['\\]/g, '\\$&')}'`;
}

/** A plugin's version.php as plugin authors write it (docs.moodle.org/dev/version.php). */
export function versionPhp(
  component: string,
  fields: {
    version: number;
    release: string;
    requires: number;
    dependencies?: Readonly<Record<string, number | 'any'>> | undefined;
  },
): string {
  const lines = [
    '<?php',
    '// This file is part of a plugin for Moodle - http://moodle.org/',
    '',
    "defined('MOODLE_INTERNAL') || die();",
    '',
    `$plugin->component = ${php(component)};`,
    `$plugin->version = ${fields.version};`,
    `$plugin->requires = ${fields.requires};`,
    `$plugin->release = ${php(fields.release)};`,
    '$plugin->maturity = MATURITY_STABLE;',
  ];
  const deps = Object.entries(fields.dependencies ?? {});
  if (deps.length > 0) {
    const items = deps.map(
      ([c, v]) => `    ${php(c)} => ${v === 'any' ? 'ANY_VERSION' : String(v)},`,
    );
    lines.push('$plugin->dependencies = [', ...items, '];');
  }
  return `${lines.join('\n')}\n`;
}

/** `lang/en/<file>.php`: `<name>.php` for activity modules, `<component>.php` otherwise. */
export function langFileName(component: string): string {
  const cut = component.indexOf('_');
  return component.slice(0, cut) === 'mod' ? `${component.slice(cut + 1)}.php` : `${component}.php`;
}

/** The function Moodle's upgrade calls after installing (mod: xmldb_<name>_install). */
function installFunction(component: string): string {
  const cut = component.indexOf('_');
  return component.slice(0, cut) === 'mod'
    ? `xmldb_${component.slice(cut + 1)}_install`
    : `xmldb_${component}_install`;
}

function installPhp(component: string, fails: boolean): string {
  const row = `['component' => ${php(component)}, 'name' => 'installed', 'value' => '1']`;
  return [
    '<?php',
    "defined('MOODLE_INTERNAL') || die();",
    '',
    `function ${installFunction(component)}() {`,
    '    global $DB;',
    `    $DB->insert_record('plugin_data', ${row});`,
    ...(fails
      ? [
          `    throw new moodle_exception('installfailed', ${php(`${component}: the install failed half-way`)});`,
        ]
      : ['    return true;']),
    '}',
    '',
  ].join('\n');
}

/** The files of a plugin, under its root folder. */
export function pluginFiles(
  component: string,
  options: PluginZipOptions & { installFails?: boolean } = {},
): ZipEntry[] {
  const name = component.slice(component.indexOf('_') + 1);
  const root = options.root ?? name;
  const version = options.version ?? 2025010100;
  return [
    { name: `${root}/` },
    {
      name: `${root}/version.php`,
      data: versionPhp(component, {
        version,
        release: options.release ?? '1.0',
        requires: options.requires ?? 2022112800,
        dependencies: options.dependencies,
      }),
    },
    { name: `${root}/lang/` },
    { name: `${root}/lang/en/` },
    {
      name: `${root}/lang/en/${langFileName(component)}`,
      data: `<?php\n$string['pluginname'] = ${php(`Test ${name}`)};\n`,
    },
    { name: `${root}/db/` },
    { name: `${root}/db/install.php`, data: installPhp(component, options.installFails === true) },
    { name: `${root}/README.md`, data: `# ${component}\n\nA plugin package built by the tests.\n` },
  ];
}

/** A named plugin package (issue 17's cases). */
export function pluginZip(
  kind: PluginZipKind,
  component: string,
  options: PluginZipOptions = {},
): Buffer {
  const name = component.slice(component.indexOf('_') + 1);
  switch (kind) {
    case 'good':
      return makeZip(pluginFiles(component, options));
    case 'path-escape':
      return makeZip([
        ...pluginFiles(component, options),
        { name: `${name}/../../../config.php`, data: '<?php // replaced\n' },
      ]);
    case 'wrong-root':
      return makeZip(
        pluginFiles(component, { ...options, root: options.root ?? `moodle-${component}-main` }),
      );
    case 'requires-newer':
      return makeZip(
        pluginFiles(component, {
          ...options,
          requires: options.requires ?? (options.siteVersion ?? 2024100700) + 1,
        }),
      );
    case 'missing-dependency':
      return makeZip(
        pluginFiles(component, {
          ...options,
          dependencies: options.dependencies ?? { local_absent: 2024010100 },
        }),
      );
    case 'upgrade-fails':
      return makeZip(pluginFiles(component, { ...options, installFails: true }));
    case 'symlink':
      return makeZip([
        ...pluginFiles(component, options),
        { name: `${name}/config.php`, data: '../../config.php', mode: 0o120777, method: 'store' },
      ]);
    case 'bomb':
      return makeZip([
        ...pluginFiles(component, options),
        { name: `${name}/pix/big.bin`, data: Buffer.alloc(options.bombBytes ?? 20 * 1024 * 1024) },
      ]);
  }
}
