/**
 * Figures read from the state store at scrape time: jobs and outbox items by state, the
 * outbox items given up on so far, and the size of the database on disk (its file and its
 * write-ahead log), which retention keeps bounded. Each reads a table of counts kept by
 * triggers or walks a covering index, so a scrape stays cheap however many finished jobs
 * and sent posts are kept.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Counter, Gauge, type Registry } from 'prom-client';
import { fileBytes } from './file-size.ts';

interface CountRow {
  readonly key: string;
  readonly state: string;
  readonly n: number;
}

/**
 * Jobs by state, from the counts triggers on the jobs keep (migration 15): a few rows, however
 * many finished jobs retention keeps. A state that has had jobs and has none now is left out.
 */
export const jobCountsSql = 'SELECT state AS key, state, n FROM job_counts WHERE n > 0';

/** `messengers`: those the bot serves, shown at 0 before their first failure. */
export function registerStoreGauges(
  registry: Registry,
  db: DatabaseSync,
  messengers: readonly string[],
): void {
  const jobs = db.prepare(jobCountsSql);
  // The messenger is the room id's prefix (mattermost:…, matrix:…); counted per room first,
  // which reads the index on (room, state) alone.
  const outbox = db.prepare(
    `SELECT substr(room, 1, instr(room, ':') - 1) AS key, state, sum(n) AS n
       FROM (SELECT room, state, count(*) AS n FROM outbox GROUP BY room, state)
      GROUP BY key, state`,
  );
  // Kept by a trigger on the outbox (migration 11): it counts every item that became failed,
  // survives restarts and is never pruned, unlike the failed rows themselves.
  const failures = db.prepare('SELECT messenger, n FROM outbox_failures');
  // The file of the main database as SQLite opened it ('' for an in-memory one).
  const main = (db.prepare('PRAGMA database_list').all() as { name: string; file: string }[]).find(
    (row) => row.name === 'main',
  )?.file;
  const pages = db.prepare(
    'SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()',
  );
  const registers = [registry];
  new Gauge({
    name: 'pes_jobs',
    help: 'Jobs in the state store by state.',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      for (const row of jobs.all() as unknown as CountRow[]) this.set({ state: row.state }, row.n);
    },
  });
  new Gauge({
    name: 'pes_outbox_items',
    help: 'Outgoing posts and edits by messenger and state (pending and failed need a look).',
    labelNames: ['messenger', 'state'],
    registers,
    collect() {
      this.reset();
      for (const row of outbox.all() as unknown as CountRow[]) {
        this.set({ messenger: row.key, state: row.state }, row.n);
      }
    },
  });
  new Counter({
    name: 'pes_outbox_failures_total',
    help: 'Outgoing posts and edits given up on, by messenger (the bot log says why).',
    labelNames: ['messenger'],
    registers,
    collect() {
      this.reset();
      // A series that starts at 0 lets increase() see the first failure.
      for (const messenger of messengers) this.inc({ messenger }, 0);
      for (const row of failures.all() as unknown as { messenger: string; n: number }[]) {
        this.inc({ messenger: row.messenger }, row.n);
      }
    },
  });
  new Gauge({
    name: 'pes_state_database_bytes',
    help: 'Size of the state database on disk, its write-ahead log included.',
    registers,
    collect() {
      this.set(
        main === undefined || main === ''
          ? (pages.get() as { n: number }).n
          : fileBytes(main) + fileBytes(`${main}-wal`),
      );
    },
  });
}
