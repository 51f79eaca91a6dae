/**
 * Moodle's version.php files read as text, never run (as Moodle's own validator reads a
 * plugin's, lib/classes/update/validator.php): the site's `$version`, `$release`, `$branch`
 * (core version.php) and a plugin's `$plugin->version` / `$plugin->release`.
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

export function parsePluginVersion(text: string): PluginVersion | undefined {
  const version = match(
    text,
    new RegExp(String.raw`^\s*\$plugin->version\s*=\s*${number}\s*;`, 'm'),
  );
  if (version === null) return undefined;
  const release = match(
    text,
    new RegExp(String.raw`^\s*\$plugin->release\s*=\s*${quoted}\s*;`, 'm'),
  );
  return {
    version: Number(version[1]),
    release: release === null ? undefined : (release[1] ?? release[2]),
  };
}
