/**
 * Moodle's version.php files read as text, never run (as Moodle's own validator reads a
 * plugin's, lib/classes/update/validator.php): the site's `$version`, `$release`, `$branch`
 * (core version.php) and everything a plugin's version.php declares.
 */

export interface CoreVersion {
  readonly version: number;
  readonly release: string;
  /** `4.5`, from `$branch = '405'`. */
  readonly branch: string;
}

export interface PluginVersion {
  readonly version: number;
  readonly release: string | undefined;
}

const number = String.raw`([0-9]{8,10}(?:\.[0-9]+)?)`;
const quoted = String.raw`(?:'([^'\n]*)'|"([^"\n]*)")`;

function match(text: string, re: RegExp): RegExpExecArray | null {
  return re.exec(text);
}

/** `405` → `4.5`, `500` → `5.0`, `501` → `5.1` (Moodle's `$branch`: major, then two digits). */
export function branchName(branch: string): string | undefined {
  const m = /^([1-9])([0-9]{2})$/.exec(branch);
  return m === null ? undefined : `${m[1] ?? ''}.${String(Number(m[2]))}`;
}

export function parseCoreVersion(text: string): CoreVersion | undefined {
  const version = match(text, new RegExp(String.raw`^\s*\$version\s*=\s*${number}\s*;`, 'm'));
  const release = match(text, new RegExp(String.raw`^\s*\$release\s*=\s*${quoted}\s*;`, 'm'));
  const branch = match(text, new RegExp(String.raw`^\s*\$branch\s*=\s*${quoted}\s*;`, 'm'));
  const branchText = branch === null ? undefined : branchName(branch[1] ?? branch[2] ?? '');
  if (version === null || release === null || branchText === undefined) return undefined;
  return {
    version: Number(version[1]),
    release: release[1] ?? release[2] ?? '',
    branch: branchText,
  };
}

/** Everything Moodle reads from a plugin's version.php, each field absent when not set. */
export interface PluginVersionPhp {
  readonly version: number | undefined;
  readonly release: string | undefined;
  readonly component: string | undefined;
  /** The Moodle version the plugin needs at least. */
  readonly requires: number | undefined;
  /** `MATURITY_STABLE`, `MATURITY_RC`, … as written. */
  readonly maturity: string | undefined;
  /** Other plugins needed: component → version, or `any` (Moodle's ANY_VERSION). */
  readonly dependencies: Readonly<Record<string, number | 'any'>>;
  /** Branches supported, from and to, as Moodle's numbers (`[401, 405]`). */
  readonly supported: readonly [number, number] | undefined;
  /** The first branch the plugin does not work with (`500`). */
  readonly incompatible: number | undefined;
  /** Written the pre-2.x way, `$module->version` (Moodle's validator refuses it). */
  readonly moduleSyntax: boolean;
  /** Fields set in a shape Moodle would refuse (a coding_exception in plugininfo\base). */
  readonly malformed: readonly { readonly field: string; readonly text: string }[];
}

/**
 * The PHP code of a file without comments, whitespace and text outside `<?php … ?>`, strings
 * kept whole: what Moodle's validator matches its patterns against
 * (validator::get_stripped_file_contents, which uses PHP's own tokenizer).
 */
export function strippedPhp(text: string): string {
  let out = '';
  let i = 0;
  let inCode = false;
  while (i < text.length) {
    if (!inCode) {
      const open = text.indexOf('<?', i);
      if (open < 0) break;
      i = text.startsWith('<?php', open)
        ? open + 5
        : text.startsWith('<?=', open)
          ? open + 3
          : open + 2;
      inCode = true;
      continue;
    }
    const c = text[i] ?? '';
    if (text.startsWith('?>', i)) {
      inCode = false;
      i += 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '#' || text.startsWith('//', i)) {
      // A line comment ends at the line's end or at `?>`, as in PHP.
      while (i < text.length && text[i] !== '\n' && !text.startsWith('?>', i)) i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function last(code: string, re: RegExp): RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  for (const m of code.matchAll(re)) found = m;
  return found;
}

const decimal = String.raw`(\d+(?:\.\d+)?)`;
const list = String.raw`(?:\[|array\()(.*?)(?:\]|\))`;

/** Reads a plugin's version.php as Moodle does, without running it. */
export function readPluginVersionPhp(text: string): PluginVersionPhp {
  const code = strippedPhp(text);
  const malformed: { field: string; text: string }[] = [];
  const numberOf = (field: string): number | undefined => {
    const m = last(code, new RegExp(String.raw`\$plugin->${field}=${decimal};`, 'g'));
    return m === undefined ? undefined : Number(m[1]);
  };
  const stringOf = (field: string, shape: RegExp): string | undefined => {
    // A whole PHP string literal (an escaped quote does not end it), then `;`.
    const m = last(
      code,
      new RegExp(String.raw`\$plugin->${field}=(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)");`, 'gs'),
    );
    if (m === undefined) return undefined;
    // A single-quoted PHP string escapes only \' and \\.
    const value = m[1] === undefined ? (m[2] ?? '') : m[1].replace(/\\(['\\])/g, '$1');
    return shape.test(value) ? value : undefined;
  };
  const raw = (field: string): string | undefined =>
    last(code, new RegExp(String.raw`\$plugin->${field}=(.*?);`, 'g'))?.[1];

  const dependencies: Record<string, number | 'any'> = {};
  const deps = raw('dependencies');
  if (deps !== undefined) {
    const inner = new RegExp(`^${list}$`).exec(deps)?.[1];
    const items = inner === undefined ? [] : inner.split(',').filter((item) => item !== '');
    for (const item of items) {
      const m =
        /^(['"])([a-z][a-z0-9]*_[a-z0-9_]+)\1=>(?:(\d+(?:\.\d+)?)|(ANY_VERSION)|(['"])any\5)$/.exec(
          item,
        );
      if (m === null || m[2] === undefined) {
        malformed.push({ field: '$plugin->dependencies', text: deps });
        break;
      }
      dependencies[m[2]] = m[3] === undefined ? 'any' : Number(m[3]);
    }
    if (inner === undefined) malformed.push({ field: '$plugin->dependencies', text: deps });
  }

  let supported: [number, number] | undefined;
  const supportedText = raw('supported');
  if (supportedText !== undefined) {
    const m = new RegExp(String.raw`^(?:\[|array\()(\d+),(\d+),?(?:\]|\))$`).exec(supportedText);
    const from = Number(m?.[1]);
    const to = Number(m?.[2]);
    // plugininfo\base::load_disk_version: two whole numbers, from ≤ to.
    if (m === null || !(from <= to))
      malformed.push({ field: '$plugin->supported', text: supportedText });
    else supported = [from, to];
  }

  let incompatible: number | undefined;
  const incompatibleText = raw('incompatible');
  if (incompatibleText !== undefined && incompatibleText !== 'null') {
    // A whole number above zero, or a string of digits (ctype_digit).
    const m = /^(?:(\d+)|(['"])(\d+)\2)$/.exec(incompatibleText);
    const value = Number(m?.[1] ?? m?.[3]);
    if (m === null || !(value > 0))
      malformed.push({ field: '$plugin->incompatible', text: incompatibleText });
    else incompatible = value;
  }

  return {
    version: numberOf('version'),
    release: stringOf('release', /^/),
    component: stringOf('component', /^.+_.+$/s),
    requires: numberOf('requires'),
    maturity: last(code, /\$plugin->maturity=(MATURITY_\w+);/g)?.[1],
    dependencies,
    supported,
    incompatible,
    moduleSyntax: /\$module->version=/.test(code),
    malformed,
  };
}

/** The version and release of a plugin's version.php, or undefined without a version. */
export function parsePluginVersion(text: string): PluginVersion | undefined {
  const read = readPluginVersionPhp(text);
  return read.version === undefined ? undefined : { version: read.version, release: read.release };
}
