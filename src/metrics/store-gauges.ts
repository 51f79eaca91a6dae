/**
 * Gauges read from the state store at scrape time: jobs and outbox items by state, and the
 * size of the database on disk (its file and its write-ahead log), which retention keeps
 * bounded. Each is one grouped query over a small result, so a scrape stays cheap however
 * many finished jobs and sent posts are kept.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Gauge, type Registry } from 'prom-client';
import { fileBytes } from './file-size.ts';

interface CountRow {
  readonly key: string;
  readonly state: string;
  readonly n: number;
}

export function registerStoreGauges(registry: Registry, db: DatabaseSync): void {
  const jobs = db.prepare('SELECT state AS key, state, count(*) AS n FROM jobs GROUP BY state');
  // The messenger is the room id's prefix (mattermost:…, matrix:…); counted per room first,
  // which reads the index on (room, state) alone.
  const outbox = db.prepare(
    `SELECT substr(room, 1, instr(room, ':') - 1) AS key, state, sum(n) AS n
       FROM (SELECT room, state, count(*) AS n FROM outbox GROUP BY room, state)
      GROUP BY key, state`,
  );
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
