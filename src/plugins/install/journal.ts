/**
 * What a plugin-install or plugin-remove job has changed on the Moodle site so far, written
 * before each change (maintenance on, the folder set aside or copied, upgrade.php or
 * uninstall_plugins.php started) and deleted when the job ends. A job that ends reports its
 * own undo; the row is read only at the next start after the bot died under a job
 * (journal-recovery.ts).
 */
export interface JournalEntry {
  readonly jobId: number;
  readonly service: string;
  readonly component: string;
  /** The plugin's folder on the site. */
  readonly targetDir: string;
  /** Where the previous version's folder is set aside during an upgrade. */
  readonly asideDir: string | undefined;
  /** The job may have written into targetDir (a folder that was not there before). */
  readonly createdFolder: boolean;
  /** The job turned maintenance on. */
  readonly maintenanceOn: boolean;
  /** upgrade.php (or uninstall_plugins.php) may have changed the database. */
  readonly upgradeStarted: boolean;
  /** The job's own backup, for `restore <service> <snapshot>`. */
  readonly backupSnapshot: string | undefined;
}

export interface JournalStore {
  save(entry: JournalEntry): void;
  remove(jobId: number): void;
  all(): JournalEntry[];
}

export type JournalChange = Partial<
  Pick<
    JournalEntry,
    | 'targetDir'
    | 'asideDir'
    | 'createdFolder'
    | 'maintenanceOn'
    | 'upgradeStarted'
    | 'backupSnapshot'
  >
>;

/** What a job writes: each change merged into its one row; `end` deletes it. */
export interface JobJournal {
  note(change: JournalChange): void;
  end(): void;
}

/** For a job without a number (tests, the terminal without a store): nothing is kept. */
export const noJournal: JobJournal = { note: () => undefined, end: () => undefined };

export function jobJournal(
  store: JournalStore,
  job: { readonly jobId: number; readonly service: string; readonly component: string },
): JobJournal {
  let row: JournalEntry = {
    ...job,
    targetDir: '',
    asideDir: undefined,
    createdFolder: false,
    maintenanceOn: false,
    upgradeStarted: false,
    backupSnapshot: undefined,
  };
  return {
    note: (change) => {
      row = { ...row, ...change };
      store.save(row);
    },
    end: () => store.remove(job.jobId),
  };
}
