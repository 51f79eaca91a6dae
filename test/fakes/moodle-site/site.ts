/**
 * A Moodle site to install plugins into: the image of ./Dockerfile (Debian's PHP CLI, the
 * miniature Moodle 4.5 tree of ./tree whose admin/cli scripts follow Moodle's CLI contract,
 * its SQLite database made at build time), built for real in the test engine with no network
 * and kept by content hash; a running container of it on three named volumes (code,
 * moodledata, database); and the site's state as the tests compare it ("the database as
 * before", "the plugin absent", "not in maintenance").
 *
 * The container runs with network mode none; its main process only sleeps. Exec as the web
 * server's user (`www-data`, uid 33) is what Moodle asks of its CLI scripts ("you must execute
 * this script with the same uid as apache", admin/cli/upgrade.php --help).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecResult } from '../../../src/core/platform.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { DockerPlatform } from '../../../src/platforms/docker/docker-platform.ts';
import type { SiteExec } from '../../../src/plugins/site.ts';
import type { DockerTestBed } from '../../helpers/docker.ts';

/** Where the site's code, data and database are inside the container. */
export const moodleRoot = '/var/www/html';
export const moodleDataroot = '/var/www/moodledata';
export const moodleDbDir = '/var/www/moodledb';
export const moodleDbFile = `${moodleDbDir}/moodle.sqlite`;
/** The web server's user, as in moodlehq/moodle-php-apache. */
export const webUser = 'www-data';
export const webUid = 33;

/** The site's core version (its version.php; FIELD-NOTES: 4.5 = 2024100700). */
export const moodleSiteCore = {
  version: 2024100700,
  release: '4.5 (Build: 20241007)',
  branch: '4.5',
} as const;

/** The plugins the site has installed from the start: component → version. */
export const bundledPlugins: Readonly<Record<string, number>> = {
  block_html: 2024100700,
  mod_forum: 2024100700,
  tool_recyclebin: 2024100700,
};

/** Plugin type → directory relative to the root (the site's lib/components.json, in part). */
export const pluginTypeDirs: Readonly<Record<string, string>> = {
  mod: 'mod',
  block: 'blocks',
  local: 'local',
  tool: 'admin/tool',
  qtype: 'question/type',
  format: 'course/format',
  theme: 'theme',
  auth: 'auth',
  enrol: 'enrol',
  report: 'report',
  filter: 'filter',
};

const contextDir = import.meta.dirname;
const imageRepository = 'pes-test/moodle-site';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function docker(args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** What the image is made of: the Dockerfile, tree/ and tools/, and the base image. */
function contentHash(baseId: string): string {
  const hash = createHash('sha256').update(`${baseId}\n`);
  const files = [
    join(contextDir, 'Dockerfile'),
    ...filesUnder(join(contextDir, 'tree')),
    ...filesUnder(join(contextDir, 'tools')),
  ].sort();
  for (const file of files) {
    hash.update(`${relative(contextDir, file)}\0${String(statSync(file).mode & 0o111)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export interface MoodleSiteImageOptions {
  /**
   * Whom the main process and every exec without a user run as: `root` (default, as in
   * moodlehq/moodle-php-apache) or `www-data` (for a pod: a Kubernetes exec names no user).
   */
  readonly runAs?: 'root' | 'www-data';
}

const building = new Map<string, Promise<string>>();

/**
 * The image's tag, built when the engine does not have it yet (`docker build --network none`
 * on the debian base of scripts/image-bases.sh, which scripts/test-env.sh makes). The tag
 * carries the content hash, so a second run finds it and builds nothing.
 */
export function moodleSiteImage(options: MoodleSiteImageOptions = {}): Promise<string> {
  const runAs = options.runAs ?? 'root';
  let pending = building.get(runAs);
  if (pending === undefined) {
    pending = buildIfMissing(runAs);
    building.set(runAs, pending);
    pending.catch(() => building.delete(runAs));
  }
  return pending;
}

async function buildIfMissing(runAs: string): Promise<string> {
  const release = /^ARG DEBIAN_RELEASE=(\S+)$/m.exec(
    readFileSync(join(contextDir, 'Dockerfile'), 'utf8'),
  )?.[1];
  const base = `debian:${release ?? 'bookworm'}-slim`;
  const inspect = await docker(['image', 'inspect', '-f', '{{.Id}}', base], 60_000);
  if (inspect.code !== 0) {
    throw new Error(
      `${base} is not in the test engine: scripts/test-env.sh makes it (scripts/image-bases.sh, as root)`,
    );
  }
  const tag = `${imageRepository}:${contentHash(inspect.stdout.trim())}${runAs === 'root' ? '' : `-${runAs}`}`;
  if ((await docker(['image', 'inspect', '-f', '{{.Id}}', tag], 60_000)).code === 0) return tag;
  const build = await docker(
    [
      'build',
      '--network',
      'none',
      '--build-arg',
      `RUN_AS=${runAs}`,
      '--label',
      'pes.test.image=moodle-site',
      '-t',
      tag,
      contextDir,
    ],
    20 * 60_000,
  );
  if (build.code !== 0) {
    throw new Error(
      `docker build of the Moodle site failed (is php-cli in the base's package list, ` +
        `scripts/image-bases.sh?):\n${(build.stdout + build.stderr).slice(-6000)}`,
    );
  }
  return tag;
}

export interface MoodleSiteVolumes {
  /** Mounted at /var/www/html. */
  readonly code: string;
  /** Mounted at /var/www/moodledata. */
  readonly moodledata: string;
  /** Mounted at /var/www/moodledb (the SQLite file). */
  readonly db: string;
}

export interface StartMoodleSiteOptions {
  /** Part of the container and volume names (default `moodle`); the bed makes them unique. */
  readonly name?: string;
  /** Compose labels, so that a catalog selecting by project/service finds the container. */
  readonly compose?: { readonly project: string; readonly service: string };
  readonly labels?: Readonly<Record<string, string>>;
  readonly runAs?: 'root' | 'www-data';
}

/** What tests need to drive a site, wherever it runs. */
export interface SiteAccess {
  readonly root: string;
  readonly dataroot: string;
  readonly dbFile: string;
  /** Runs argv in the container (no shell); as `www-data` where the platform lets us choose. */
  exec(
    argv: readonly string[],
    options?: { readonly user?: string; readonly stdin?: string | Buffer },
  ): Promise<ExecResult>;
  /** `php admin/cli/<script> …args`, e.g. cli('upgrade.php', ['--non-interactive']). */
  cli(script: string, args?: readonly string[]): Promise<ExecResult>;
  /** The bot's reader (src/plugins/site.ts) over this container: exec as the default user. */
  readonly siteExec: SiteExec;
}

export interface MoodleSite extends SiteAccess {
  /** The container's name. */
  readonly container: string;
  readonly image: string;
  readonly volumes: MoodleSiteVolumes;
  /** Removes the container and its three volumes. */
  stop(): Promise<void>;
}

/**
 * A site reached through an exec that cannot name a user (a pod: Kubernetes exec runs as the
 * container's user, so the pod runs the `www-data` image, moodleSiteImage({ runAs })).
 */
export function siteOverExec(
  run: (argv: readonly string[], options: { readonly stdin?: Readable }) => Promise<ExecResult>,
): SiteAccess {
  const exec: SiteAccess['exec'] = (argv, options = {}) =>
    run(argv, options.stdin === undefined ? {} : { stdin: Readable.from([options.stdin]) });
  return {
    root: moodleRoot,
    dataroot: moodleDataroot,
    dbFile: moodleDbFile,
    exec,
    cli: (script, args = []) => exec(['php', `${moodleRoot}/admin/cli/${script}`, ...args]),
    siteExec: (argv) => run(argv, {}),
  };
}

/**
 * A running site on fresh named volumes (Docker fills an empty named volume from the image's
 * directory at first mount, owners included: the code, dataroot and database as built).
 * Containers and volumes carry the bed's run labels, so `bed.cleanup()` and
 * `removeVolumes(bed)` (test/helpers/backup-env.ts) remove them too.
 */
export async function startMoodleSite(
  bed: DockerTestBed,
  options: StartMoodleSiteOptions = {},
): Promise<MoodleSite> {
  const runAs = options.runAs ?? 'root';
  const image = await moodleSiteImage({ runAs });
  const name = options.name ?? 'moodle';
  const volumes: MoodleSiteVolumes = {
    code: `${bed.runId}-${name}-code`,
    moodledata: `${bed.runId}-${name}-moodledata`,
    db: `${bed.runId}-${name}-db`,
  };
  for (const volume of [volumes.code, volumes.moodledata, volumes.db]) {
    await bed.docker.createVolume({
      Name: volume,
      Labels: { 'pes.test': '1', 'pes.test.run': bed.runId },
    });
  }
  const container = bed.containerName(name);
  await bed.createContainer({
    name: container,
    image,
    cmd: ['sleep', 'infinity'],
    ...(options.compose === undefined ? {} : { compose: options.compose }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    hostConfig: {
      Mounts: [
        { Type: 'volume', Source: volumes.code, Target: moodleRoot },
        { Type: 'volume', Source: volumes.moodledata, Target: moodleDataroot },
        { Type: 'volume', Source: volumes.db, Target: moodleDbDir },
      ],
    },
  });
  const platform = new DockerPlatform(bed.connection);
  const exec: MoodleSite['exec'] = (argv, execOptions = {}) =>
    platform.exec(container, argv, {
      user: execOptions.user ?? webUser,
      ...(execOptions.stdin === undefined ? {} : { stdin: Readable.from([execOptions.stdin]) }),
    });
  return {
    container,
    image,
    root: moodleRoot,
    dataroot: moodleDataroot,
    dbFile: moodleDbFile,
    volumes,
    exec,
    cli: (script, args = []) => exec(['php', `${moodleRoot}/admin/cli/${script}`, ...args]),
    siteExec: (argv) => platform.exec(container, argv, {}),
    async stop() {
      await bed.docker
        .getContainer(container)
        .remove({ force: true, v: true })
        .catch(() => undefined);
      for (const volume of [volumes.code, volumes.moodledata, volumes.db]) {
        await bed.docker
          .getVolume(volume)
          .remove({ force: true })
          .catch(() => undefined);
      }
    },
  };
}

/** A catalog entry for the site: its container by name, its three volumes. */
export function moodleSiteService(site: MoodleSite, name = 'moodle'): ServiceDefinition {
  return {
    name,
    platform: 'docker',
    containers: { names: [site.container] },
    scale: { min: 1, max: 1 },
    health: { minRunning: 1, timeoutSeconds: 30 },
    volumes: [site.volumes.code, site.volumes.moodledata, site.volumes.db],
    databases: [],
  };
}

export interface SiteState {
  /** Component → version as recorded in the database (config_plugins, name `version`). */
  readonly versions: Readonly<Record<string, string>>;
  /** Every config_plugins row: [plugin, name, value]. */
  readonly settings: readonly (readonly [string, string, string])[];
  /** What plugins wrote in their db/install.php: [component, name, value]. */
  readonly rows: readonly (readonly [string, string, string])[];
  /** `type_name` of every folder in a plugin type's directory, sorted. */
  readonly folders: readonly string[];
  /** climaintenance.html is in dataroot. */
  readonly maintenance: boolean;
  /** Changes on every cache purge (purge_caches.php, upgrade.php); null before the first. */
  readonly cachePurgeMarker: string | null;
  /** sha256 of every table's schema and rows. */
  readonly databaseDigest: string;
  /** Paths under the code, dataroot and database directories not owned by uid 33 (≤ 50). */
  readonly notOwnedByWebUser: readonly string[];
}

/** The site's state, read by a PHP script outside the site's code (works on a broken tree). */
export async function siteState(site: SiteAccess): Promise<SiteState> {
  const result = await site.exec([
    'php',
    '/opt/moodle-site/state.php',
    site.root,
    site.dataroot,
    site.dbFile,
  ]);
  if (result.exitCode !== 0) {
    throw new Error(
      `reading the site's state failed (${String(result.exitCode)}): ${result.stderr}${result.stdout}`,
    );
  }
  return JSON.parse(result.stdout) as SiteState;
}

export interface TestPluginSpec {
  /** `type_name`, e.g. `local_hello`. */
  readonly component: string;
  readonly version: number;
  /** `$plugin->component` when it should differ from `component` (a misnamed plugin). */
  readonly declaredComponent?: string;
  readonly requires?: number;
  readonly release?: string;
  /** 50 alpha, 100 beta, 150 RC, 200 stable. */
  readonly maturity?: number;
  /** Component → required version, or 'any' (Moodle's ANY_VERSION). */
  readonly dependencies?: Readonly<Record<string, number | 'any'>>;
  /** `[from, to]` branches, e.g. [401, 405]. */
  readonly supported?: readonly [number, number];
  /**
   * db/install.php: `rows` writes one plugin_data row per name and returns; `fail-halfway`
   * writes the rows and then throws (the database is left touched, as in Moodle).
   */
  readonly install?: {
    readonly rows: readonly string[];
    readonly fail?: 'halfway';
  };
  /** Extra files, path relative to the plugin folder → content. */
  readonly files?: Readonly<Record<string, string>>;
}

const maturityNames: Readonly<Record<number, string>> = {
  50: 'MATURITY_ALPHA',
  100: 'MATURITY_BETA',
  150: 'MATURITY_RC',
  200: 'MATURITY_STABLE',
};

function phpString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A plugin's files (path relative to its folder → content): version.php, the English language
 * file (lang/en/<component>.php; activity modules: lang/en/<name>.php), db/install.php when
 * asked. The same map can go into a ZIP under a root folder named after the plugin.
 */
export function pluginFiles(spec: TestPluginSpec): Map<string, string> {
  const cut = spec.component.indexOf('_');
  const type = spec.component.slice(0, cut);
  const name = spec.component.slice(cut + 1);
  const lines = [
    '<?php',
    "defined('MOODLE_INTERNAL') || die();",
    '',
    `$plugin->component = ${phpString(spec.declaredComponent ?? spec.component)};`,
    `$plugin->version = ${String(spec.version)};`,
  ];
  if (spec.requires !== undefined) lines.push(`$plugin->requires = ${String(spec.requires)};`);
  if (spec.release !== undefined) lines.push(`$plugin->release = ${phpString(spec.release)};`);
  if (spec.maturity !== undefined)
    lines.push(`$plugin->maturity = ${maturityNames[spec.maturity] ?? String(spec.maturity)};`);
  if (spec.supported !== undefined)
    lines.push(
      `$plugin->supported = [${String(spec.supported[0])}, ${String(spec.supported[1])}];`,
    );
  if (spec.dependencies !== undefined) {
    const entries = Object.entries(spec.dependencies).map(
      ([component, version]) =>
        `${phpString(component)} => ${version === 'any' ? 'ANY_VERSION' : String(version)}`,
    );
    lines.push(`$plugin->dependencies = [${entries.join(', ')}];`);
  }
  const files = new Map<string, string>([['version.php', `${lines.join('\n')}\n`]]);
  files.set(
    type === 'mod' ? `lang/en/${name}.php` : `lang/en/${spec.component}.php`,
    `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$string['pluginname'] = ${phpString(name)};\n`,
  );
  if (spec.install !== undefined) {
    const body = spec.install.rows.map(
      (row) =>
        `    $DB->insert_record('plugin_data', ['component' => ${phpString(spec.component)}, ` +
        `'name' => ${phpString(row)}, 'value' => '1']);`,
    );
    if (spec.install.fail === 'halfway') {
      body.push(
        `    throw new moodle_exception('installfailed', ${phpString(`${spec.component} failed half-way through its install`)});`,
      );
    }
    files.set(
      'db/install.php',
      [
        '<?php',
        "defined('MOODLE_INTERNAL') || die();",
        '',
        // Activity modules' functions carry the bare name (xmldb_forum_install).
        `function xmldb_${type === 'mod' ? name : spec.component}_install() {`,
        '    global $DB;',
        ...body,
        '    return true;',
        '}',
        '',
      ].join('\n'),
    );
  }
  for (const [path, content] of Object.entries(spec.files ?? {})) files.set(path, content);
  return files;
}

/** The folder a component goes to in the site: `<root>/<type dir>/<name>`. */
export function pluginFolder(component: string, root = moodleRoot): string {
  const cut = component.indexOf('_');
  const dir = pluginTypeDirs[component.slice(0, cut)];
  if (dir === undefined) throw new Error(`no directory known for the type of ${component}`);
  return `${root}/${dir}/${component.slice(cut + 1)}`;
}

/**
 * Copies a plugin's files into the site as www-data (as an admin copying a plugin folder in),
 * argv only: mkdir -p, then tee for each file. Returns the folder.
 */
export async function putPlugin(
  site: SiteAccess,
  spec:
    TestPluginSpec | { readonly component: string; readonly files: ReadonlyMap<string, string> },
): Promise<string> {
  const folder = pluginFolder(spec.component, site.root);
  const files = 'version' in spec ? pluginFiles(spec) : spec.files;
  for (const [path, content] of files) {
    const full = `${folder}/${path}`;
    const dir = full.slice(0, full.lastIndexOf('/'));
    const made = await site.exec(['mkdir', '-p', dir]);
    if (made.exitCode !== 0) throw new Error(`mkdir -p ${dir}: ${made.stderr}`);
    const written = await site.exec(['tee', full], { stdin: content });
    if (written.exitCode !== 0) throw new Error(`writing ${full}: ${written.stderr}`);
  }
  return folder;
}

/** Removes a plugin's folder from the site (what an installer does after a failure). */
export async function removePluginFolder(site: SiteAccess, component: string): Promise<void> {
  const folder = pluginFolder(component, site.root);
  const removed = await site.exec(['rm', '-rf', '--', folder]);
  if (removed.exitCode !== 0) throw new Error(`rm -rf ${folder}: ${removed.stderr}`);
}
