/**
 * A scripted Moodle container for the installer's unit tests: the argv the installer runs
 * (cat, test, mv, rm, id, tar, php admin/cli/…) act on an in-memory site — files, the
 * maintenance flag, and the plugin versions its database records — and every call is logged
 * with the user it ran as. Faults are switched on per test. Real PHP runs in the integration
 * test (install-docker.test.ts).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  BackupReport,
  BackupService,
  BackupStepReporter,
  RestorePlan,
} from '../../src/core/backup.ts';
import { passPointOfNoReturn } from '../../src/core/context-commit.ts';
import { UserError } from '../../src/core/errors.ts';
import type { ContainerState, ExecResult, Platform } from '../../src/core/platform.ts';
import type { InstallJobDeps, InstallStep } from '../../src/plugins/install/install-job.ts';
import type { ContainerExec } from '../../src/plugins/install/moodle-cli.ts';
import type { PluginPackage } from '../../src/plugins/install/package-port.ts';
import { fakePlatform } from '../helpers/bot.ts';

const root = '/var/www/html';
const coreVersion = `<?php
$version  = 2024100700.00;
$release  = '4.5 (Build: 20241007)';
$branch   = '405';
`;
const components = JSON.stringify({ plugintypes: { mod: 'mod', block: 'blocks' } });

export function pluginVersionPhp(component: string, version: number): string {
  return `<?php\n$plugin->component = '${component}';\n$plugin->version = ${version};\n$plugin->release = 'r${version}';\n`;
}

export interface Call {
  readonly argv: readonly string[];
  readonly user: string | undefined;
}

export interface Faults {
  /** upgrade.php records the versions, then exits 1 (a failure half-way). */
  upgradeFailsHalfway?: boolean;
  /** upgrade.php exits 0 without recording the plugin. */
  upgradeRecordsNothing?: boolean;
  /** upgrade.php runs until the job is cancelled. */
  upgradeHangs?: boolean;
  /** tar writes part of the folder, then exits 2. */
  tarFails?: boolean;
  maintenanceOffFails?: boolean;
  /** uninstall_plugins.php drops the plugin's record, then exits 1. */
  uninstallFailsHalfway?: boolean;
  /**
   * uninstall_plugins.php refuses as Moodle's does for a plugin that cannot go (another
   * depends on it, or its plugininfo forbids it): "Can not be uninstalled: …", exit 0.
   */
  uninstallRefused?: boolean;
}

export class ScriptedSite {
  readonly files = new Map<string, string>();
  /** component → version, as the site's database records it. */
  db = new Map<string, number>();
  maintenance = false;
  readonly calls: Call[] = [];
  faults: Faults = {};
  /** Resolves once upgrade.php has started (for a cancel in the middle of it). */
  upgradeStarted: Promise<void>;
  #started = (): void => undefined;

  constructor() {
    this.files.set(`${root}/version.php`, coreVersion);
    this.files.set(`${root}/lib/components.json`, components);
    this.files.set(`${root}/admin/cli/upgrade.php`, '<?php');
    this.upgradeStarted = new Promise((resolve) => (this.#started = resolve));
  }

  /** A plugin already there: its folder and its database record. */
  installPlugin(component: string, version: number): void {
    this.files.set(`${this.#folder(component)}/version.php`, pluginVersionPhp(component, version));
    this.db.set(component, version);
  }

  folderOf(component: string): string[] {
    const dir = this.#folder(component);
    return [...this.files.keys()].filter((p) => p.startsWith(`${dir}/`)).sort();
  }

  /** Everything under the type directory of `component` (to see what was left aside). */
  typeDirEntries(component: string): string[] {
    const dir = this.#folder(component);
    const type = dir.slice(0, dir.lastIndexOf('/'));
    return [...this.files.keys()].filter((p) => p.startsWith(`${type}/`)).sort();
  }

  #folder(component: string): string {
    const cut = component.indexOf('_');
    const dirs: Record<string, string> = { mod: 'mod', block: 'blocks' };
    return `${root}/${dirs[component.slice(0, cut)] ?? 'x'}/${component.slice(cut + 1)}`;
  }

  readonly exec: ContainerExec = async (argv, options, signal) => {
    signal.throwIfAborted();
    this.calls.push({ argv, user: options.user });
    const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
    const fail = (code: number, stderr: string): ExecResult => ({
      exitCode: code,
      stdout: '',
      stderr,
    });
    const [program, ...args] = argv;
    switch (program) {
      case 'cat': {
        const text = this.files.get(args[1] ?? '');
        return text === undefined ? fail(1, 'No such file') : ok(text);
      }
      case 'test': {
        const path = args[1] ?? '';
        const exists = [...this.files.keys()].some((p) => p === path || p.startsWith(`${path}/`));
        return exists ? ok() : fail(1, '');
      }
      case 'id':
        return ok(args[0] === '-u' ? '33\n' : '33\n');
      case 'rm': {
        const path = args[2] ?? '';
        for (const p of [...this.files.keys()]) if (p.startsWith(`${path}/`)) this.files.delete(p);
        return ok();
      }
      case 'mv': {
        const [, from = '', to = ''] = args;
        for (const [p, text] of [...this.files]) {
          if (p.startsWith(`${from}/`)) {
            this.files.delete(p);
            this.files.set(`${to}${p.slice(from.length)}`, text);
          }
        }
        return ok();
      }
      case 'tar': {
        const dir = (args.find((a) => a.startsWith('--directory=')) ?? '').slice(12);
        const chunks: Buffer[] = [];
        for await (const chunk of options.stdin ?? Readable.from([]))
          chunks.push(Buffer.from(chunk as Buffer));
        const payload = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>;
        const entries = Object.entries(payload);
        const written = this.faults.tarFails ? entries.slice(0, 1) : entries;
        for (const [p, text] of written) this.files.set(`${dir}/${p}`, text);
        return this.faults.tarFails ? fail(2, 'tar: write error') : ok();
      }
      case 'php':
        return this.#php(args, signal);
      default:
        return fail(127, `${program ?? ''}: not found`);
    }
  };

  async #php(args: readonly string[], signal: AbortSignal): Promise<ExecResult> {
    const script = (args[0] ?? '').split('/').at(-1);
    const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
    switch (script) {
      case 'maintenance.php':
        if (args[1] === '--disable' && this.faults.maintenanceOffFails) {
          return { exitCode: 1, stdout: '', stderr: 'cannot write climaintenance.html' };
        }
        // Without an option Moodle's maintenance.php prints the status.
        if (args[1] === undefined) {
          return ok(`Status: ${this.maintenance ? 'enabled' : 'disabled'}\n`);
        }
        this.maintenance = args[1] === '--enable';
        return ok();
      case 'upgrade.php': {
        if (args[1] === '--is-pending') {
          // As Moodle's: exit 2 when a plugin's code is not the version its database records.
          const pending = [...this.files].some(([path, text]) => {
            const m = /\$plugin->component = '([a-z_]+)';\n\$plugin->version = (\d+);/.exec(text);
            return m !== null && !path.includes('/.') && this.db.get(m[1] ?? '') !== Number(m[2]);
          });
          return pending
            ? { exitCode: 2, stdout: '', stderr: '!!! An upgrade is pending !!!\n' }
            : ok();
        }
        this.#started();
        if (this.faults.upgradeHangs) {
          await new Promise<void>((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
          });
        }
        if (this.faults.upgradeRecordsNothing) return ok('No upgrade needed');
        for (const [path, text] of this.files) {
          const m = /\$plugin->component = '([a-z_]+)';\n\$plugin->version = (\d+);/.exec(text);
          if (m !== null && !path.includes('/.')) this.db.set(m[1] ?? '', Number(m[2]));
        }
        return this.faults.upgradeFailsHalfway
          ? {
              exitCode: 1,
              stdout: '',
              stderr: 'Default exception handler: dependencies check failed',
            }
          : ok();
      }
      case 'cfg.php': {
        // As Moodle's admin/cli/cfg.php: a setting that is not there is exit 3.
        const component = (args[1] ?? '').replace('--component=', '');
        const v = this.db.get(component);
        return v === undefined
          ? { exitCode: 3, stdout: '', stderr: 'No such configuration variable found.\n' }
          : ok(`${v}\n`);
      }
      case 'purge_caches.php':
        return ok();
      case 'uninstall_plugins.php': {
        // As Moodle's admin/cli/uninstall_plugins.php: refusals are lines on stdout with exit 0.
        const component = (args[1] ?? '').replace('--plugins=', '');
        if (!this.db.has(component)) return ok(`Unknown plugin: ${component}\n`);
        if (this.faults.uninstallRefused) {
          return ok(`Can not be uninstalled: ${component}\tAttendance\n`);
        }
        this.db.delete(component);
        const said = `Uninstalling: ${component}\tAttendance\n`;
        return this.faults.uninstallFailsHalfway
          ? { exitCode: 1, stdout: said, stderr: 'Error: could not drop table attendance_log' }
          : ok(said);
      }
      default:
        return { exitCode: 1, stdout: '', stderr: 'Could not open input file' };
    }
  }
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A package whose "ZIP" is JSON of its files; `prepare` fails with `invalid` when set. */
export function fakePackage(
  component: string,
  version: number,
  invalid?: UserError,
): {
  zip: Uint8Array;
  pkg: PluginPackage;
} {
  const name = component.slice(component.indexOf('_') + 1);
  const files = {
    [`${name}/version.php`]: pluginVersionPhp(component, version),
    [`${name}/lib.php`]: '<?php',
  };
  const zip = Buffer.from(JSON.stringify(files));
  const pkg: PluginPackage = {
    checkDownload(bytes, expected) {
      if (expected === undefined || md5(bytes) !== expected) {
        throw new UserError('plugin-step-failed', { what: 'MD5', exit: 1, output: md5(bytes) });
      }
    },
    prepare(bytes, wanted) {
      if (invalid !== undefined) return Promise.reject(invalid);
      return Promise.resolve({
        plugin: { component: wanted, version, release: `r${version}` },
        tar: () => Readable.from([Buffer.from(bytes)]),
        extractArgv: (typeDir: string) => [
          'tar',
          '--extract',
          '--file=-',
          `--directory=${typeDir}`,
        ],
      });
    },
  };
  return { zip, pkg };
}

export interface Bed {
  readonly site: ScriptedSite;
  readonly deps: InstallJobDeps;
  readonly steps: InstallStep[];
  readonly restores: number[];
  readonly backups: number[];
  /** The signals the backups were given (marked past the point of no return, as the real). */
  readonly backupSignals: AbortSignal[];
  readonly controller: AbortController;
}

export function jobBed(options: {
  site?: ScriptedSite;
  zip: Uint8Array;
  pkg: PluginPackage;
  backupFails?: boolean;
}): Bed {
  const site = options.site ?? new ScriptedSite();
  const steps: InstallStep[] = [];
  const restores: number[] = [];
  const backups: number[] = [];
  const backupSignals: AbortSignal[] = [];
  const controller = new AbortController();
  let saved = new Map<string, number>();
  const report: BackupReport = {
    service: 'moodle',
    job: '7-20261207T000000Z',
    sources: [
      {
        source: 'postgres:moodle',
        snapshotId: 'abc123',
        bytes: 1,
        sha256: 'x',
        files: undefined,
        bytesAdded: 1,
        durationMs: 1,
      },
    ],
    removed: [],
    retentionError: undefined,
    earlier: [],
    durationMs: 1,
  };
  const deps: InstallJobDeps = {
    exec: site.exec,
    readSite: async (signal) => {
      const { readSite } = await import('../../src/plugins/site.ts');
      return readSite((argv) => site.exec(argv, {}, signal), root);
    },
    backup: (onStep: BackupStepReporter, signal: AbortSignal) => {
      backups.push(site.calls.length);
      if (options.backupFails) {
        return Promise.reject(new UserError('backup-not-configured'));
      }
      // As the real BackupService: the signal it was given is past its point of no return.
      passPointOfNoReturn(signal);
      backupSignals.push(signal);
      onStep({ fraction: 0.5, phase: 'backup', source: 'postgres:moodle' });
      saved = new Map(site.db);
      return Promise.resolve(report);
    },
    restoreDatabase: (_backup, _onStep, signal) => {
      if (signal.aborted) return Promise.reject(new Error('restore under a spent signal'));
      restores.push(site.calls.length);
      site.db = new Map(saved);
      return Promise.resolve();
    },
    download: () => Promise.resolve(options.zip),
    pkg: options.pkg,
    webUser: 'www-data',
    php: 'php',
    service: 'moodle',
    progress: (step) => {
      if (steps.at(-1) !== step) steps.push(step);
    },
    signal: controller.signal,
    undoMs: 60_000,
  };
  return { site, deps, steps, restores, backups, backupSignals, controller };
}

/** A platform whose one Moodle container is `site` (status and exec; nothing else). */
export function scriptedPlatform(site: ScriptedSite, state: ContainerState = 'running'): Platform {
  return {
    ...fakePlatform({
      moodle: {
        service: 'moodle',
        state: 'up',
        containers: [
          {
            name: 'moodle-web',
            id: 'c1',
            state: state,
            health: 'none',
            image: 'moodle',
            tag: '4.5',
            startedAt: new Date('2026-12-01T00:00:00Z'),
            restartCount: 0,
          },
        ],
      },
    }),
    exec: (_container, argv, execOptions, signal) =>
      site.exec(
        argv,
        {
          ...(execOptions.user === undefined ? {} : { user: execOptions.user }),
          ...(execOptions.stdin === undefined ? {} : { stdin: execOptions.stdin }),
        },
        signal ?? new AbortController().signal,
      ),
  };
}

/**
 * Backups at the port: a backup keeps the site's database records, a restore puts them back
 * and records the sources it was given (the installer must give only the database's).
 */
export function fakeBackups(
  site: ScriptedSite,
  options: { readonly database?: boolean } = {},
): { backups: BackupService; restored: string[] } {
  let saved = new Map<string, number>();
  const restored: string[] = [];
  const report: BackupReport = {
    service: 'moodle',
    job: '1-20261207T010000Z',
    sources: [
      {
        source: 'postgres:moodle',
        snapshotId: 'abc12345',
        bytes: 1,
        sha256: 'x',
        files: undefined,
        bytesAdded: 1,
        durationMs: 1,
      },
    ],
    removed: [],
    retentionError: undefined,
    earlier: [],
    durationMs: 1,
  };
  const refuse = (): Promise<never> => Promise.reject(new Error('not part of this fake'));
  const backups: BackupService = {
    sources: () => [
      ...(options.database === false ? [] : [{ id: 'postgres:moodle', kind: 'database' as const }]),
      { id: 'volume:moodledata', kind: 'volume' },
    ],
    backup: (_service, _options, _onStep, signal) => {
      saved = new Map(site.db);
      // As the real BackupService: the signal it was given is past its point of no return.
      passPointOfNoReturn(signal);
      return Promise.resolve(report);
    },
    snapshots: refuse,
    files: refuse,
    verify: refuse,
    unlock: refuse,
    prune: refuse,
    planRestore: (_service, ref) => {
      const plan: RestorePlan = {
        service: 'moodle',
        ref,
        job: report.job,
        items: [
          {
            source: 'postgres:moodle',
            kind: 'database',
            snapshotId: ref,
            time: new Date(),
            bytes: 1,
            state: 'complete',
          },
          {
            source: 'volume:moodledata',
            kind: 'volume',
            snapshotId: 'def45678',
            time: new Date(),
            bytes: 1,
            state: 'complete',
          },
        ],
        untouched: [],
      };
      return Promise.resolve(plan);
    },
    restore: (_service, plan) => {
      restored.push(...plan.items.map((i) => i.source));
      site.db = new Map(saved);
      return Promise.resolve({ plan, safetySnapshot: undefined, restored: [], durationMs: 1 });
    },
  };
  return { backups, restored };
}
