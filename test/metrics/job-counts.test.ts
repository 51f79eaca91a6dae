/**
 * pes_jobs reads the job counts that triggers keep (migration 15) instead of counting every
 * job at each scrape. The counts must be what counting would say after every way a job's
 * row changes: created, moved through its states, interrupted at a start, pruned by
 * retention, and written by another connection (a terminal `pes`); and a database made
 * before the migration starts with its jobs counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerStoreGauges } from '../../src/metrics/store-gauges.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';
import { StatePruner } from '../../src/store/retention.ts';

let dir: string;
let path: string;
const opened: DatabaseSync[] = [];
const open = (): DatabaseSync => {
  const db = openDatabase(path);
  opened.push(db);
  return db;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-job-counts-'));
  path = join(dir, 'pes.db');
});
afterEach(() => {
  for (const db of opened.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What counting the rows says: the truth the kept counts must match. */
const counted = (db: DatabaseSync): Record<string, number> =>
  Object.fromEntries(
    (
      db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as {
        state: string;
        n: number;
      }[]
    ).map((r) => [r.state, r.n]),
  );

/** pes_jobs as a scrape shows it, by state. */
async function scraped(db: DatabaseSync): Promise<Record<string, number>> {
  const registry = new Registry();
  registerStoreGauges(registry, db, []);
  const metric = await registry.getSingleMetric('pes_jobs')?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [String(v.labels['state']), v.value]),
  );
}

const newJob = (i: number) =>
  ({
    command: 'restart',
    text: `restart s${i}`,
    actor: 'mattermost:u',
    room: 'mattermost:r',
    service: `s${i}`,
    lockKey: undefined,
  }) as const;

function create(store: SqliteJobStore, i: number): number {
  const job = store.create(newJob(i));
  if ('holder' in job) throw new Error('unexpected lock');
  return job.id;
}

describe('pes_jobs from the kept job counts', () => {
  it('follows creation, every state change, interruption and another connection', async () => {
    const db = open();
    const store = new SqliteJobStore(db);
    expect(await scraped(db)).toEqual({});
    const ids = Array.from({ length: 6 }, (_, i) => create(store, i));
    expect(await scraped(db)).toEqual({ queued: 6 });
    for (const id of ids.slice(0, 5)) store.transition(id, 'running');
    store.transition(ids[0] ?? 0, 'succeeded', 'ok');
    store.transition(ids[1] ?? 0, 'failed', 'no');
    store.transition(ids[2] ?? 0, 'cancelled');
    // A transition the state machine refuses changes nothing.
    expect(store.transition(ids[0] ?? 0, 'running')).toBe(false);
    expect(await scraped(db)).toEqual({
      queued: 1,
      running: 2,
      succeeded: 1,
      failed: 1,
      cancelled: 1,
    });

    // A terminal `pes` in another process: its own connection, its own jobs.
    const other = new SqliteJobStore(open(), { pid: 999_999, ownerToken: 'other' });
    create(other, 7);
    // The other process finds this one gone and interrupts its jobs.
    other.interruptOrphans(() => false);
    const expected = counted(db);
    expect(expected).toEqual({
      succeeded: 1,
      failed: 1,
      cancelled: 1,
      interrupted: 3,
      queued: 1,
    });
    expect(await scraped(db)).toEqual(expected);
  });

  it('follows retention, leaving out a state with no jobs left', async () => {
    const db = open();
    const old = new Date('2026-01-01T00:00:00Z');
    const store = new SqliteJobStore(db, { now: () => old });
    for (let i = 0; i < 5; i++) {
      const id = create(store, i);
      store.transition(id, 'running');
      store.transition(id, i < 4 ? 'succeeded' : 'failed');
    }
    create(new SqliteJobStore(db), 9); // young: stays
    expect(await scraped(db)).toEqual({ succeeded: 4, failed: 1, queued: 1 });
    const days = {
      outboxDays: 7,
      alertBatchDays: 30,
      alertThreadDays: 30,
      jobDays: 30,
      confirmationDays: 30,
      scheduleRunDays: 30,
    };
    const pruned = new StatePruner(db, days, {
      now: () => new Date('2026-06-01T00:00:00Z'),
      batchRows: 2,
    }).pruneAll();
    expect(pruned.jobs).toBe(5);
    expect(await scraped(db)).toEqual({ queued: 1 });
    expect(counted(db)).toEqual({ queued: 1 });
  });

  it('counts the jobs a database held before the migration', async () => {
    const raw = new DatabaseSync(path);
    opened.push(raw);
    // Every migration before the one that adds the counts.
    migrate(
      raw,
      migrations.slice(
        0,
        migrations.findIndex((m) => m.name === 'job counts by state'),
      ),
    );
    const store = new SqliteJobStore(raw);
    for (let i = 0; i < 3; i++) create(store, i);
    store.transition(1, 'running');
    raw.close();
    const db = open(); // migrates to the latest version
    expect(await scraped(db)).toEqual({ queued: 2, running: 1 });
  });
});
