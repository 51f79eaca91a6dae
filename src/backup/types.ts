/**
 * The contracts of the backup subsystem: engines (restic, borg) store streams as snapshots;
 * sources (a volume, a database, a command) produce and consume those streams. Commands and
 * schedules combine them; none of them spawns a shell.
 */
import type { Readable, Writable } from 'node:stream';
import type { SnapshotKind } from '../core/backup.ts';
import type { EngineRunner, VolumeMode, VolumeSite } from './volume-access.ts';

/** Tags every snapshot carries, so that a snapshot is found by service and checked on restore. */
export interface SnapshotTags {
  readonly service: string;
  /** The source inside the service, e.g. `volume:moodledata` or `postgres:moodle`. */
  readonly source: string;
  readonly job: string;
  /** Free tags given with `backup --tag`. */
  readonly extra: readonly string[];
}

export interface Snapshot {
  /** The engine's id: restic's short/long id, borg's archive name. */
  readonly id: string;
  readonly time: Date;
  readonly tags: SnapshotTags;
  /** The file name of the stream inside the snapshot (`stream` snapshots only). */
  readonly filename: string;
  /** A stream, or the files of a volume (tag `pes-kind=files`, borg's comment `kind=files`). */
  readonly kind: SnapshotKind;
}

export interface BackupProgress {
  /** 0..1 when the engine knows the total, else undefined. */
  readonly fraction: number | undefined;
  readonly bytesDone: number;
  readonly bytesTotal: number | undefined;
  readonly etaSeconds: number | undefined;
}

export interface BackupResult {
  readonly snapshotId: string;
  /** Bytes read from the stream. */
  readonly bytesProcessed: number;
  /** Bytes the repository grew by (after deduplication and compression), when known. */
  readonly bytesAdded: number | undefined;
}

export interface RetentionPolicy {
  readonly keepLast?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
}

export interface BackupOptions {
  readonly filename: string;
  readonly tags: SnapshotTags;
  readonly producer: Promise<void>;
  readonly onProgress: (progress: BackupProgress) => void;
  readonly signal?: AbortSignal;
}

/** What an engine also takes in tests of retention: the snapshot's time instead of now. */
export interface TimedBackupOptions extends BackupOptions {
  readonly time?: Date;
}

/** A file-level backup: the engine reads the files under `directory` itself. */
export interface TreeBackupOptions {
  /** The volume's directory; the snapshot records paths relative to it. */
  readonly directory: string;
  /** Where the engine runs when not here: a helper next to the volume (volume-access.ts). */
  readonly runner?: EngineRunner;
  readonly tags: SnapshotTags;
  readonly onProgress: (progress: BackupProgress) => void;
  readonly signal?: AbortSignal;
  readonly time?: Date;
}

export interface TreeBackupResult extends BackupResult {
  /** Files the engine read anew or found changed, when it says (restic). */
  readonly filesChanged: number | undefined;
}

export interface TreeRestoreOptions {
  /** Where the snapshot's root goes (a volume's directory). */
  readonly directory: string;
  /** Where the engine runs when not here: a helper next to the volume (volume-access.ts). */
  readonly runner?: EngineRunner;
  /** Only these paths (relative, `/`-separated, each a file or a folder); all when absent. */
  readonly paths?: readonly string[];
  readonly signal?: AbortSignal;
}

export type TreeEntryType = 'file' | 'dir' | 'symlink' | 'other';

/** An entry of a file-level snapshot, as the engine lists it. */
export interface TreeEntry {
  /** Relative to the volume, `/`-separated, no leading `/`. */
  readonly path: string;
  readonly type: TreeEntryType;
  readonly size: number;
  /** Permission bits with setuid, setgid and sticky (`0o7777`), when the engine lists them. */
  readonly perm?: number;
  readonly uid?: number;
  readonly gid?: number;
  /**
   * A hard link borg lists after the first path of the same file: its size reads 0, the
   * data is under this path (borg 1.2 `list`: mode `h…`, `source`).
   */
  readonly hardlinkOf?: string;
}

export interface BackupEngine {
  readonly name: 'restic' | 'borg';
  /** Creates the repository when it does not exist yet (idempotent). */
  init(signal?: AbortSignal): Promise<void>;
  /**
   * Stores `input` as one snapshot. When `producer` rejects (tar or pg_dump failed), the
   * snapshot the engine made anyway is removed and the producer's error is thrown.
   */
  backup(input: Readable, options: BackupOptions): Promise<BackupResult>;
  /** Stores the files of a directory as one snapshot, tagged as file-level. */
  backupTree(options: TreeBackupOptions): Promise<TreeBackupResult>;
  /** Puts a file-level snapshot's files (or some paths of it) under a directory. */
  restoreTree(snapshot: Snapshot, options: TreeRestoreOptions): Promise<void>;
  /** The entries of a file-level snapshot, every one of them, in the engine's order. */
  listTree(snapshot: Snapshot, signal?: AbortSignal): Promise<TreeEntry[]>;
  /** Writes the stream stored in a snapshot to `output`. */
  restore(snapshot: Snapshot, output: Writable, signal?: AbortSignal): Promise<void>;
  /** Snapshots of a service (all services when undefined), newest first. */
  list(service: string | undefined, signal?: AbortSignal): Promise<Snapshot[]>;
  forget(ids: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Applies a policy to the snapshots of one service and source; returns what it removed. */
  applyRetention(
    service: string,
    source: string,
    policy: RetentionPolicy,
    signal?: AbortSignal,
  ): Promise<{ readonly kept: readonly string[]; readonly removed: readonly string[] }>;
  prune(signal?: AbortSignal): Promise<void>;
  /** Checks the repository; with a subset (e.g. `10%`) reads that much of the data too. */
  check(readDataSubset: string | undefined, signal?: AbortSignal): Promise<void>;
  unlock(signal?: AbortSignal): Promise<void>;
}

/** What a source produces for a backup: a stream, and the producer's completion. */
export interface ProducedStream {
  readonly stream: Readable;
  /** Rejects when the producer failed (non-zero exit of tar or pg_dump). */
  readonly done: Promise<void>;
}

export interface BackupSource {
  /** `volume:moodledata`, `postgres:moodle`, … — also the snapshot's source tag. */
  readonly id: string;
  /** The file name of the stream inside the snapshot, e.g. `moodledata.tar`. */
  readonly filename: string;
  produce(signal?: AbortSignal): Promise<ProducedStream>;
  /**
   * A volume's files for a file-level backup and restore: a directory here, or a helper next
   * to the volume (volume-access.ts); undefined when neither is possible: the stream then.
   * The caller closes what it opened.
   */
  open?(mode: VolumeMode, signal?: AbortSignal): Promise<VolumeSite | undefined>;
  /** Replaces the current data with the stream (a volume is emptied first). */
  consume(input: Readable, signal?: AbortSignal): Promise<void>;
}
