/**
 * Retention of the state database: finished rows older than their table's number of days
 * (`state.retention`) are deleted, a few hundred at a time, so that a pass never holds the
 * write lock for long. The audit log is never pruned (its hash chain is the record).
 *
 * What must stay, whatever its age:
 * - outbox: items not delivered yet or given up (`pending`, `sending`, `failed`); the root
 *   post of an alert thread that is still kept (its edits need its remote id); a post that a
 *   pending or failed edit targets; an open Matrix confirmation prompt (it is edited when
 *   decided); the newest sent edit of a post that is still kept (what the post shows now:
 *   src/chat/mattermost/post-buttons.ts reads it to tell which buttons the post has, and
 *   falls back to the post's original content when there is none);
 * - alert_batches: the newest notification of a group still firing (its digest is what
 *   makes Alertmanager's repeats of it be recognised and not posted again), and one held
 *   for quiet hours; pending ones;
 * - alert_threads: the threads of groups still firing;
 * - jobs: queued and running ones (they hold the service locks);
 * - confirmations: pending ones not long expired, and any with an open Matrix prompt.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { immediate } from './transactions.ts';
import { systemClock, toIso, type Clock } from './values.ts';

/** Days finished rows are kept, per table (config `state.retention`). */
export interface RetentionDays {
  /** Delivered (sent or superseded) outbox items. */
  readonly outboxDays: number;
  /** Delivered or failed Alertmanager notifications (their payloads). */
  readonly alertBatchDays: number;
  /** Alert threads of groups no longer firing, after their last update. */
  readonly alertThreadDays: number;
  /** Finished jobs. */
  readonly jobDays: number;
  /** Decided or expired confirmations. */
  readonly confirmationDays: number;
  /** Finished runs of the backup scheduler. */
  readonly scheduleRunDays: number;
}

export type RetainedTable =
  'outbox' | 'alert_batches' | 'alert_threads' | 'jobs' | 'confirmations' | 'schedule_runs';

interface TableRule {
  readonly table: RetainedTable;
  readonly days: keyof RetentionDays;
  /** Rows that may go: `:cutoff` is the ISO time before which they are old enough. */
  readonly deletable: string;
}

/**
 * The groups still firing: those whose newest notification is firing or not delivered yet.
 * Read once per pass (a scan of alert_batches' group keys); a group that starts firing
 * during the pass has only notifications younger than any cutoff, which no rule deletes.
 */
const firingNewest = `
  SELECT b.id, b.group_key FROM alert_batches b
    JOIN (SELECT max(id) AS id FROM alert_batches GROUP BY group_key) n ON n.id = b.id
   WHERE b.state = 'pending' OR json_extract(b.payload, '$.status') = 'firing'`;

const rules: readonly TableRule[] = [
  {
    table: 'outbox',
    days: 'outboxDays',
    deletable: `state IN ('sent', 'superseded')
      AND coalesce(sent_at, created_at) < :cutoff
      AND idempotency_key NOT IN (SELECT root_key FROM alert_threads)
      AND idempotency_key NOT IN (SELECT target_key FROM outbox
            WHERE target_key IS NOT NULL AND state IN ('pending', 'sending', 'failed'))
      AND idempotency_key NOT IN (SELECT prompt_key FROM matrix_prompts WHERE closed_at IS NULL)
      AND id NOT IN (SELECT max(e.id) FROM outbox e
            WHERE e.kind = 'patch' AND e.state = 'sent'
              AND e.target_key IN (SELECT idempotency_key FROM outbox)
            GROUP BY e.target_key)`,
  },
  {
    table: 'alert_batches',
    days: 'alertBatchDays',
    deletable: `state IN ('delivered', 'failed')
      AND received_at < :cutoff
      AND id NOT IN (SELECT value FROM json_each(:firingIds))
      AND id NOT IN (SELECT batch_id FROM alert_held)`,
  },
  {
    table: 'alert_threads',
    days: 'alertThreadDays',
    deletable: `updated_at < :cutoff
      AND group_key NOT IN (SELECT value FROM json_each(:firingGroups))
      AND NOT EXISTS (SELECT 1 FROM alert_held h
            WHERE h.room = alert_threads.room AND h.group_key = alert_threads.group_key)`,
  },
  {
    table: 'jobs',
    days: 'jobDays',
    deletable: `state NOT IN ('queued', 'running') AND coalesce(finished_at, created_at) < :cutoff`,
  },
  {
    table: 'confirmations',
    days: 'confirmationDays',
    deletable: `expires_at < :cutoff AND coalesce(decided_at, expires_at) < :cutoff
      AND code NOT IN (SELECT code FROM matrix_prompts WHERE closed_at IS NULL)`,
  },
  {
    table: 'schedule_runs',
    days: 'scheduleRunDays',
    deletable: `coalesce(finished_at, started_at) < :cutoff`,
  },
];

const dayMs = 24 * 60 * 60 * 1000;

export interface PrunerOptions {
  readonly now?: Clock;
  /** Rows looked at (and at most deleted) per transaction. */
  readonly batchRows?: number;
}

/** One step of a pass: a transaction over at most `batchRows` rows of one table. */
export interface PruneStep {
  readonly table: RetainedTable;
  readonly deleted: number;
}

interface Prepared {
  readonly rule: TableRule;
  /** The rowid of the last row of the next window. */
  readonly windowEnd: StatementSync;
  readonly remove: StatementSync;
  readonly maxRowid: StatementSync;
}

export class StatePruner {
  readonly #db: DatabaseSync;
  readonly #days: RetentionDays;
  readonly #now: Clock;
  readonly #batch: number;
  readonly #tables: readonly Prepared[];
  readonly #firing: StatementSync;

  constructor(db: DatabaseSync, days: RetentionDays, options: PrunerOptions = {}) {
    this.#db = db;
    this.#days = days;
    this.#now = options.now ?? systemClock;
    this.#batch = Math.max(1, Math.floor(options.batchRows ?? 500));
    this.#firing = db.prepare(firingNewest);
    this.#tables = rules.map((rule) => ({
      rule,
      windowEnd: db.prepare(
        `SELECT max(rowid) AS last FROM
           (SELECT rowid FROM ${rule.table} WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
      ),
      remove: db.prepare(
        `DELETE FROM ${rule.table}
          WHERE rowid > :after AND rowid <= :last AND ${rule.deletable}`,
      ),
      maxRowid: db.prepare(`SELECT max(rowid) AS last FROM ${rule.table}`),
    }));
  }

  /**
   * One pass over every table, as steps: each `next()` runs one short transaction, so the
   * caller decides when the next one may run (`startRetention` yields between them). Rows
   * added after the pass began are left for the next pass.
   */
  *pass(): Generator<PruneStep, void, undefined> {
    const now = this.#now().getTime();
    const firing = this.#firing.all() as unknown as { id: number; group_key: string }[];
    const firingIds = JSON.stringify(firing.map((row) => row.id));
    const firingGroups = JSON.stringify(firing.map((row) => row.group_key));
    for (const t of this.#tables) {
      const cutoff = toIso(new Date(now - this.#days[t.rule.days] * dayMs));
      const end = (t.maxRowid.get() as { last: number | null }).last;
      if (end === null) continue;
      let after = 0;
      while (after < end) {
        const deleted = immediate(this.#db, () => {
          const window = t.windowEnd.get(after, this.#batch) as { last: number | null };
          const last = Math.min(window.last ?? end, end);
          const params: Record<string, string | number> = { after, last, cutoff };
          if (t.rule.table === 'alert_batches') params['firingIds'] = firingIds;
          if (t.rule.table === 'alert_threads') params['firingGroups'] = firingGroups;
          const changes = Number(t.remove.run(params).changes);
          after = window.last === null ? end : last;
          return changes;
        });
        yield { table: t.rule.table, deleted };
      }
    }
  }

  /** A whole pass at once; what was deleted per table. For tests and one-shot use. */
  pruneAll(): Record<RetainedTable, number> {
    const counts: Record<RetainedTable, number> = {
      outbox: 0,
      alert_batches: 0,
      alert_threads: 0,
      jobs: 0,
      confirmations: 0,
      schedule_runs: 0,
    };
    for (const step of this.pass()) counts[step.table] += step.deleted;
    return counts;
  }
}
