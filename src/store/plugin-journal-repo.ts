/** The plugin jobs' journal (src/plugins/install/journal.ts) in SQLite. */
import type { DatabaseSync } from 'node:sqlite';
import type { JournalEntry, JournalStore } from '../plugins/install/journal.ts';
import { orUndefined, systemClock, toIso, type Clock } from './values.ts';

interface JournalRow {
  readonly job_id: number;
  readonly service: string;
  readonly component: string;
  readonly target_dir: string;
  readonly aside_dir: string | null;
  readonly created_folder: number;
  readonly maintenance_on: number;
  readonly upgrade_started: number;
  readonly backup_snapshot: string | null;
}

export class SqlitePluginJournal implements JournalStore {
  readonly #db: DatabaseSync;
  readonly #now: Clock;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
  }

  save(e: JournalEntry): void {
    this.#db
      .prepare(
        `INSERT INTO plugin_jobs_journal (job_id, service, component, target_dir, aside_dir,
           created_folder, maintenance_on, upgrade_started, backup_snapshot, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id) DO UPDATE SET service = excluded.service,
           component = excluded.component, target_dir = excluded.target_dir,
           aside_dir = excluded.aside_dir, created_folder = excluded.created_folder,
           maintenance_on = excluded.maintenance_on, upgrade_started = excluded.upgrade_started,
           backup_snapshot = excluded.backup_snapshot, updated_at = excluded.updated_at`,
      )
      .run(
        e.jobId,
        e.service,
        e.component,
        e.targetDir,
        e.asideDir ?? null,
        e.createdFolder ? 1 : 0,
        e.maintenanceOn ? 1 : 0,
        e.upgradeStarted ? 1 : 0,
        e.backupSnapshot ?? null,
        toIso(this.#now()),
      );
  }

  remove(jobId: number): void {
    this.#db.prepare('DELETE FROM plugin_jobs_journal WHERE job_id = ?').run(jobId);
  }

  all(): JournalEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM plugin_jobs_journal ORDER BY job_id')
      .all() as unknown as JournalRow[];
    return rows.map((r) => ({
      jobId: r.job_id,
      service: r.service,
      component: r.component,
      targetDir: r.target_dir,
      asideDir: orUndefined(r.aside_dir),
      createdFolder: r.created_folder === 1,
      maintenanceOn: r.maintenance_on === 1,
      upgradeStarted: r.upgrade_started === 1,
      backupSnapshot: orUndefined(r.backup_snapshot),
    }));
  }
}
