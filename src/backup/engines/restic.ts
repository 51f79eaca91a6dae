/**
 * The BackupEngine on restic (Debian's 0.14): each stream is one snapshot made with
 * `backup --stdin`, tagged with service, source and job, read back with `dump`.
 */
import type { Readable, Writable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import { makeRedactor } from '../../core/logger.ts';
import type {
  BackupEngine,
  BackupResult,
  RetentionPolicy,
  Snapshot,
  SnapshotTags,
  TimedBackupOptions,
  TreeBackupOptions,
  TreeBackupResult,
  TreeEntry,
  TreeRestoreOptions,
} from '../types.ts';
import { unreadableListing } from './listing-lines.ts';
import { repositoryQueue, type RepositoryQueue } from './repo-lock.ts';
import { resticError, resticUnlockCommand } from './restic-errors.ts';
import {
  parseBackupLine,
  parseForget,
  parseSnapshots,
  resticListing,
  tagArgs,
  type BackupSummary,
} from './restic-json.ts';
import { runProcess, type SpawnOptions, type SpawnResult } from './spawn.ts';
import type { EngineRunner } from '../volume-access.ts';
import {
  checkFilename,
  checkTags,
  displayRepository,
  keepArgs,
  reasonFrom,
  tagPrefixes,
} from './tags.ts';
import { watchProducer } from './producer.ts';
import { defaultStallSeconds, resticProgressWatch, stallKillGraceMs } from './stall.ts';
import { fullSnapshotId, localRepositoryExists, localRepositoryPath } from './restic-local.ts';

export interface ResticSettings {
  /** A path, or a restic location such as `sftp:user@host:/srv/restic`, `s3:https://…/bucket`. */
  readonly repository: string;
  readonly password: string;
  /** Further environment, e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for S3 or MinIO. */
  readonly env?: Readonly<Record<string, string>>;
  readonly binary?: string;
  /** Status lines per second during a backup (RESTIC_PROGRESS_FPS). */
  readonly progressFps?: number;
  /**
   * A file-level backup whose figures do not change for this long is stopped: the
   * repository stopped answering (stall.ts). Default `defaultStallSeconds`.
   */
  readonly stallSeconds?: number;
}

export type ResticBackupOptions = TimedBackupOptions;

export class ResticEngine implements BackupEngine {
  readonly name = 'restic';
  readonly #settings: ResticSettings;
  readonly #queue: RepositoryQueue;

  constructor(settings: ResticSettings) {
    this.#settings = settings;
    this.#queue = repositoryQueue('restic', settings.repository);
  }

  async init(signal?: AbortSignal): Promise<void> {
    // A local repository that is there already needs no restic run (a one-shot `pes backup`
    // would otherwise pay a key derivation for nothing).
    const local = localRepositoryPath(this.#settings.repository);
    if (local !== undefined && (await localRepositoryExists(local))) return;
    const result = await this.#run(['init'], { signal });
    // "config file already exists" (0.14, every backend): the repository is there already.
    if (result.exitCode !== 0 && !/already exists|already initialized/i.test(result.stderr)) {
      throw this.#error(result, 'init');
    }
  }

  async backup(input: Readable, options: ResticBackupOptions): Promise<BackupResult> {
    const { tags, signal } = options;
    checkTags(tags);
    checkFilename(options.filename);
    const producerFailure = watchProducer(options.producer, input);
    const args = ['backup', '--stdin', '--stdin-filename', options.filename, '--json'];
    for (const tag of tagArgs(tags)) args.push('--tag', tag);
    if (options.time !== undefined) args.push('--time', resticTime(options.time));
    let summary: BackupSummary | undefined;
    let result: SpawnResult;
    try {
      result = await this.#queue.shared(
        () =>
          this.#run(args, {
            stdin: input,
            signal,
            env: { RESTIC_PROGRESS_FPS: String(this.#settings.progressFps ?? 1) },
            onStdoutLine: (line) => {
              const parsed = parseBackupLine(line);
              if (parsed.kind === 'status') options.onProgress(parsed.progress);
              else if (parsed.kind === 'summary') summary = parsed;
            },
          }),
        signal,
      );
    } catch (error) {
      // Cancelled: restic stops without a snapshot, unless it had just finished one. Should
      // removing it fail, the job finds it by its tag and says so (run-backup.ts discardRun).
      if (signal?.aborted === true) {
        await this.#removePartial(tags, undefined).catch(() => undefined);
      }
      throw error;
    }
    const failed = await producerFailure;
    if (failed !== undefined) {
      if (result.exitCode === 0 || summary !== undefined) {
        // restic stored whatever came before the producer broke off (docs/FIELD-NOTES.md "restic").
        await this.#removePartial(tags, options.producer);
        throw failed.error;
      }
      // No snapshot. A repository problem is the news; anything else (an empty stream, a
      // broken pipe) follows from the producer's failure.
      const mapped = this.#error(result, 'backup');
      throw mapped.code === 'backup-engine-failed' ? failed.error : mapped;
    }
    if (result.exitCode === 3 && summary !== undefined) {
      await this.#removePartial(tags, undefined);
      throw new UserError('backup-stream-unreadable', { source: tags.source });
    }
    if (result.exitCode !== 0 || summary === undefined) {
      if (/snapshot is empty/i.test(result.stderr)) {
        throw new UserError('backup-stream-empty', { source: tags.source });
      }
      throw this.#error(result, 'backup');
    }
    return {
      snapshotId: await this.#fullId(summary.shortId, tags, signal),
      bytesProcessed: summary.bytesProcessed,
      bytesAdded: summary.bytesAdded,
    };
  }

  /**
   * `backup .` run in the volume's directory: restic 0.14 then records the paths relative to
   * it (the snapshot's root is the volume's root), and its files cache skips what did not
   * change since the last snapshot of the same host and directory.
   */
  async backupTree(options: TreeBackupOptions): Promise<TreeBackupResult> {
    const { tags, signal } = options;
    checkTags(tags);
    const args = ['backup', '--json', '--tag', `${tagPrefixes.kind}files`];
    for (const tag of tagArgs(tags)) args.push('--tag', tag);
    if (options.time !== undefined) args.push('--time', resticTime(options.time));
    args.push('.');
    let summary: BackupSummary | undefined;
    let result: SpawnResult;
    try {
      result = await this.#queue.shared(
        () =>
          this.#run(args, {
            cwd: options.directory,
            runner: options.runner,
            signal,
            stall: {
              ms: this.#stallSeconds * 1000,
              isProgress: resticProgressWatch(),
              killGraceMs: stallKillGraceMs,
            },
            env: { RESTIC_PROGRESS_FPS: String(this.#settings.progressFps ?? 1) },
            onStdoutLine: (line) => {
              const parsed = parseBackupLine(line);
              if (parsed.kind === 'status') options.onProgress(parsed.progress);
              else if (parsed.kind === 'summary') summary = parsed;
            },
          }),
        signal,
      );
    } catch (error) {
      // Cancelled: restic reading files writes its snapshot only at the end, unless it had
      // just done so (docs/FIELD-NOTES.md "restic on files").
      if (signal?.aborted === true) {
        await this.#removePartial(tags, undefined).catch(() => undefined);
      }
      throw error;
    }
    // Nothing more is asked of a repository that stopped answering: the run stays open, and
    // the start-up sweep forgets what it may have stored once it answers (sweep-partial.ts).
    if (result.stalled === true) throw this.#error(result, 'backup');
    if (result.exitCode === 3 && summary !== undefined) {
      // Some files could not be read: the snapshot lacks them and must not pass for whole.
      await this.#removePartial(tags, undefined);
      throw new UserError('backup-stream-unreadable', { source: tags.source });
    }
    if (result.exitCode !== 0 || summary === undefined) throw this.#error(result, 'backup');
    return {
      snapshotId: await this.#fullId(summary.shortId, tags, signal),
      bytesProcessed: summary.bytesProcessed,
      bytesAdded: summary.bytesAdded,
      filesChanged: summary.filesChanged,
    };
  }

  /**
   * `restore --target`: owners (by number, as root), modes, times, symbolic and hard links
   * come back as restic recorded them. Paths become `--include` patterns, their glob
   * characters escaped: the caller has already matched them against the snapshot.
   */
  async restoreTree(snapshot: Snapshot, options: TreeRestoreOptions): Promise<void> {
    this.#checkId(snapshot.id);
    const args = ['restore', snapshot.id, '--target', options.directory];
    for (const path of options.paths ?? []) args.push('--include', `/${escapeGlob(path)}`);
    const result = await this.#queue.shared(
      () => this.#run(args, { signal: options.signal, runner: options.runner }),
      options.signal,
    );
    if (result.exitCode !== 0) throw this.#error(result, 'restore');
  }

  async listTree(snapshot: Snapshot, signal?: AbortSignal): Promise<TreeEntry[]> {
    this.#checkId(snapshot.id);
    const listing = resticListing();
    const result = await this.#queue.shared(
      () =>
        this.#run(['ls', '--json', snapshot.id], {
          signal,
          onStdoutLine: (line) => listing.add(line),
        }),
      signal,
    );
    if (result.exitCode !== 0) throw this.#error(result, 'ls');
    if (listing.rejected > 0) {
      // Output of another form (another restic?). The line is restic's: no secret in it.
      throw unreadableListing(
        listing,
        { engine: 'restic', operation: 'ls', code: result.exitCode },
        makeRedactor(this.#secrets),
      );
    }
    return listing.entries;
  }

  #checkId(id: string): void {
    if (!/^[0-9a-f]{6,64}$/.test(id)) {
      throw new UserError('backup-snapshot-not-found', { snapshot: id, repository: this.#shown });
    }
  }

  async restore(snapshot: Snapshot, output: Writable, signal?: AbortSignal): Promise<void> {
    checkFilename(snapshot.filename);
    const result = await this.#queue.shared(
      () => this.#run(['dump', snapshot.id, `/${snapshot.filename}`], { stdout: output, signal }),
      signal,
    );
    if (result.exitCode !== 0) throw result.stdoutError ?? this.#error(result, 'dump');
    if (result.stdoutError !== undefined) throw result.stdoutError;
  }

  async list(service: string | undefined, signal?: AbortSignal): Promise<Snapshot[]> {
    const args = ['snapshots', '--json'];
    if (service !== undefined) args.push('--tag', `${tagPrefixes.service}${service}`);
    const result = await this.#queue.shared(() => this.#run(args, { signal }), signal);
    if (result.exitCode !== 0) throw this.#error(result, 'snapshots');
    return parseSnapshots(result.stdout);
  }

  async forget(ids: readonly string[], signal?: AbortSignal): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) {
      if (!/^[0-9a-f]{6,64}$/.test(id))
        throw new UserError('backup-snapshot-not-found', { snapshot: id, repository: this.#shown });
    }
    const result = await this.#queue.exclusive(
      () => this.#run(['forget', ...ids], { signal }),
      signal,
    );
    if (result.exitCode !== 0) throw this.#error(result, 'forget');
  }

  async applyRetention(
    service: string,
    source: string,
    policy: RetentionPolicy,
    signal?: AbortSignal,
  ): Promise<{ readonly kept: readonly string[]; readonly removed: readonly string[] }> {
    checkTags({ service, source, job: 'retention', extra: [] });
    const keep = keepArgs(policy);
    const filter = `${tagPrefixes.service}${service},${tagPrefixes.source}${source}`;
    if (keep.length === 0) {
      // No rule at all: restic would keep everything too, after a warning.
      const all = await this.list(service, signal);
      return { kept: all.filter((s) => s.tags.source === source).map((s) => s.id), removed: [] };
    }
    // The filter already picks one service and source; one group then, whatever host or
    // file name a snapshot was made with.
    const args = ['forget', '--json', '--tag', filter, '--group-by', '', ...keep];
    const result = await this.#queue.exclusive(() => this.#run(args, { signal }), signal);
    if (result.exitCode !== 0) throw this.#error(result, 'forget');
    return parseForget(result.stdout);
  }

  async prune(signal?: AbortSignal): Promise<void> {
    const result = await this.#queue.exclusive(() => this.#run(['prune'], { signal }), signal);
    if (result.exitCode !== 0) throw this.#error(result, 'prune');
  }

  async check(readDataSubset: string | undefined, signal?: AbortSignal): Promise<void> {
    const args = ['check'];
    if (readDataSubset !== undefined) {
      if (!/^(\d{1,3}(\.\d{1,3})?%|\d{1,6}\/\d{1,6}|\d{1,9}[KMGT]?)$/.test(readDataSubset)) {
        throw new UserError('backup-check-subset-invalid', { subset: readDataSubset });
      }
      args.push(`--read-data-subset=${readDataSubset}`);
    }
    const result = await this.#queue.exclusive(() => this.#run(args, { signal }), signal);
    if (result.exitCode === 0) return;
    const mapped = this.#error(result, 'check');
    if (mapped.code !== 'backup-engine-failed') throw mapped;
    throw new UserError('backup-check-failed', {
      engine: 'restic',
      reason: reasonFrom(result.stderr + result.stdout, [this.#settings.password]),
    });
  }

  /** Removes stale locks only: a lock of a restic that is still running stays. */
  async unlock(signal?: AbortSignal): Promise<void> {
    const result = await this.#run(['unlock'], { signal });
    if (result.exitCode !== 0) throw this.#error(result, 'unlock');
  }

  /** What an admin types to clear a stale lock by hand. */
  get unlockCommand(): string {
    return resticUnlockCommand(this.#settings.repository);
  }

  get #stallSeconds(): number {
    return this.#settings.stallSeconds ?? defaultStallSeconds;
  }

  get #shown(): string {
    return displayRepository(this.#settings.repository);
  }

  /**
   * restic 0.14's summary names the short id only. In a local repository the full one is a
   * file name in `snapshots/`; elsewhere it is asked of restic by the job's tags.
   */
  async #fullId(shortId: string, tags: SnapshotTags, signal?: AbortSignal): Promise<string> {
    const local = localRepositoryPath(this.#settings.repository);
    const found = local === undefined ? undefined : await fullSnapshotId(local, shortId);
    if (found !== undefined) return found;
    const made = await this.#jobSnapshots(tags, signal);
    return made.find((s) => s.id.startsWith(shortId))?.id ?? shortId;
  }

  /** The snapshots of one job and source (normally one). */
  #jobSnapshots(tags: SnapshotTags, signal?: AbortSignal): Promise<Snapshot[]> {
    const filter = [
      `${tagPrefixes.service}${tags.service}`,
      `${tagPrefixes.source}${tags.source}`,
      `${tagPrefixes.job}${tags.job}`,
    ].join(',');
    return this.#queue.shared(async () => {
      const result = await this.#run(['snapshots', '--json', '--tag', filter], { signal });
      if (result.exitCode !== 0) throw this.#error(result, 'snapshots');
      return parseSnapshots(result.stdout);
    }, signal);
  }

  /**
   * Forgets what a failed backup left. Found by its tags rather than by the summary line, so
   * that nothing is left even when restic's output was cut. Not cancellable: a cancelled job
   * must not leave a partial snapshot behind.
   */
  async #removePartial(tags: SnapshotTags, producer: Promise<void> | undefined): Promise<void> {
    try {
      const left = await this.#jobSnapshots(tags);
      await this.forget(left.map((s) => s.id));
    } catch (error) {
      const reason = error instanceof UserError ? error.message : String(error);
      const cause = producer === undefined ? error : await producer.catch((e: unknown) => e);
      throw new UserError(
        'backup-partial-left',
        { source: tags.source, job: tags.job, reason, command: this.unlockCommand },
        { cause },
      );
    }
  }

  #run(
    args: readonly string[],
    options: SpawnOptions & { readonly runner?: EngineRunner | undefined },
  ): Promise<SpawnResult> {
    const { runner, ...spawnOptions } = options;
    if (runner !== undefined) {
      // Elsewhere (a helper next to the volume): the password goes on the engine's stdin,
      // which restic reads when nothing else names a password and stdin is no terminal.
      return runner(
        {
          program: 'restic',
          binary: 'restic',
          args,
          env: {
            ...this.#settings.env,
            ...spawnOptions.env,
            RESTIC_REPOSITORY: this.#settings.repository,
          },
          password: this.#settings.password,
          passwordOnStdin: {},
        },
        spawnOptions,
      );
    }
    return runProcess(this.#settings.binary ?? 'restic', args, {
      ...spawnOptions,
      dropEnv: ['RESTIC_'],
      env: {
        ...this.#settings.env,
        ...spawnOptions.env,
        RESTIC_REPOSITORY: this.#settings.repository,
        RESTIC_PASSWORD: this.#settings.password,
      },
    });
  }

  get #secrets(): string[] {
    return [this.#settings.password, ...Object.values(this.#settings.env ?? {})];
  }

  #error(result: SpawnResult, operation: string): UserError {
    return resticError(result, {
      repository: this.#settings.repository,
      operation,
      secrets: this.#secrets,
      stallSeconds: this.#stallSeconds,
    });
  }
}

/** restic's patterns are Go's filepath.Match: these characters are escaped with a backslash. */
function escapeGlob(path: string): string {
  return path.replace(/[\\*?[]/g, (c) => `\\${c}`);
}

/** `--time` takes local time as "2006-01-02 15:04:05" (Go's layout), like restic shows it. */
function resticTime(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}
