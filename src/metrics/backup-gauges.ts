/**
 * Backup figures per service and source, read from the backup ledger at scrape time
 * (src/store/backup-repo.ts) when the database has changed since the last read: when the
 * last complete backup of each source was made, its size and how long it took, and when
 * the last restore drill of a source passed or failed.
 * A drill that failed after the last one that passed is what the alert rules look for
 * (deploy/prometheus/pes-bot-rules.yml).
 */
import type { DatabaseSync } from 'node:sqlite';
import { Gauge, type Registry } from 'prom-client';
import { changeStamp } from './change-stamp.ts';
import { sharedRead } from './shared-read.ts';

interface BackupRow {
  readonly service: string;
  readonly source: string;
  readonly at: string;
  readonly bytes: number;
  readonly began: string | null;
}

interface DrillRow {
  readonly service: string;
  readonly source: string;
  readonly passed: string | null;
  readonly failed: string | null;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/**
 * The newest complete manifest of each source. A source's time is from the end of the
 * source before it in the same run (or the run's start, hooks included) to its own end.
 * Each part reads an index of migration 14: the walk of `backup_manifests_last`, one seek in
 * `backup_manifests_job` per source.
 */
export const lastBackupsSql = `WITH last AS (
       SELECT service, source, max(created_at) AS at, bytes, job
         FROM backup_manifests WHERE complete = 1 GROUP BY service, source)
     SELECT l.service, l.source, l.at, l.bytes,
            coalesce((SELECT max(p.created_at) FROM backup_manifests p
                       WHERE p.job = l.job AND p.created_at < l.at),
                     (SELECT r.started_at FROM backup_runs r WHERE r.job = l.job)) AS began
       FROM last l`;

/** Each source's last passed and failed drill, from the index `backup_manifests_drill`. */
export const lastDrillsSql = `SELECT service, source,
            max(CASE WHEN verify_ok = 1 THEN verified_at END) AS passed,
            max(CASE WHEN verify_ok = 0 THEN verified_at END) AS failed
       FROM backup_manifests WHERE verified_at IS NOT NULL GROUP BY service, source`;

export function registerBackupGauges(registry: Registry, db: DatabaseSync): void {
  const backups = db.prepare(lastBackupsSql);
  const drills = db.prepare(lastDrillsSql);
  const labelNames = ['service', 'source'] as const;
  const registers = [registry];
  // The ledger changes a few times a day: its rows are read again only when the database
  // may have changed (change-stamp.ts), so most scrapes of a quiet bot run no query here.
  const stamp = changeStamp(db);
  // Registered first, the timestamp gauge reads; size and duration reuse its rows.
  const read = sharedRead(() => backups.all() as unknown as BackupRow[], stamp);
  new Gauge({
    name: 'pes_backup_last_success_timestamp_seconds',
    help: 'When the newest complete backup of a source was made (Unix time).',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of read.fresh())
        this.set({ service: r.service, source: r.source }, seconds(r.at));
    },
  });
  new Gauge({
    name: 'pes_backup_last_success_size_bytes',
    help: 'Size of the stream the newest complete backup of a source stored.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of read.last()) this.set({ service: r.service, source: r.source }, r.bytes);
    },
  });
  new Gauge({
    name: 'pes_backup_last_success_duration_seconds',
    help: 'How long the newest complete backup of a source took.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of read.last()) {
        if (r.began === null) continue;
        this.set(
          { service: r.service, source: r.source },
          Math.max(0, seconds(r.at) - seconds(r.began)),
        );
      }
    },
  });
  const readDrills = sharedRead(() => drills.all() as unknown as DrillRow[], stamp);
  new Gauge({
    name: 'pes_restore_drill_last_success_timestamp_seconds',
    help: 'When a restore drill of a source last passed (Unix time).',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of readDrills.fresh()) {
        if (r.passed !== null)
          this.set({ service: r.service, source: r.source }, seconds(r.passed));
      }
    },
  });
  new Gauge({
    name: 'pes_restore_drill_last_failure_timestamp_seconds',
    help: 'When a restore drill of a source last failed (Unix time).',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const r of readDrills.last()) {
        if (r.failed !== null)
          this.set({ service: r.service, source: r.source }, seconds(r.failed));
      }
    },
  });
}
