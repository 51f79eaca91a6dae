/**
 * An unpacked plugin checked as Moodle's own validator checks a plugin ZIP before installing it
 * (core\update\validator in lib/classes/update/validator.php of moodle/moodle: execute() runs
 * validate_files_layout — done by unpackPlugin —, validate_version_php, validate_language_pack,
 * validate_target_location), plus what Moodle's upgrade would refuse later, so that it is
 * refused before maintenance starts rather than half-way: `supported` and `incompatible`
 * against the site's branch (plugininfo\base::load_disk_version and
 * is_core_compatible_satisfied in lib/classes/plugininfo/base.php), dependencies present at
 * their versions, and no downgrade. version.php is read as text, never run.
 */
import { UserError } from '../../core/errors.ts';
import type { Site } from '../site.ts';
import { branchName, readPluginVersionPhp, type PluginVersionPhp } from '../version-php.ts';
import { splitComponent, type UnpackedPlugin } from './types.ts';

/** A component's installed version on the site, or undefined when it is not installed. */
export type InstalledVersions = (
  component: string,
) => number | undefined | Promise<number | undefined>;

export interface ValidatedPlugin {
  readonly component: string;
  readonly type: string;
  readonly name: string;
  readonly version: number;
  readonly release: string | undefined;
  readonly maturity: string | undefined;
  readonly requires: number | undefined;
  readonly dependencies: PluginVersionPhp['dependencies'];
  /** The site's directory for the type, absolute (where the plugin's folder goes). */
  readonly typeDir: string;
  /** `<typeDir>/<name>`. */
  readonly targetDir: string;
  /** The version installed before, when there is one (an upgrade). */
  readonly installed: number | undefined;
}

/** `4.5` → 405, Moodle's `$branch` number (supported and incompatible are written in it). */
export function branchNumber(branch: string): number | undefined {
  const m = /^([1-9])\.([0-9]{1,2})$/.exec(branch);
  return m === null ? undefined : Number(m[1]) * 100 + Number(m[2]);
}

function releaseOf(branch: number): string {
  return branchName(String(branch)) ?? String(branch);
}

function cut(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function readVersionPhp(unpacked: UnpackedPlugin): PluginVersionPhp & { version: number } {
  const path = `${unpacked.root}/version.php`;
  const file = unpacked.entries.find((e) => e.path === path && e.kind === 'file');
  // Moodle tolerates a theme without version.php (a DEBUG message); the bot does not: without
  // a version it cannot tell an upgrade from a downgrade nor read the install back.
  if (file === undefined) throw new UserError('plugin-version-php-missing', { expected: path });
  const read = readPluginVersionPhp((file.data ?? Buffer.alloc(0)).toString('utf8'));
  if (read.moduleSyntax) {
    throw new UserError('plugin-version-missing', { found: '$module->version' });
  }
  if (read.version === undefined) throw new UserError('plugin-version-missing', { found: '—' });
  return { ...read, version: read.version };
}

function checkLanguageFile(unpacked: UnpackedPlugin, type: string, name: string): void {
  // validate_language_pack: activity modules name the file after the plugin alone.
  const file = type === 'mod' ? `${name}.php` : `${type}_${name}.php`;
  const path = `${unpacked.root}/lang/en/${file}`;
  if (!unpacked.entries.some((e) => e.path === path && e.kind === 'file')) {
    throw new UserError('plugin-lang-missing', { expected: path });
  }
}

function checkBranch(read: PluginVersionPhp, site: Pick<Site, 'branch'>): void {
  const branch = branchNumber(site.branch);
  if (branch === undefined) return;
  if (read.supported !== undefined) {
    const [from, to] = read.supported;
    if (branch < from || branch > to) {
      throw new UserError('plugin-branch-unsupported', {
        from: releaseOf(from),
        to: releaseOf(to),
        branch: site.branch,
      });
    }
  }
  if (read.incompatible !== undefined && branch >= read.incompatible) {
    throw new UserError('plugin-branch-incompatible', {
      incompatible: releaseOf(read.incompatible),
      branch: site.branch,
    });
  }
}

async function checkDependencies(
  dependencies: PluginVersionPhp['dependencies'],
  installed: InstalledVersions,
): Promise<void> {
  for (const [dependency, required] of Object.entries(dependencies)) {
    const present = await installed(dependency);
    if (present === undefined) {
      if (required === 'any') throw new UserError('plugin-dependency-absent', { dependency });
      throw new UserError('plugin-dependency-missing', { dependency, required });
    }
    if (required !== 'any' && present < required) {
      throw new UserError('plugin-dependency-old', { dependency, required, installed: present });
    }
  }
}

/**
 * Checks the unpacked plugin against the site; throws a UserError naming what was found and
 * what was expected, else says where it goes and what it is.
 */
export async function validatePlugin(
  unpacked: UnpackedPlugin,
  site: Pick<Site, 'version' | 'release' | 'branch' | 'typeDirs'>,
  installed: InstalledVersions,
): Promise<ValidatedPlugin> {
  const { type, name } = splitComponent(unpacked.component);
  // validate_version_php, in its order.
  const read = readVersionPhp(unpacked);
  if (read.requires !== undefined && read.requires > site.version) {
    throw new UserError('plugin-requires-newer', {
      requires: read.requires,
      version: site.version,
      release: site.release,
    });
  }
  if (read.component !== unpacked.component) {
    throw new UserError('plugin-component-mismatch', {
      found: read.component ?? '—',
      expected: unpacked.component,
    });
  }
  const malformed = read.malformed[0];
  if (malformed !== undefined) {
    throw new UserError('plugin-version-malformed', {
      field: malformed.field,
      found: cut(malformed.text),
    });
  }
  checkLanguageFile(unpacked, type, name);
  // validate_target_location: the site must know the type.
  const typeDir = site.typeDirs.get(type);
  if (typeDir === undefined) {
    const known = [...site.typeDirs.keys()].sort();
    throw new UserError('plugin-type-unknown', {
      type,
      known: known.slice(0, 20).join(', ') + (known.length > 20 ? ', …' : ''),
    });
  }
  checkBranch(read, site);
  await checkDependencies(read.dependencies, installed);
  const before = await installed(unpacked.component);
  if (before !== undefined && read.version < before) {
    throw new UserError('plugin-downgrade', {
      component: unpacked.component,
      installed: before,
      version: read.version,
    });
  }
  return {
    component: unpacked.component,
    type,
    name,
    version: read.version,
    release: read.release,
    maturity: read.maturity,
    requires: read.requires,
    dependencies: read.dependencies,
    typeDir,
    targetDir: `${typeDir}/${name}`,
    installed: before,
  };
}
