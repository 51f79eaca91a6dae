/**
 * The queries every scrape runs read small indexes or kept counts, not every row once per
 * source: months of backups and finished jobs must not make /metrics slow (bench/metrics.ts
 * measures the time).
 * SQLite's EXPLAIN QUERY PLAN names how each table is read.
 */
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastBackupsSql, lastDrillsSql } from '../../src/metrics/backup-gauges.ts';
import { jobCountsSql } from '../../src/metrics/store-gauges.ts';
import { openDatabase } from '../../src/store/database.ts';

let db: DatabaseSync;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => {
  db.close();
});

const plan = (sql: string): string[] =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);

describe('the backup ledger queries of /metrics', () => {
  it('find the run a source belongs to by index, and group in index order', () => {
    const steps = plan(lastBackupsSql);
    expect(steps).toContainEqual(
      expect.stringMatching(/^SCAN backup_manifests USING COVERING INDEX backup_manifests_last/),
    );
    expect(steps).toContainEqual(
      expect.stringMatching(
        /^SEARCH p USING COVERING INDEX backup_manifests_job \(job=\? AND created_at<\?\)/,
      ),
    );
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|AUTOMATIC/);
  });

  it('read the drills from a covering index in group order', () => {
    const steps = plan(lastDrillsSql);
    expect(steps).toEqual(['SCAN backup_manifests USING COVERING INDEX backup_manifests_drill']);
  });
});

describe('pes_jobs', () => {
  it('reads the kept counts, not the jobs', () => {
    expect(plan(jobCountsSql)).toEqual(['SCAN job_counts']);
  });
});
