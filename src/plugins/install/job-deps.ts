/**
 * What an install or removal job works with, from the command's context: exec in the Moodle
 * container (found again after a database restore, which stops and starts the service: on a
 * cluster, new pods), the backup through the BackupService port, the database restore, and
 * progress in words.
 */
import { sourceKind, type BackupStepReporter } from '../../core/backup.ts';
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { CommandContext } from '../../core/context.ts';
import type { Text } from '../../core/i18n.ts';
import { splitName, type InstallJobDeps, type InstallStep } from './install-job.ts';
import { jobJournal, noJournal, type JournalStore } from './journal.ts';
import {
  containerExec,
  moodleContainer,
  moodleSite,
  type MoodleAccessSettings,
} from './moodle-access.ts';
import type { ContainerExec } from './moodle-cli.ts';

export interface JobSettings extends MoodleAccessSettings {
  readonly webUser: string;
  readonly php: string;
  /** The volume holding the database when it is not one of the service's databases. */
  readonly databaseVolume: string | undefined;
}

export function jobDeps(
  ctx: CommandContext,
  service: ServiceDefinition,
  component: string,
  settings: JobSettings,
  texts: Readonly<Record<InstallStep, Text>>,
  journal?: JournalStore,
): Omit<InstallJobDeps, 'download' | 'pkg'> {
  let container: string | undefined;
  const exec: ContainerExec = async (argv, options, signal) => {
    container ??= await moodleContainer(ctx, service, settings);
    return containerExec(ctx, service, container)(argv, options, signal);
  };
  const { type, name } = splitName(component);
  const tag = jobTag(ctx.jobId);
  // Only the database: the service's databases, or the volume that holds it.
  const isDatabase = (source: string): boolean =>
    sourceKind(source) === 'database' ||
    (settings.databaseVolume !== undefined && source === `volume:${settings.databaseVolume}`);
  return {
    exec,
    // Kept only for a job with a number: the next start finds it by that number.
    journal:
      journal === undefined || ctx.jobId === undefined
        ? noJournal
        : jobJournal(journal, { jobId: ctx.jobId, service: service.name, component }),
    service: service.name,
    webUser: settings.webUser,
    php: settings.php,
    signal: ctx.signal,
    readSite: () => moodleSite(ctx, service, settings),
    backup: (onStep: BackupStepReporter, signal: AbortSignal) =>
      ctx.backups.backup(
        service,
        { only: undefined, tags: [], job: tag, jobId: ctx.jobId },
        onStep,
        signal,
      ),
    restoreDatabase: async (backup, onStep, signal) => {
      const database = backup.sources.find((s) => isDatabase(s.source));
      if (database === undefined) throw new Error('the backup holds no database');
      const chosen = await ctx.backups.planRestore(service, database.snapshotId, undefined, signal);
      const plan = { ...chosen, items: chosen.items.filter((item) => isDatabase(item.source)) };
      container = undefined;
      try {
        // Without the service's backup hooks: an `after` hook such as `maintenance.php
        // --disable` (config/pes.example.yaml) would end maintenance in the middle of the
        // rollback. The safety backup is still taken, of the database only.
        await ctx.backups.restore(
          service,
          plan,
          { job: `${tag}-undo`, jobId: ctx.jobId, withoutHooks: true },
          onStep,
          signal,
        );
      } finally {
        container = undefined;
      }
    },
    progress: (step, fraction, detail) => {
      const text = ctx.t(texts[step], {
        service: service.name,
        component,
        folder: `${type}/${name}`,
      });
      const source = detail?.source === undefined ? '' : ` · ${detail.source}`;
      ctx.progress(fraction, `${text}${source}`);
    },
  };
}

/** The tag of this job's backups: its number and when it started (as backup's jobTag). */
function jobTag(jobId: number | undefined, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${jobId ?? 0}-${stamp}`;
}
