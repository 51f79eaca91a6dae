/**
 * The Moodle site as it is: its release, where each plugin type lives, and whether a plugin
 * is there — read from the site's own files through the platform's exec (Docker exec now, the
 * Platform port's exec on a cluster), never from configuration that can go stale.
 *
 * Moodle 5.1 moved the code under `public/` (config.php stays in the root): the code
 * directory is `<root>/public` when `<root>/public/version.php` exists, else `<root>`.
 * Plugin types and their directories come from the site's `lib/components.json`
 * (`plugintypes`: `mod` → `mod`, `tool` → `admin/tool`, …).
 */
import { z } from 'zod';
import type { ExecResult } from '../core/platform.ts';
import {
  parseCoreVersion,
  parsePluginVersion,
  type CoreVersion,
  type PluginVersion,
} from './version-php.ts';

/** Runs argv in the Moodle container (no shell). */
export type SiteExec = (argv: readonly string[]) => Promise<ExecResult>;

export interface Site extends CoreVersion {
  readonly root: string;
  /** Where the code is: `<root>/public` on Moodle 5.1 and later, else `<root>`. */
  readonly codeDir: string;
  /** Plugin type → its directory, absolute. */
  readonly typeDirs: ReadonlyMap<string, string>;
}

export class SiteUnreadable extends Error {
  override readonly name = 'SiteUnreadable';
}

const componentsSchema = z.object({ plugintypes: z.record(z.string(), z.string()) });

async function readFile(exec: SiteExec, path: string): Promise<string | undefined> {
  const result = await exec(['cat', '--', path]);
  return result.exitCode === 0 ? result.stdout : undefined;
}

export async function readSite(exec: SiteExec, root: string): Promise<Site> {
  const base = root.replace(/\/+$/, '');
  let codeDir = `${base}/public`;
  let text = await readFile(exec, `${codeDir}/version.php`);
  if (text === undefined) {
    codeDir = base;
    text = await readFile(exec, `${codeDir}/version.php`);
  }
  if (text === undefined) throw new SiteUnreadable(`no version.php in ${base} or ${base}/public`);
  const core = parseCoreVersion(text);
  if (core === undefined)
    throw new SiteUnreadable(`${codeDir}/version.php has no $version, $release and $branch`);
  const json = await readFile(exec, `${codeDir}/lib/components.json`);
  if (json === undefined) throw new SiteUnreadable(`no ${codeDir}/lib/components.json`);
  let parsed: z.output<typeof componentsSchema>;
  try {
    parsed = componentsSchema.parse(JSON.parse(json));
  } catch {
    throw new SiteUnreadable(`${codeDir}/lib/components.json is not Moodle's components list`);
  }
  const typeDirs = new Map<string, string>();
  for (const [type, dir] of Object.entries(parsed.plugintypes)) {
    // Paths are relative to the code directory; a `public/` prefix (seen in 5.1 trees) is
    // relative to the root.
    typeDirs.set(type, dir.startsWith('public/') ? `${base}/${dir}` : `${codeDir}/${dir}`);
  }
  return { ...core, root: base, codeDir, typeDirs };
}

/** The installed version of `component` (its version.php on disk), or undefined. */
export async function installedVersion(
  exec: SiteExec,
  site: Site,
  component: string,
): Promise<PluginVersion | undefined> {
  const cut = component.indexOf('_');
  const dir = site.typeDirs.get(component.slice(0, cut));
  if (dir === undefined) return undefined;
  const text = await readFile(exec, `${dir}/${component.slice(cut + 1)}/version.php`);
  return text === undefined ? undefined : parsePluginVersion(text);
}
