/** The backup ledger in SQLite: manifests, last successes, schedule runs. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  BackupLedger,
  FileSample,
  BackupRunRecord,
  BackupRunState,
  LastSuccess,
  ManifestRecord,
  ScheduleRun,
  SnapshotState,
  SuccessKind,
} from '../core/backup.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orNull, orUndefined, toIso } from './values.ts';

const successKinds: readonly SuccessKind[] = ['backup', 'drill'];
const runStates: readonly BackupRunState[] = ['running', 'complete', 'discarded', 'left'];

interface ManifestRow {
  readonly snapshot_id: string;
  readonly service: string;
  readonly source: string;
  readonly job: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly files: number | null;
  readonly created_at: string;
  readonly verified_at: string | null;
  readonly verify_ok: number | null;
  readonly verify_detail: string | null;
  readonly complete: number;
  readonly kind: string;
  readonly samples: string | null;
}

interface RunRow {
  readonly job: string;
  readonly job_id: number | null;
  readonly service: string;
  readonly state: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly detail: string | null;
}

function toRun(row: RunRow): BackupRunRecord {
  return {
    job: row.job,
    jobId: orUndefined(row.job_id),
    service: row.service,
    state: oneOf(runStates, row.state, 'backup run state'),
    startedAt: fromIso(row.started_at),
    finishedAt: fromIso(row.finished_at),
    detail: orUndefined(row.detail),
  };
}

interface SuccessRow {
  readonly kind: string;
  readonly job: string;
  readonly at: string;
}

interface ScheduleRunRow {
  readonly schedule: string;
  readonly service: string | null;
  readonly due_at: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly result: string | null;
}

function toManifest(row: ManifestRow): ManifestRecord {
  return {
    snapshotId: row.snapshot_id,
    service: row.service,
    source: row.source,
    job: row.job,
    bytes: row.bytes,
    sha256: row.sha256,
    files: orUndefined(row.files),
    createdAt: fromIso(row.created_at),
    verifiedAt: fromIso(row.verified_at),
    verifyOk: row.verify_ok === null ? undefined : row.verify_ok !== 0,
    verifyDetail: orUndefined(row.verify_detail),
    complete: row.complete !== 0,
    kind: row.kind === 'files' ? 'files' : 'stream',
    ...(row.samples === null ? {} : { samples: parseSamples(row.samples) }),
  };
}

/** The samples column: JSON written by recordManifest; anything else reads as none. */
function parseSamples(text: string): FileSample[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((v: unknown) => {
    if (typeof v !== 'object' || v === null) return [];
    const { path, size, sha256 } = v as Record<string, unknown>;
    return typeof path === 'string' && typeof size === 'number' && typeof sha256 === 'string'
      ? [{ path, size, sha256 }]
      : [];
  });
}

export class SqliteBackupLedger implements BackupLedger {
  private readonly db: DatabaseSync;
  private readonly insertManifest: StatementSync;
  private readonly manifestById: StatementSync;
  private readonly manifestsOf: StatementSync;
  private readonly deleteManifest: StatementSync;
  private readonly verify: StatementSync;
  private readonly upsertSuccess: StatementSync;
  private readonly successOf: StatementSync;
  private readonly insertRun: StatementSync;
  private readonly finishRun: StatementSync;
  private readonly lastRuns: StatementSync;
  private readonly dueOf: StatementSync;
  private readonly upsertDue: StatementSync;
  private readonly insertBackupRun: StatementSync;
  private readonly markRunComplete: StatementSync;
  private readonly completeManifests: StatementSync;
  private readonly markRunClosed: StatementSync;
  private readonly runByJob: StatementSync;
  private readonly selectOpenRuns: StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    // A snapshot id is recorded once; the same id again (a repository made anew) replaces it.
    this.insertManifest = db.prepare(
      `INSERT OR REPLACE INTO backup_manifests
         (snapshot_id, service, source, job, bytes, sha256, files, created_at, complete, kind,
          samples)
       VALUES (:id, :service, :source, :job, :bytes, :sha256, :files, :createdAt, 0, :kind,
          :samples)`,
    );
    // A run of the same tag again (not expected: the tag holds the time) starts over.
    this.insertBackupRun = db.prepare(
      `INSERT OR REPLACE INTO backup_runs (job, job_id, service, state, started_at)
       VALUES (:job, :jobId, :service, 'running', :at)`,
    );
    this.markRunComplete = db.prepare(
      "UPDATE backup_runs SET state = 'complete', finished_at = :at WHERE job = :job",
    );
    this.completeManifests = db.prepare('UPDATE backup_manifests SET complete = 1 WHERE job = ?');
    this.markRunClosed = db.prepare(
      `UPDATE backup_runs SET state = :state, finished_at = :at, detail = :detail
        WHERE job = :job AND state <> 'complete'`,
    );
    this.runByJob = db.prepare('SELECT * FROM backup_runs WHERE job = ?');
    // The job's own state says whether the run may still be going on (in this process or
    // another): only runs of jobs that are over, or unknown to the jobs table, are open.
    this.selectOpenRuns = db.prepare(
      `SELECT r.* FROM backup_runs r LEFT JOIN jobs j ON j.id = r.job_id
        WHERE r.state IN ('running', 'left')
          AND (j.id IS NULL OR j.state NOT IN ('queued', 'running'))
        ORDER BY r.started_at, r.job`,
    );
    this.manifestById = db.prepare('SELECT * FROM backup_manifests WHERE snapshot_id = ?');
    this.manifestsOf = db.prepare(
      'SELECT * FROM backup_manifests WHERE service = ? ORDER BY created_at DESC, snapshot_id',
    );
    this.deleteManifest = db.prepare('DELETE FROM backup_manifests WHERE snapshot_id = ?');
    this.verify = db.prepare(
      `UPDATE backup_manifests SET verified_at = :at, verify_ok = :ok, verify_detail = :detail
        WHERE snapshot_id = :id`,
    );
    this.upsertSuccess = db.prepare(
      `INSERT INTO backup_success (service, kind, job, at) VALUES (:service, :kind, :job, :at)
       ON CONFLICT (service, kind) DO UPDATE SET job = excluded.job, at = excluded.at
        WHERE excluded.at >= backup_success.at`,
    );
    this.successOf = db.prepare('SELECT kind, job, at FROM backup_success WHERE service = ?');
    this.insertRun = db.prepare(
      `INSERT INTO schedule_runs (schedule, service, due_at, started_at)
       VALUES (:schedule, :service, :dueAt, :startedAt)`,
    );
    this.finishRun = db.prepare(
      'UPDATE schedule_runs SET finished_at = :at, result = :result WHERE id = :id',
    );
    this.lastRuns = db.prepare('SELECT * FROM schedule_runs ORDER BY id DESC LIMIT ?');
    this.dueOf = db.prepare('SELECT next_due_at FROM schedule_state WHERE schedule = ?');
    this.upsertDue = db.prepare(
      `INSERT INTO schedule_state (schedule, next_due_at) VALUES (:schedule, :at)
       ON CONFLICT (schedule) DO UPDATE SET next_due_at = excluded.next_due_at`,
    );
  }

  startRun(run: { job: string; jobId: number | undefined; service: string; at: Date }): void {
    immediate(this.db, () =>
      this.insertBackupRun.run({
        job: run.job,
        jobId: orNull(run.jobId),
        service: run.service,
        at: toIso(run.at),
      }),
    );
  }

  completeRun(job: string, at: Date): void {
    immediate(this.db, () => {
      this.completeManifests.run(job);
      this.markRunComplete.run({ job, at: toIso(at) });
    });
  }

  closeRun(job: string, state: 'discarded' | 'left', detail: string | undefined, at: Date): void {
    immediate(this.db, () =>
      this.markRunClosed.run({ job, state, detail: orNull(detail), at: toIso(at) }),
    );
  }

  run(job: string): BackupRunRecord | undefined {
    const row = this.runByJob.get(job) as RunRow | undefined;
    return row === undefined ? undefined : toRun(row);
  }

  openRuns(): BackupRunRecord[] {
    return (this.selectOpenRuns.all() as unknown as RunRow[]).map(toRun);
  }

  snapshotState(snapshotId: string, job: string): SnapshotState {
    const m = this.manifest(snapshotId);
    if (m !== undefined) return m.complete || m.verifyOk === true ? 'complete' : 'incomplete';
    // No manifest: the source never finished. Known as ours only through the run.
    return this.run(job) === undefined ? 'unknown' : 'incomplete';
  }

  recordManifest(
    m: Omit<ManifestRecord, 'verifiedAt' | 'verifyOk' | 'verifyDetail' | 'complete'>,
  ): void {
    immediate(this.db, () =>
      this.insertManifest.run({
        id: m.snapshotId,
        service: m.service,
        source: m.source,
        job: m.job,
        bytes: m.bytes,
        sha256: m.sha256,
        files: orNull(m.files),
        createdAt: toIso(m.createdAt),
        kind: m.kind ?? 'stream',
        samples: m.samples === undefined ? null : JSON.stringify(m.samples),
      }),
    );
  }

  manifest(snapshotId: string): ManifestRecord | undefined {
    const row = this.manifestById.get(snapshotId) as ManifestRow | undefined;
    return row === undefined ? undefined : toManifest(row);
  }

  manifests(service: string): ManifestRecord[] {
    return (this.manifestsOf.all(service) as unknown as ManifestRow[]).map(toManifest);
  }

  forgetManifests(snapshotIds: readonly string[]): void {
    immediate(this.db, () => {
      for (const id of snapshotIds) this.deleteManifest.run(id);
    });
  }

  recordVerification(snapshotId: string, ok: boolean, detail: string | undefined, at: Date): void {
    immediate(this.db, () =>
      this.verify.run({ id: snapshotId, ok: ok ? 1 : 0, detail: orNull(detail), at: toIso(at) }),
    );
  }

  recordSuccess(service: string, kind: SuccessKind, job: string, at: Date): void {
    immediate(this.db, () => this.upsertSuccess.run({ service, kind, job, at: toIso(at) }));
  }

  lastSuccess(service: string): Partial<Record<SuccessKind, LastSuccess>> {
    const result: Partial<Record<SuccessKind, LastSuccess>> = {};
    for (const row of this.successOf.all(service) as unknown as SuccessRow[]) {
      result[oneOf(successKinds, row.kind, 'backup success kind')] = {
        at: fromIso(row.at),
        job: row.job,
      };
    }
    return result;
  }

  startScheduleRun(schedule: string, service: string | undefined, dueAt: Date, at: Date): number {
    return immediate(this.db, () => {
      const info = this.insertRun.run({
        schedule,
        service: orNull(service),
        dueAt: toIso(dueAt),
        startedAt: toIso(at),
      });
      return Number(info.lastInsertRowid);
    });
  }

  finishScheduleRun(id: number, result: string, at: Date): void {
    immediate(this.db, () => this.finishRun.run({ id, result, at: toIso(at) }));
  }

  scheduleRuns(limit: number): ScheduleRun[] {
    return (this.lastRuns.all(limit) as unknown as ScheduleRunRow[]).map((row) => ({
      schedule: row.schedule,
      service: orUndefined(row.service),
      dueAt: fromIso(row.due_at),
      startedAt: fromIso(row.started_at),
      finishedAt: fromIso(row.finished_at),
      result: orUndefined(row.result),
    }));
  }

  nextDue(schedule: string): Date | undefined {
    const row = this.dueOf.get(schedule) as { next_due_at: string | null } | undefined;
    return row === undefined ? undefined : fromIso(row.next_due_at);
  }

  setNextDue(schedule: string, at: Date | undefined): void {
    immediate(this.db, () =>
      this.upsertDue.run({ schedule, at: at === undefined ? null : toIso(at) }),
    );
  }
}
