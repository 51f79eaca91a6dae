/** Jobs in SQLite: the durable job record and the per-service lock, shared by all processes. */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { activeJobStates, canTransition, isActive } from '../core/jobs.ts';
import type { JobRecord, JobState, JobStore, LockConflict, NewJob } from '../core/jobs.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orNull, orUndefined, systemClock, toIso } from './values.ts';
import type { Clock } from './values.ts';

const jobStates: readonly JobState[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

// Built from the core list so the SQL and the state machine cannot drift apart.
const activeSql = activeJobStates.map((state) => `'${state}'`).join(', ');

/** Identifies this process among all that ever had its pid; see `interruptOrphans`. */
const processToken = randomUUID();

interface JobRow {
  readonly id: number;
  readonly command: string;
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly service: string | null;
  readonly lock_key: string | null;
  readonly state: string;
  readonly progress: number;
  readonly progress_text: string | null;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly result: string | null;
  readonly cancel_requested: number;
  readonly owner_pid: number;
  readonly owner_token: string;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    command: row.command,
    text: row.text,
    actor: row.actor,
    room: row.room,
    service: orUndefined(row.service),
    lockKey: orUndefined(row.lock_key),
    state: oneOf(jobStates, row.state, 'job state'),
    progress: row.progress,
    progressText: orUndefined(row.progress_text),
    createdAt: fromIso(row.created_at),
    startedAt: fromIso(row.started_at),
    finishedAt: fromIso(row.finished_at),
    result: orUndefined(row.result),
    cancelRequested: row.cancel_requested !== 0,
    ownerPid: row.owner_pid,
  };
}

/** NaN becomes 0; everything else is clamped to 0..1. */
function clampFraction(fraction: number): number {
  if (Number.isNaN(fraction)) return 0;
  return Math.min(1, Math.max(0, fraction));
}

/**
 * Whether a process exists. EPERM means it exists but belongs to someone else; any error
 * other than ESRCH is treated as alive, because wrongly interrupting a running job is worse
 * than leaving a dead one for the next check.
 */
export function isProcessAlive(pid: number): boolean {
  // 0 and negative pids address process groups in kill(2), never a single process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface SqliteJobStoreOptions {
  readonly now?: Clock;
  /** The pid recorded as owner of new jobs; defaults to this process. */
  readonly pid?: number;
  /** Tells this process apart from an earlier one with the same pid; defaults to one per process. */
  readonly ownerToken?: string;
}

export class SqliteJobStore implements JobStore {
  private readonly db: DatabaseSync;
  private readonly now: Clock;
  private readonly pid: number;
  private readonly ownerToken: string;
  private readonly byId: StatementSync;
  private readonly lockHolder: StatementSync;
  private readonly insert: StatementSync;

  constructor(db: DatabaseSync, options: SqliteJobStoreOptions = {}) {
    this.db = db;
    this.now = options.now ?? systemClock;
    this.pid = options.pid ?? process.pid;
    this.ownerToken = options.ownerToken ?? processToken;
    this.byId = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.lockHolder = db.prepare(
      `SELECT * FROM jobs WHERE lock_key = ? AND state IN (${activeSql}) ORDER BY id LIMIT 1`,
    );
    this.insert = db.prepare(
      `INSERT INTO jobs (command, text, actor, room, service, lock_key, state, created_at,
                         owner_pid, owner_token)
       VALUES (:command, :text, :actor, :room, :service, :lockKey, 'queued', :createdAt,
               :ownerPid, :ownerToken)`,
    );
  }

  create(job: NewJob): JobRecord | LockConflict {
    // One IMMEDIATE transaction: no other process can take the lock between the check and
    // the insert.
    return immediate(this.db, () => {
      if (job.lockKey !== undefined) {
        const holder = this.lockHolder.get(job.lockKey) as JobRow | undefined;
        if (holder !== undefined) return { holder: toJob(holder) };
      }
      const inserted = this.insert.run({
        command: job.command,
        text: job.text,
        actor: job.actor,
        room: job.room,
        service: orNull(job.service),
        lockKey: orNull(job.lockKey),
        createdAt: toIso(this.now()),
        ownerPid: this.pid,
        ownerToken: this.ownerToken,
      });
      return this.mustGet(Number(inserted.lastInsertRowid));
    });
  }

  get(id: number): JobRecord | undefined {
    const row = this.byId.get(id) as JobRow | undefined;
    return row === undefined ? undefined : toJob(row);
  }

  list(options: { limit: number; activeOnly?: boolean }): JobRecord[] {
    // A negative LIMIT means "no limit" in SQLite; a caller asking for -1 gets nothing.
    const limit = Math.max(0, Math.floor(options.limit));
    const where = options.activeOnly === true ? `WHERE state IN (${activeSql})` : '';
    // Newest first by id: ids only grow, while clocks can step back.
    const rows = this.db
      .prepare(`SELECT * FROM jobs ${where} ORDER BY id DESC LIMIT ?`)
      .all(limit) as unknown as JobRow[];
    return rows.map(toJob);
  }

  transition(id: number, to: JobState, result?: string): boolean {
    return immediate(this.db, () => {
      const row = this.byId.get(id) as JobRow | undefined;
      if (row === undefined) return false;
      if (!canTransition(oneOf(jobStates, row.state, 'job state'), to)) return false;
      const now = toIso(this.now());
      this.db
        .prepare(
          `UPDATE jobs SET state = :state,
             started_at = coalesce(:startedAt, started_at),
             finished_at = coalesce(:finishedAt, finished_at),
             result = coalesce(:result, result)
           WHERE id = :id`,
        )
        .run({
          id,
          state: to,
          startedAt: to === 'running' ? now : null,
          finishedAt: isActive(to) ? null : now,
          result: orNull(result),
        });
      return true;
    });
  }

  setProgress(id: number, fraction: number, text: string | undefined): void {
    // Only active jobs: a late report must not rewrite the progress of a finished job.
    immediate(this.db, () => {
      this.db
        .prepare(
          `UPDATE jobs SET progress = ?, progress_text = ? WHERE id = ? AND state IN (${activeSql})`,
        )
        .run(clampFraction(fraction), orNull(text), id);
    });
  }

  requestCancel(id: number): void {
    immediate(this.db, () => {
      this.db
        .prepare(`UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state IN (${activeSql})`)
        .run(id);
    });
  }

  /**
   * A job is orphaned when its owner process is gone, or when its pid is ours but the job was
   * made by an earlier process: in a container the bot is pid 1 after every restart, so the
   * pid alone would keep an old job (and its lock) alive forever.
   */
  interruptOrphans(isAlive: (pid: number) => boolean): JobRecord[] {
    return immediate(this.db, () => {
      const active = this.db
        .prepare(`SELECT * FROM jobs WHERE state IN (${activeSql}) ORDER BY id`)
        .all() as unknown as JobRow[];
      const orphans = active.filter((row) =>
        row.owner_pid === this.pid ? row.owner_token !== this.ownerToken : !isAlive(row.owner_pid),
      );
      const finishedAt = toIso(this.now());
      const mark = this.db.prepare(
        "UPDATE jobs SET state = 'interrupted', finished_at = ? WHERE id = ?",
      );
      return orphans.map((row) => {
        mark.run(finishedAt, row.id);
        return this.mustGet(row.id);
      });
    });
  }

  private mustGet(id: number): JobRecord {
    const job = this.get(id);
    if (job === undefined) throw new Error(`job ${id} vanished inside its own transaction`);
    return job;
  }
}
