/**
 * What the installer needs from a plugin package (src/plugins/package/): the download's MD5
 * checked, the ZIP unpacked safely, the result checked as Moodle's validator checks it, and
 * a tar of it with the web server's owner, plus the argv that extracts that tar in the
 * container. Kept as a port so the job's order and its failure paths are tested on their own.
 */
import type { Readable } from 'node:stream';
import type { Site } from '../site.ts';

/** A plugin as unpacked and validated: its component, version, and what it requires. */
export interface CheckedPlugin {
  readonly component: string;
  /** `$plugin->version` of its version.php. */
  readonly version: number;
  readonly release: string | undefined;
}

export interface PluginPackage {
  /** Throws a UserError when the bytes do not match `md5` (or `md5` is the empty file's). */
  checkDownload(bytes: Uint8Array, md5: string | undefined): void;
  /**
   * Unpacks and validates: one root folder named after the plugin, no path escapes or links,
   * size limits, version.php read statically, `requires` and dependencies against the site
   * and its installed plugins. Throws a UserError saying what is wrong.
   */
  prepare(
    zip: Uint8Array,
    component: string,
    site: Site,
    /** The installed version of a component (a dependency), read from the site. */
    installed: (component: string) => Promise<number | undefined>,
  ): Promise<PreparedPlugin>;
}

export interface PreparedPlugin {
  readonly plugin: CheckedPlugin;
  /** The plugin's folder as a tar stream whose members belong to uid:gid. */
  tar(owner: { readonly uid: number; readonly gid: number }): Readable;
  /** The argv that unpacks that tar (on stdin) into `typeDir` inside the container. */
  extractArgv(typeDir: string): readonly string[];
}
