/**
 * The backup port as commands see it: what to back up, the snapshots, restore, verify. The
 * engines and sources live in src/backup; commands reach them only through this interface.
 */
import type { ServiceDefinition } from './catalog.ts';
import { UserError } from './errors.ts';
import type { Text } from './i18n.ts';

/** `--only`: one kind of source of a service. */
export type BackupScope = 'volumes' | 'databases';

export type SourceKind = 'volume' | 'database' | 'other';

export interface BackupSourceView {
  /** `volume:moodledata`, `postgres:moodle`: also the snapshot's source tag. */
  readonly id: string;
  readonly kind: SourceKind;
}

/** A source id's kind, from its prefix (see BackupSource.id). */
export function sourceKind(id: string): SourceKind {
  if (id.startsWith('volume:')) return 'volume';
  if (id.startsWith('postgres:') || id.startsWith('mysql:')) return 'database';
  return 'other';
}

export function inScope(id: string, only: BackupScope | undefined): boolean {
  if (only === undefined) return true;
  return sourceKind(id) === (only === 'volumes' ? 'volume' : 'database');
}

/** The extra tag of the backup a restore takes of the current state first. */
export const safetyTag = 'safety';

/**
 * What may name a snapshot: `latest`, a restic id (8 or 64 hex digits, or a prefix of at
 * least 6) or a borg archive name. No `/`, no `..`, nothing a shell or a path would read.
 */
const snapshotRefPattern = /^(?:latest|[0-9a-f]{6,64}|[A-Za-z0-9][A-Za-z0-9_:.-]{0,127})$/;

export function isSnapshotRef(ref: string): boolean {
  return snapshotRefPattern.test(ref) && !ref.includes('..');
}

/** A step of a backup, restore or verify, reported as it happens; the command words it. */
export interface BackupStep {
  /** 0..1 over the whole run. */
  readonly fraction: number;
  readonly phase:
    | 'hooks-before'
    | 'backup'
    | 'retention'
    | 'hooks-after'
    | 'safety'
    | 'stopping'
    | 'restoring'
    | 'starting'
    | 'waiting'
    | 'check'
    | 'drill';
  readonly source?: string;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
  readonly etaSeconds?: number;
}

export type BackupStepReporter = (step: BackupStep) => void;

/**
 * How a snapshot holds its data: `stream`, one stream (a tar of a volume, a dump); `files`,
 * a volume's files read by the engine itself, so that single paths can be restored.
 */
export type SnapshotKind = 'stream' | 'files';

/** A file whose digest a file-level manifest keeps, for a restore drill to compare. */
export interface FileSample {
  /** Relative to the volume, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** What a stream held, recorded at backup and compared by a restore drill. */
export interface StreamManifest {
  readonly bytes: number;
  /** The stream's SHA-256; for a file-level snapshot, the digest of its file list. */
  readonly sha256: string;
  /** Members of a tar stream; undefined for a stream that is not a tar (a database dump). */
  readonly files: number | undefined;
  /** Absent: `stream`. */
  readonly kind?: SnapshotKind;
  /** File-level only: a few files' digests. */
  readonly samples?: readonly FileSample[];
}

export interface SourceBackupReport extends StreamManifest {
  readonly source: string;
  readonly snapshotId: string;
  /** What the repository grew by, when the engine knows. */
  readonly bytesAdded: number | undefined;
  /** File-level: files the engine read anew or found changed, when it says (restic). */
  readonly filesChanged?: number | undefined;
  readonly durationMs: number;
}

export interface BackupReport {
  readonly service: string;
  /** The job tag every snapshot of this run carries. */
  readonly job: string;
  readonly sources: readonly SourceBackupReport[];
  /** Snapshots the retention policy removed after the backup. */
  readonly removed: readonly string[];
  /** Why the retention policy could not be applied; the backup itself is kept. */
  readonly retentionError: Text | undefined;
  /** Earlier runs of the service cut short, whose snapshots this backup forgot (or not). */
  readonly earlier: readonly {
    readonly job: string;
    readonly removed: readonly string[];
    readonly left: readonly string[];
    readonly error: Text | undefined;
  }[];
  readonly durationMs: number;
}

/**
 * What the bot knows of a snapshot: `complete` when the job that made it succeeded (or a
 * drill read it back whole), `incomplete` when its job was cut short or failed, `unknown`
 * when this bot never recorded it (another state database, or one that was lost).
 */
export type SnapshotState = 'complete' | 'incomplete' | 'unknown';

/** How a snapshot's state is named to people (the `backups` list, restore, errors). */
export const snapshotStateTexts: Readonly<Record<SnapshotState, Text>> = {
  complete: { ru: 'полный', en: 'complete' },
  incomplete: { ru: 'НЕПОЛНЫЙ (задание прервано)', en: 'INCOMPLETE (its job was cut short)' },
  unknown: { ru: 'не записан этим ботом', en: 'not recorded by this bot' },
};

export interface SnapshotEntry {
  readonly id: string;
  readonly state: SnapshotState;
  readonly kind: SnapshotKind;
  readonly time: Date;
  readonly source: string;
  readonly job: string;
  readonly extra: readonly string[];
  /** From the manifest recorded at backup; undefined for a snapshot the bot did not record. */
  readonly manifest: StreamManifest | undefined;
  readonly verified: { readonly at: Date; readonly ok: boolean } | undefined;
}

export interface RestoreItem {
  readonly source: string;
  readonly kind: SourceKind;
  readonly snapshotId: string;
  /** How the snapshot holds its data; absent: `stream`. */
  readonly snapshotKind?: SnapshotKind;
  readonly time: Date;
  readonly bytes: number | undefined;
  /** Only a `complete` snapshot is restored without a warning in the confirmation. */
  readonly state: SnapshotState;
}

/** Exactly what a restore will overwrite, decided before anything is touched. */
export interface RestorePlan {
  readonly service: string;
  /** As typed: an id or `latest`. */
  readonly ref: string;
  readonly job: string;
  readonly items: readonly RestoreItem[];
  /** Sources in scope that the chosen backup does not hold: left as they are. */
  readonly untouched: readonly string[];
  /** `--path`: only these paths of the one volume restored (matched in the snapshot). */
  readonly paths?: readonly string[];
  /** `--to`: into this volume instead, beside the live data; nothing is stopped. */
  readonly target?: RestoreTarget;
}

/** Where a `--to` restore goes. */
export interface RestoreTarget {
  readonly volume: string;
  /** Made empty by the restore when it does not exist yet. */
  readonly exists: boolean;
  /** It holds data, which the restore replaces (only with `--force`, asked twice). */
  readonly hasData: boolean;
}

/** `--path`, `--to`, `--force` of a restore. */
export interface RestoreFilesRequest {
  readonly paths?: readonly string[];
  readonly to?: string;
  readonly force?: boolean;
}

/** An entry of a file-level snapshot, as `backup files` lists it. */
export interface SnapshotFileEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
}

export interface SnapshotFiles {
  readonly snapshotId: string;
  readonly source: string;
  readonly time: Date;
  /** At most the limit asked for, in the snapshot's order. */
  readonly entries: readonly SnapshotFileEntry[];
  /** How many there are in all (under the path asked for). */
  readonly total: number;
}

export interface RestoreReport {
  readonly plan: RestorePlan;
  /** The snapshot to give `restore` to return to the state before this one. */
  readonly safetySnapshot: string | undefined;
  readonly restored: readonly { readonly source: string; readonly bytes: number }[];
  readonly durationMs: number;
}

export interface DrillResult {
  readonly source: string;
  readonly snapshotId: string;
  readonly time: Date;
  readonly ok: boolean;
  /** Why it failed: what differed, no manifest, or the error reading the snapshot. */
  readonly problem: 'mismatch' | 'no-manifest' | 'unreadable' | undefined;
  readonly expected: StreamManifest | undefined;
  readonly actual: StreamManifest | undefined;
  readonly reason: string | undefined;
}

export interface VerifyReport {
  readonly service: string;
  /** The share of the repository's data the engine's check read, e.g. `10%`. */
  readonly subset: string;
  /** What the engine's check found wrong; undefined when it passed. */
  readonly checkError: Text | undefined;
  readonly drills: readonly DrillResult[];
  /** Scratch volumes of drills that could not be removed (source: why). */
  readonly cleanup: readonly string[];
  readonly ok: boolean;
  readonly durationMs: number;
}

export interface BackupService {
  /** The sources of a service in scope; empty when it has nothing to back up. */
  sources(service: ServiceDefinition, only: BackupScope | undefined): readonly BackupSourceView[];
  backup(
    service: ServiceDefinition,
    options: {
      readonly only: BackupScope | undefined;
      readonly tags: readonly string[];
      readonly job: string;
      /** The number of the job in the jobs table, so a run cut short is found at start. */
      readonly jobId?: number | undefined;
    },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<BackupReport>;
  /** Newest first. */
  snapshots(service: ServiceDefinition, signal: AbortSignal): Promise<SnapshotEntry[]>;
  /** Checks the reference and chooses the snapshots; touches nothing. */
  planRestore(
    service: ServiceDefinition,
    ref: string,
    only: BackupScope | undefined,
    signal: AbortSignal,
    files?: RestoreFilesRequest,
  ): Promise<RestorePlan>;
  /** What a file-level snapshot of a volume holds (under a path, a glob). */
  files(
    service: ServiceDefinition,
    ref: string,
    under: string | undefined,
    limit: number,
    signal: AbortSignal,
  ): Promise<SnapshotFiles>;
  restore(
    service: ServiceDefinition,
    plan: RestorePlan,
    options: {
      readonly job: string;
      readonly jobId?: number | undefined;
      /**
       * The safety backup runs without the service's hooks: for a rollback inside a job that
       * holds the service in its own state (maintenance on), which an `after` hook would end.
       */
      readonly withoutHooks?: boolean;
    },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<RestoreReport>;
  verify(
    service: ServiceDefinition,
    options: { readonly job: string },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<VerifyReport>;
  /** Removes stale repository locks. */
  unlock(signal: AbortSignal): Promise<void>;
  /** Frees the space of forgotten snapshots. */
  prune(signal: AbortSignal): Promise<void>;
}

/** When no `backup:` section is configured: every verb refuses with one clear error. */
export const noBackups: BackupService = {
  sources: () => {
    throw new UserError('backup-not-configured');
  },
  backup: refuse,
  snapshots: refuse,
  planRestore: refuse,
  files: refuse,
  restore: refuse,
  verify: refuse,
  unlock: refuse,
  prune: refuse,
};

function refuse(): Promise<never> {
  return Promise.reject(new UserError('backup-not-configured'));
}

export type SuccessKind = 'backup' | 'drill';

export interface LastSuccess {
  readonly at: Date;
  readonly job: string;
}

export interface ManifestRecord extends StreamManifest {
  readonly snapshotId: string;
  readonly service: string;
  readonly source: string;
  readonly job: string;
  readonly createdAt: Date;
  readonly verifiedAt: Date | undefined;
  readonly verifyOk: boolean | undefined;
  readonly verifyDetail: string | undefined;
  /** Set when the whole job succeeded; a manifest alone only says its source was read. */
  readonly complete: boolean;
}

export type BackupRunState = 'running' | 'complete' | 'discarded' | 'left';

/** A backup run (a backup job, or the safety backup of a restore) as the ledger keeps it. */
export interface BackupRunRecord {
  /** The job tag its snapshots carry. */
  readonly job: string;
  readonly jobId: number | undefined;
  readonly service: string;
  readonly state: BackupRunState;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  /** Why its snapshots could not be forgotten (state `left`). */
  readonly detail: string | undefined;
}

export interface ScheduleRun {
  readonly schedule: string;
  readonly service: string | undefined;
  readonly dueAt: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly result: string | undefined;
}

/**
 * What backups remember in the state database: a manifest per snapshot, the last success per
 * service and kind, and the runs of the schedules.
 */
export interface BackupLedger {
  /** Opens a run before the engine stores anything (see backup_runs in the migrations). */
  startRun(run: { job: string; jobId: number | undefined; service: string; at: Date }): void;
  /** The run succeeded: it and all its manifests are complete, in one transaction. */
  completeRun(job: string, at: Date): void;
  /** What the run left was forgotten (`discarded`) or could not be (`left`, with why). */
  closeRun(job: string, state: 'discarded' | 'left', detail: string | undefined, at: Date): void;
  run(job: string): BackupRunRecord | undefined;
  /**
   * Runs that did not complete and whose job is no longer active (cut short by a dead
   * process, or failed with snapshots left behind): what the start-up sweep forgets.
   */
  openRuns(): BackupRunRecord[];
  /** `complete`, `incomplete` or `unknown` (see SnapshotState), from the manifest and run. */
  snapshotState(snapshotId: string, job: string): SnapshotState;
  recordManifest(
    manifest: Omit<ManifestRecord, 'verifiedAt' | 'verifyOk' | 'verifyDetail' | 'complete'>,
  ): void;
  manifest(snapshotId: string): ManifestRecord | undefined;
  manifests(service: string): ManifestRecord[];
  forgetManifests(snapshotIds: readonly string[]): void;
  recordVerification(snapshotId: string, ok: boolean, detail: string | undefined, at: Date): void;
  recordSuccess(service: string, kind: SuccessKind, job: string, at: Date): void;
  lastSuccess(service: string): Partial<Record<SuccessKind, LastSuccess>>;
  /** Opens a schedule run and returns its id. */
  startScheduleRun(schedule: string, service: string | undefined, dueAt: Date, at: Date): number;
  finishScheduleRun(id: number, result: string, at: Date): void;
  scheduleRuns(limit: number): ScheduleRun[];
  /** When a schedule is next due, kept so that a run missed while the bot was down shows. */
  nextDue(schedule: string): Date | undefined;
  setNextDue(schedule: string, at: Date | undefined): void;
}
