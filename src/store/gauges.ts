/** Gauges read from the state store for /metrics: jobs and outbox items by state. */
import type { DatabaseSync } from 'node:sqlite';
import { family } from '../core/prometheus.ts';

interface CountRow {
  readonly key: string;
  readonly state: string;
  readonly n: number;
}

export function storeGauges(db: DatabaseSync): () => string {
  const jobs = db.prepare('SELECT state AS key, state, count(*) AS n FROM jobs GROUP BY state');
  // The messenger is the room id's prefix (mattermost:…, matrix:…).
  const outbox = db.prepare(
    `SELECT substr(room, 1, instr(room, ':') - 1) AS key, state, count(*) AS n
       FROM outbox GROUP BY key, state`,
  );
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
      )
    );
  };
}
