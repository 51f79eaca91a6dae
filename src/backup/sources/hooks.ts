/**
 * Commands run around a backup inside one of the service's containers, e.g. Moodle's
 * maintenance mode on before and off after (`php admin/cli/maintenance.php --enable`).
 * The after-commands undo the before-commands, so they always run — after a failed backup,
 * after a failed before-command, after a cancel — and each one runs even when an earlier
 * one failed.
 */
import type { ServiceBackupDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import { withFurtherFailures } from '../failures.ts';
import type { Platform } from '../../core/platform.ts';

export type HookSettings = NonNullable<ServiceBackupDefinition['hooks']>;

/** The shape the orchestration calls (src/backup/plan.ts BackupHooks). */
export interface ExecHooks {
  before(signal?: AbortSignal): Promise<void>;
  after(signal?: AbortSignal): Promise<void>;
}

/** How long the after-commands may take, whatever happened to the job's signal. */
const afterTimeoutMs = 10 * 60_000;

export function execHooks(platform: Platform, settings: HookSettings): ExecHooks {
  const runOne = async (argv: readonly string[], signal?: AbortSignal): Promise<void> => {
    const result = await platform.exec(
      settings.container,
      argv,
      settings.user === undefined ? {} : { user: settings.user },
      signal,
    );
    if (result.exitCode !== 0) {
      const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-2);
      throw new UserError('backup-hook-command-failed', {
        command: argv.join(' '),
        container: settings.container,
        code: result.exitCode,
        reason: output.join(' — ').slice(-300) || 'no message',
      });
    }
  };
  return {
    async before(signal) {
      for (const argv of settings.before) await runOne(argv, signal);
    },
    async after() {
      // Not the job's signal: a cancelled job still takes its service out of maintenance.
      const signal = AbortSignal.timeout(afterTimeoutMs);
      // Each one runs; every failure is told, the first one first.
      const failures: unknown[] = [];
      for (const argv of settings.after) {
        try {
          await runOne(argv, signal);
        } catch (error) {
          failures.push(error);
        }
      }
      const [first, ...rest] = failures;
      if (first !== undefined) throw withFurtherFailures(first, rest);
    },
  };
}

/**
 * Runs `work` between the hooks: before-commands, the work, then the after-commands always.
 * The work's (or a before-command's) error comes first; an after-command's is told with it.
 */
export async function withHooks<T>(
  hooks: ExecHooks | undefined,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (hooks === undefined) return work();
  let result: T;
  try {
    await hooks.before(signal);
    result = await work();
  } catch (error) {
    const after = await hooks.after(signal).then(
      () => undefined,
      (afterError: unknown) => afterError,
    );
    throw withFurtherFailures(error, after === undefined ? [] : [after]);
  }
  await hooks.after(signal);
  return result;
}
