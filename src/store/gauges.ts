/**
 * Gauges read from the state store for /metrics: jobs and outbox items by state, and the size
 * of the database on disk (its file and its write-ahead log), which retention keeps bounded.
 */
import { statSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { family } from '../core/prometheus.ts';

interface CountRow {
  readonly key: string;
  readonly state: string;
  readonly n: number;
}

/** The size of a file, 0 when it is not there (no WAL between checkpoints of a closed bot). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

export function storeGauges(db: DatabaseSync): () => string {
  const jobs = db.prepare('SELECT state AS key, state, count(*) AS n FROM jobs GROUP BY state');
  // The messenger is the room id's prefix (mattermost:…, matrix:…).
  const outbox = db.prepare(
    `SELECT substr(room, 1, instr(room, ':') - 1) AS key, state, count(*) AS n
       FROM outbox GROUP BY key, state`,
  );
  // The file of the main database as SQLite opened it ('' for an in-memory one).
  const main = (db.prepare('PRAGMA database_list').all() as { name: string; file: string }[]).find(
    (row) => row.name === 'main',
  )?.file;
  const pages = db.prepare(
    'SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()',
  );
  const databaseBytes = (): number =>
    main === undefined || main === ''
      ? (pages.get() as { n: number }).n
      : fileBytes(main) + fileBytes(`${main}-wal`);
  return () => {
    const jobRows = jobs.all() as unknown as CountRow[];
    const outboxRows = outbox.all() as unknown as CountRow[];
    return (
      family(
        'pes_jobs',
        'gauge',
        'Jobs in the state store by state.',
        jobRows.map((r) => ({ labels: { state: r.state }, value: r.n })),
      ) +
      family(
        'pes_outbox_items',
        'gauge',
        'Outgoing posts and edits by messenger and state (pending and failed need a look).',
        outboxRows.map((r) => ({ labels: { messenger: r.key, state: r.state }, value: r.n })),
      ) +
      family(
        'pes_state_database_bytes',
        'gauge',
        'Size of the state database on disk, its write-ahead log included.',
        [{ value: databaseBytes() }],
      )
    );
  };
}
