/**
 * What a backup cut short leaves, found and forgotten at the next start. A bot killed in the
 * middle of `backup` closes the engine's stdin, and restic saves what it had read as a
 * snapshot tagged like a good one (docs/FIELD-NOTES.md "restic"); borg may keep a `.checkpoint`
 * archive. Every run is recorded before the engine stores anything (run-backup.ts), so a run
 * still open whose job is over was cut short, or failed and could not remove what it stored:
 * its snapshots, found by the job tag, are forgotten here. Until then they are never chosen
 * (select.ts, retention.ts), since the bot does not know them complete.
 *
 * Idempotent: a run is closed only once its snapshots are gone; when the engine is down or
 * the repository stays locked, the run stays open, the reason is returned to be told, and the
 * next start tries again.
 *
 * A lock is waited for a while first: the dead bot's engine outlives it (restic saves what it
 * read once its stdin closes, then removes its lock and exits), so right after a `kill -9` the
 * repository is usually locked by that very process for a few seconds more.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupLedger, BackupRunRecord } from '../core/backup.ts';
import { UserError } from '../core/errors.ts';
import { localize, locales, type Locale, type Text } from '../core/i18n.ts';
import type { Logger } from '../core/logger.ts';
import { SqliteBackupLedger } from '../store/backup-repo.ts';
import { reasonTexts } from './reason.ts';
import { createBackupEngine, type EngineSettings } from './engines/factory.ts';
import type { BackupEngine, Snapshot } from './types.ts';

export interface SweptRun {
  /** The job tag the run's snapshots carry. */
  readonly job: string;
  /** The run's job in the jobs table, to tell it with that job's interruption. */
  readonly jobId: number | undefined;
  readonly service: string;
  /** The snapshots forgotten (none when the run had stored nothing yet). */
  readonly removed: readonly string[];
  /** The snapshots that could not be forgotten (empty when they could not even be listed). */
  readonly left: readonly string[];
  /** Why not; what is left stays marked incomplete. */
  readonly error: Text | undefined;
}

export interface SweepDeps {
  readonly engine: BackupEngine;
  readonly ledger: BackupLedger;
  readonly log: Logger;
  readonly now?: () => Date;
  /** How long a locked repository is waited for before the run is left for the next start. */
  readonly lockWaitMs?: number;
  /** The pause between two tries on a locked repository. */
  readonly lockRetryMs?: number;
  /** How long to wait while the lock's holder still runs on this host (tests make it short). */
  readonly liveHolderWaitMs?: number;
}

/** Long enough for the dead bot's engine to save what it read and exit (seconds, measured). */
export const sweepLockWaitMs = 30_000;
/** `PID <n> on <host>` of a restic lock's holder, as restic words it. */
function holderOf(params: Readonly<Record<string, unknown>>): RegExpExecArray | null {
  const holder = typeof params['holder'] === 'string' ? params['holder'] : '';
  return /\bPID (\d+) on (\S+)/.exec(holder);
}

/** Whether a restic lock's holder names this host. */
function holderIsOfThisHost(params: Readonly<Record<string, unknown>>): boolean {
  return holderOf(params)?.[2] === hostname();
}

/** How long the sweep waits for a lock whose holder still runs on this host. */
export const sweepLiveHolderWaitMs = 10 * 60_000;

/**
 * Whether a restic lock's holder (`PID 4805 on vm by root (UID 0, GID 0)`, restic's words)
 * is a process that still runs on this host: not gone, and not a zombie (one that has exited
 * but not been reaped, whose lock is as dead as its process).
 */
export function holderRunsHere(params: Readonly<Record<string, unknown>>): boolean {
  const found = holderOf(params);
  if (found === null || found[2] !== hostname()) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${found[1] ?? ''}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name in parentheses, which may itself hold spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

/** How long the start waits for the sweep; an engine that hangs must not stop the bot. */
export const sweepTimeoutMs = 120_000;

export async function forgetPartialBackups(
  deps: SweepDeps,
  signal?: AbortSignal,
  only: (run: BackupRunRecord) => boolean = () => true,
): Promise<SweptRun[]> {
  const now = deps.now ?? (() => new Date());
  const runs = deps.ledger.openRuns().filter(only);
  if (runs.length === 0) return [];
  let listed: Snapshot[];
  try {
    listed = await deps.engine.list(undefined, signal);
  } catch (error) {
    const reason = reasonTexts(error);
    deps.log.error('could not look for the snapshots of backups cut short', { error });
    return runs.map((run) => leave(deps, run, [], reason, now()));
  }
  const swept: SweptRun[] = [];
  for (const run of runs) {
    const ids = listed
      .filter((s) => s.tags.job === run.job && s.tags.service === run.service)
      .map((s) => s.id);
    try {
      await forgetWhenUnlocked(deps, ids, signal);
      deps.ledger.forgetManifests(ids);
      deps.ledger.closeRun(run.job, 'discarded', undefined, now());
      if (ids.length > 0) {
        deps.log.info('forgot the snapshots of a backup cut short', { job: run.job, ids });
      }
      swept.push({ ...describe(run), removed: ids, left: [], error: undefined });
    } catch (error) {
      deps.log.error('could not forget the snapshots of a backup cut short', {
        job: run.job,
        ids,
        error,
      });
      swept.push(leave(deps, run, ids, reasonTexts(error), now()));
    }
  }
  return swept;
}

/**
 * `forget`, tried again while the repository is locked, until `lockWaitMs` has passed — or,
 * while the lock's holder is a process still running on this host (the dead bot's restic
 * saving what it had read: on a loaded machine that took more than 30 s), until it ends or
 * `liveHolderWaitMs` has passed.
 */
async function forgetWhenUnlocked(
  deps: SweepDeps,
  ids: readonly string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = Date.now();
  const deadline = started + (deps.lockWaitMs ?? sweepLockWaitMs);
  const liveDeadline = started + (deps.liveHolderWaitMs ?? sweepLiveHolderWaitMs);
  let unlocked = false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.engine.forget(ids, signal);
      return;
    } catch (error) {
      const locked = error instanceof UserError && error.code === 'backup-repo-locked';
      if (!locked) throw error;
      const now = Date.now();
      const live = holderRunsHere(error.params);
      if (!live && !unlocked && holderIsOfThisHost(error.params)) {
        // The holder was of this host and is gone: its lock is stale (a restic killed with
        // the bot, e.g. by SIGPIPE, never removes it). `restic unlock` removes stale locks
        // only, never one of a live process.
        unlocked = true;
        await deps.engine.unlock(signal).catch(() => undefined);
        continue;
      }
      const waiting = now < deadline || (now < liveDeadline && live);
      if (!waiting) throw error;
      if (attempt === 1) deps.log.info('the repository is locked; waiting for it', { error });
      await sleep(deps.lockRetryMs ?? 1_000, undefined, { signal });
    }
  }
}

function describe(run: BackupRunRecord): Pick<SweptRun, 'job' | 'jobId' | 'service'> {
  return { job: run.job, jobId: run.jobId, service: run.service };
}

/** Kept open as `left`: never chosen, and tried again at the next start. */
function leave(
  deps: SweepDeps,
  run: BackupRunRecord,
  ids: readonly string[],
  reason: Text,
  at: Date,
): SweptRun {
  deps.ledger.closeRun(run.job, 'left', reason.en, at);
  return { ...describe(run), removed: [], left: ids, error: reason };
}

/**
 * The start-up call (`pes serve`): after the jobs of a dead process are marked interrupted,
 * so that their runs count as over. Nothing to do without a `backup:` section or open runs.
 */
export async function sweepPartialBackupsAtStart(
  backup: EngineSettings | undefined,
  db: DatabaseSync,
  log: Logger,
): Promise<SweptRun[]> {
  if (backup === undefined) return [];
  const ledger = new SqliteBackupLedger(db);
  if (ledger.openRuns().length === 0) return [];
  return forgetPartialBackups(
    { engine: createBackupEngine(backup), ledger, log: log.child({ part: 'backup' }) },
    AbortSignal.timeout(sweepTimeoutMs),
  );
}

/** What became of the snapshots of a backup cut short, said with its interrupted job. */
export const partialBackupTexts = {
  removed: {
    ru: 'Её неполные снимки удалены: {ids}.',
    en: 'Its partial snapshots were removed: {ids}.',
  },
  none: {
    ru: 'Неполных снимков она не оставила.',
    en: 'It left no partial snapshot.',
  },
  left: {
    ru: 'Её неполные снимки ({ids}) удалить не удалось: {reason}. Они помечены неполными и не восстанавливаются; следующий запуск бота попробует снова.',
    en: 'Its partial snapshots ({ids}) could not be removed: {reason}. They are marked incomplete and never restored; the next start of the bot tries again.',
  },
} as const;

function sweptText(run: SweptRun, locale: Locale): string {
  const list = (ids: readonly string[]): string =>
    ids.length === 0 ? '?' : ids.map((id) => `\`${id}\``).join(', ');
  if (run.error !== undefined) {
    return localize(partialBackupTexts.left, locale, {
      ids: list(run.left),
      reason: run.error[locale],
    });
  }
  if (run.removed.length === 0) return localize(partialBackupTexts.none, locale);
  return localize(partialBackupTexts.removed, locale, { ids: list(run.removed) });
}

/** By job id, the sentence each interrupted job's message gains (several runs: joined). */
export function partialBackupNotes(swept: readonly SweptRun[]): Map<number, Text> {
  const notes = new Map<number, Text>();
  for (const run of swept) {
    if (run.jobId === undefined) continue;
    const before = notes.get(run.jobId);
    const text = Object.fromEntries(
      locales.map((l) => [l, [before?.[l], sweptText(run, l)].filter(Boolean).join(' ')]),
    ) as Record<Locale, string>;
    notes.set(run.jobId, text);
  }
  return notes;
}

/** The notes of two sources for one job's message, one after the other. */
export function joinNotes(
  first: ReadonlyMap<number, Text> | undefined,
  second: ReadonlyMap<number, Text>,
): Map<number, Text> {
  const joined = new Map(first ?? []);
  for (const [id, text] of second) {
    const before = joined.get(id);
    joined.set(
      id,
      before === undefined
        ? text
        : (Object.fromEntries(locales.map((l) => [l, `${before[l]} ${text[l]}`])) as Record<
            Locale,
            string
          >),
    );
  }
  return joined;
}
