/**
 * The BackupEngine on borg 1.2 (Debian's borgbackup): each stream is one archive made with
 * `create … -` from stdin, named after service, time, job and source (borg-names.ts), read
 * back with `extract --stdout`. Every call runs with `--log-json`, so errors are told apart
 * by their msgid rather than by their text.
 */
import type { Readable, Writable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
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
import {
  borgBreakLockCommand,
  borgError,
  borgListing,
  listFormat,
  parseArchiveList,
  parseBorgLogLine,
  parseCreateResult,
  unreadableWarning,
  type BorgLogMessage,
} from './borg-json.ts';
import { archiveComment, archiveGlob, archiveName, treeArchiveComment } from './borg-names.ts';
import { unreadableListing } from './listing-lines.ts';
import { repositoryQueue, type RepositoryQueue } from './repo-lock.ts';
import { runProcess, type SpawnOptions, type SpawnResult } from './spawn.ts';
import type { EngineRunner } from '../volume-access.ts';
import { checkFilename, checkTags, displayRepository, keepArgs } from './tags.ts';
import { withFurtherFailures } from '../failures.ts';
import { watchProducer } from './producer.ts';
import { borgProgressWatch, defaultStallSeconds, stallKillGraceMs } from './stall.ts';

export interface BorgSettings {
  /** A path or `ssh://user@host/./repo`. */
  readonly repository: string;
  readonly password: string;
  /** Further environment, e.g. BORG_RSH for a key file. */
  readonly env?: Readonly<Record<string, string>>;
  readonly binary?: string;
  /** How long borg waits for a lock another process holds (`--lock-wait`). */
  readonly lockWaitSeconds?: number;
  /**
   * A file-level backup that prints nothing for this long is stopped: the repository stopped
   * answering (stall.ts). Default `defaultStallSeconds`.
   */
  readonly stallSeconds?: number;
}

export type BorgBackupOptions = TimedBackupOptions;

interface BorgRun {
  readonly result: SpawnResult;
  readonly logs: readonly BorgLogMessage[];
}

/** Progress is reported this often at most: borg prints a line per chunk of input. */
const progressIntervalMs = 500;
const archivePattern = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,200}$/;

export class BorgEngine implements BackupEngine {
  readonly name = 'borg';
  readonly #settings: BorgSettings;
  readonly #queue: RepositoryQueue;

  constructor(settings: BorgSettings) {
    this.#settings = settings;
    this.#queue = repositoryQueue('borg', settings.repository);
  }

  async init(signal?: AbortSignal): Promise<void> {
    const run = await this.#queue.exclusive(
      () => this.#run(['init', '--encryption=repokey-blake2'], { signal }),
      signal,
    );
    if (run.result.exitCode === 0) return;
    if (run.logs.some((l) => l.msgid === 'Repository.AlreadyExists')) return;
    throw this.#error(run, 'init');
  }

  async backup(input: Readable, options: BorgBackupOptions): Promise<BackupResult> {
    const { tags, signal } = options;
    checkTags(tags);
    checkFilename(options.filename);
    const producerFailure = watchProducer(options.producer, input);
    const name = archiveName(tags, options.time ?? new Date());
    const args = ['create', '--json', '--progress', '--stdin-name', options.filename];
    args.push('--comment', archiveComment(tags, options.filename));
    if (options.time !== undefined) {
      args.push('--timestamp', options.time.toISOString().slice(0, 19));
    }
    args.push(`::${name}`, '-');
    let lastReport = 0;
    let run: BorgRun;
    try {
      run = await this.#queue.exclusive(
        () =>
          this.#run(args, {
            stdin: input,
            signal,
            onProgress: (bytesDone) => {
              const now = Date.now();
              if (now - lastReport < progressIntervalMs) return;
              lastReport = now;
              options.onProgress({
                fraction: undefined,
                bytesDone,
                bytesTotal: undefined,
                etaSeconds: undefined,
              });
            },
          }),
        signal,
      );
    } catch (error) {
      // Cancelled: borg saves a `.checkpoint` archive on SIGINT; it must not stay. Should
      // this fail, the job finds it by its tag and says so (run-backup.ts discardRun).
      if (signal?.aborted === true) await this.#removePartial(name, tags).catch(() => undefined);
      throw error;
    }
    const failed = await producerFailure;
    const { exitCode } = run.result;
    // 1 is a warning: the archive was made.
    const made = exitCode === 0 || exitCode === 1;
    // A repository problem (password, lock…) means nothing was written, and is the news.
    // So does a name already taken: the archive under it is another one, and must stay.
    const mapped = made ? undefined : this.#error(run, 'create');
    const taken = run.logs.some((l) => l.msgid === 'Archive.AlreadyExists');
    if (mapped !== undefined && (mapped.code !== 'backup-engine-failed' || taken)) throw mapped;
    // Otherwise the archive, or a `.checkpoint` of a long one, may be there: it must go.
    if (failed !== undefined) {
      await this.#removePartial(name, tags);
      throw failed.error;
    }
    const created = parseCreateResult(run.result.stdout);
    if (mapped !== undefined || created === undefined) {
      const error = mapped ?? this.#error(run, 'create');
      // An archive that could not be removed is said with the failure, not dropped.
      const left = await this.#removePartial(name, tags).then(
        () => undefined,
        (removal: unknown) => removal,
      );
      throw withFurtherFailures(error, left === undefined ? [] : [left]);
    }
    return {
      snapshotId: created.name,
      bytesProcessed: created.bytesProcessed,
      bytesAdded: created.bytesAdded,
    };
  }

  /**
   * `create … .` run in the volume's directory: borg records the paths relative to it, and
   * its files cache skips the files unchanged since the last archive. Owners by number
   * (`--numeric-ids`): the bot's /etc/passwd is not the application's.
   */
  async backupTree(options: TreeBackupOptions): Promise<TreeBackupResult> {
    const { tags, signal } = options;
    checkTags(tags);
    const name = archiveName(tags, options.time ?? new Date());
    const args = ['create', '--json', '--progress', '--numeric-ids'];
    args.push('--comment', treeArchiveComment(tags));
    if (options.time !== undefined) {
      args.push('--timestamp', options.time.toISOString().slice(0, 19));
    }
    args.push(`::${name}`, '.');
    let lastReport = 0;
    let run: BorgRun;
    try {
      run = await this.#queue.exclusive(
        () =>
          this.#run(args, {
            cwd: options.directory,
            runner: options.runner,
            signal,
            stall: {
              ms: this.#stallSeconds * 1000,
              isProgress: borgProgressWatch(),
              killGraceMs: stallKillGraceMs,
            },
            onProgress: (bytesDone) => {
              const now = Date.now();
              if (now - lastReport < progressIntervalMs) return;
              lastReport = now;
              options.onProgress({
                fraction: undefined,
                bytesDone,
                bytesTotal: undefined,
                etaSeconds: undefined,
              });
            },
          }),
        signal,
      );
    } catch (error) {
      if (signal?.aborted === true) await this.#removePartial(name, tags).catch(() => undefined);
      throw error;
    }
    const { exitCode } = run.result;
    const created =
      exitCode === 0 || exitCode === 1 ? parseCreateResult(run.result.stdout) : undefined;
    if (created === undefined) {
      const error = this.#error(run, 'create');
      if (run.logs.some((l) => l.msgid === 'Archive.AlreadyExists')) throw error;
      // Nothing more is asked of a repository that stopped answering: the run stays open, and
      // the start-up sweep forgets a checkpoint it may hold once it answers (sweep-partial.ts).
      if (error.code === 'backup-repo-unreachable') throw error;
      const left = await this.#removePartial(name, tags).then(
        () => undefined,
        (removal: unknown) => removal,
      );
      throw withFurtherFailures(error, left === undefined ? [] : [left]);
    }
    if (exitCode === 1 && unreadableWarning(run.logs) !== undefined) {
      // A file borg could not read is missing from the archive: it must not pass for whole.
      await this.#removePartial(name, tags);
      throw new UserError('backup-stream-unreadable', { source: tags.source });
    }
    return {
      snapshotId: created.name,
      bytesProcessed: created.bytesProcessed,
      bytesAdded: created.bytesAdded,
      filesChanged: undefined,
    };
  }

  /** `extract` in the target directory; paths as path prefixes (`pp:`), never as globs. */
  async restoreTree(snapshot: Snapshot, options: TreeRestoreOptions): Promise<void> {
    this.#checkArchive(snapshot.id);
    const args = ['extract', '--numeric-ids', `::${snapshot.id}`];
    for (const path of options.paths ?? []) args.push(`pp:${path}`);
    const run = await this.#queue.shared(
      () =>
        this.#run(args, {
          cwd: options.directory,
          signal: options.signal,
          runner: options.runner,
        }),
      options.signal,
    );
    if (run.result.exitCode !== 0) throw this.#error(run, 'extract');
  }

  /** The archive's entries by their exact names (borg-json.ts `listFormat`). */
  async listTree(snapshot: Snapshot, signal?: AbortSignal): Promise<TreeEntry[]> {
    this.#checkArchive(snapshot.id);
    const listing = borgListing();
    const run = await this.#queue.shared(
      () =>
        this.#run(['list', '--format', listFormat, `::${snapshot.id}`], {
          signal,
          onStdoutLine: (line) => listing.add(line),
        }),
      signal,
    );
    if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'list');
    if (listing.rejected > 0) {
      // Output of another form (another borg?).
      throw unreadableListing(listing, {
        engine: 'borg',
        operation: 'list',
        code: run.result.exitCode ?? 'unknown',
      });
    }
    return listing.entries;
  }

  async restore(snapshot: Snapshot, output: Writable, signal?: AbortSignal): Promise<void> {
    this.#checkArchive(snapshot.id);
    // The archive holds one file, the stream: extracting everything is extracting it.
    const run = await this.#queue.shared(
      () => this.#run(['extract', '--stdout', `::${snapshot.id}`], { stdout: output, signal }),
      signal,
    );
    if (run.result.stdoutError !== undefined) throw run.result.stdoutError;
    if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'extract');
  }

  async list(service: string | undefined, signal?: AbortSignal): Promise<Snapshot[]> {
    // Checkpoints too (borg 1.2 hides them): a long backup cut short leaves its data in a
    // `<name>.checkpoint` archive, which the start-up sweep must see to forget it
    // (sweep-partial.ts). Its source reads `<source>.checkpoint`, so nothing chooses it.
    const args = ['list', '--consider-checkpoints', '--json', '--format', '{comment}'];
    if (service !== undefined) args.push('--glob-archives', archiveGlob(service));
    const run = await this.#queue.shared(() => this.#run(args, { signal }), signal);
    if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'list');
    const all = parseArchiveList(run.result.stdout);
    return service === undefined ? all : all.filter((s) => s.tags.service === service);
  }

  async forget(ids: readonly string[], signal?: AbortSignal): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.#checkArchive(id);
    const run = await this.#queue.exclusive(
      () => this.#run(['delete', '::', ...ids], { signal }),
      signal,
    );
    if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'delete');
  }

  async applyRetention(
    service: string,
    source: string,
    policy: RetentionPolicy,
    signal?: AbortSignal,
  ): Promise<{ readonly kept: readonly string[]; readonly removed: readonly string[] }> {
    checkTags({ service, source, job: 'retention', extra: [] });
    const keep = keepArgs(policy);
    const ofSource = async (): Promise<string[]> =>
      (await this.list(service, signal)).filter((s) => s.tags.source === source).map((s) => s.id);
    const before = await ofSource();
    if (keep.length > 0) {
      const args = ['prune', '--glob-archives', archiveGlob(service, source), ...keep];
      const run = await this.#queue.exclusive(() => this.#run(args, { signal }), signal);
      if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'prune');
    }
    // What prune did, read back rather than parsed from its log lines.
    const after = new Set(await ofSource());
    return {
      kept: before.filter((id) => after.has(id)),
      removed: before.filter((id) => !after.has(id)),
    };
  }

  /** borg 1.2 frees the space of deleted archives only on `compact`. */
  async prune(signal?: AbortSignal): Promise<void> {
    const run = await this.#queue.exclusive(() => this.#run(['compact'], { signal }), signal);
    if (run.result.exitCode !== 0 && run.result.exitCode !== 1) throw this.#error(run, 'compact');
  }

  /** borg 1.2 has no partial data check: any subset means `--verify-data`, all of it. */
  async check(readDataSubset: string | undefined, signal?: AbortSignal): Promise<void> {
    const args = readDataSubset === undefined ? ['check'] : ['check', '--verify-data'];
    const run = await this.#queue.exclusive(() => this.#run(args, { signal }), signal);
    if (run.result.exitCode === 0) return;
    const mapped = this.#error(run, 'check');
    if (mapped.code !== 'backup-engine-failed') throw mapped;
    throw new UserError('backup-check-failed', {
      engine: 'borg',
      reason: mapped.params['reason'] ?? '',
    });
  }

  /**
   * `break-lock` removes every lock, also one of a borg that still runs elsewhere (borg has
   * no stale-only unlock); this process's own operations are waited for first.
   */
  async unlock(signal?: AbortSignal): Promise<void> {
    const run = await this.#queue.exclusive(() => this.#run(['break-lock'], { signal }), signal);
    if (run.result.exitCode !== 0) throw this.#error(run, 'break-lock');
  }

  get unlockCommand(): string {
    return borgBreakLockCommand(this.#settings.repository);
  }

  get #stallSeconds(): number {
    return this.#settings.stallSeconds ?? defaultStallSeconds;
  }

  #checkArchive(id: string): void {
    if (!archivePattern.test(id)) {
      throw new UserError('backup-snapshot-not-found', {
        snapshot: id,
        repository: displayRepository(this.#settings.repository),
      });
    }
  }

  /** Deletes a failed archive and any `.checkpoint` of it; not cancellable. */
  async #removePartial(name: string, tags: SnapshotTags): Promise<void> {
    const run = await this.#queue.exclusive(() =>
      this.#run(['delete', '--glob-archives', `${name}*`], {}),
    );
    if (run.result.exitCode === 0 || run.result.exitCode === 1) return;
    throw new UserError('backup-partial-left', {
      source: tags.source,
      job: tags.job,
      reason: this.#error(run, 'delete').message,
      command: this.unlockCommand,
    });
  }

  async #run(
    args: readonly string[],
    options: SpawnOptions & {
      readonly onProgress?: (bytesDone: number) => void;
      readonly runner?: EngineRunner | undefined;
    },
  ): Promise<BorgRun> {
    const logs: BorgLogMessage[] = [];
    const { onProgress, runner, ...spawnOptions } = options;
    const [command = '', ...rest] = args;
    const lockWait = String(this.#settings.lockWaitSeconds ?? 10);
    const argv = [command, '--log-json', '--lock-wait', lockWait, ...rest];
    const env = {
      ...this.#settings.env,
      BORG_REPO: this.#settings.repository,
      // Never a question: borg would read the answer from stdin, which is the data.
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'no',
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'no',
      BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'NO',
      BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'NO',
      BORG_DISPLAY_PASSPHRASE: 'no',
    };
    const onStderrLine = (line: string): void => {
      const parsed = parseBorgLogLine(line);
      if (parsed.kind === 'progress') onProgress?.(parsed.bytesDone);
      else if (parsed.kind === 'log') logs.push(parsed.log);
    };
    if (runner !== undefined) {
      // Elsewhere (a helper next to the volume): the passphrase is read from fd 0 until EOF.
      const result = await runner(
        {
          program: 'borg',
          binary: 'borg',
          args: argv,
          env,
          password: this.#settings.password,
          passwordOnStdin: { BORG_PASSPHRASE_FD: '0' },
        },
        { ...spawnOptions, onStderrLine },
      );
      return { result, logs };
    }
    const result = await runProcess(this.#settings.binary ?? 'borg', argv, {
      ...spawnOptions,
      dropEnv: ['BORG_PASSPHRASE', 'BORG_PASSCOMMAND', 'BORG_NEW_PASSPHRASE', 'BORG_REPO'],
      env: { ...env, BORG_PASSPHRASE: this.#settings.password },
      onStderrLine,
    });
    return { result, logs };
  }

  #error(run: BorgRun, operation: string): UserError {
    return borgError(run.result, run.logs, {
      repository: this.#settings.repository,
      operation,
      secrets: [this.#settings.password, ...Object.values(this.#settings.env ?? {})],
      stallSeconds: this.#stallSeconds,
    });
  }
}
