/**
 * WAL checkpoints at quiet moments, for `pes serve`.
 *
 * With SQLite's automatic checkpoint every ~1,000 pages, the commit that crosses the
 * threshold copies the WAL into the database file and fsyncs both, while an alert or a chat
 * answer waits for it: in bench/alerts.ts those commits took ~60 % of the receiver's
 * database time, and on ext4 a WAL write was held up to 64 ms by a concurrent fsync
 * (strace). So the automatic checkpoint is only a backstop (~160 MB of WAL, cut back to
 * 64 MB after), and this timer checkpoints when nothing was committed since its last look,
 * or at the latest `maxDelayMs` after the first commit it has not copied. It runs on the main
 * thread on purpose: a worker thread did the same ~20 MB of memory dearer, and the fsync's
 * hold-up of WAL writes is the same from any thread.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../core/logger.ts';

/** Pages (4 KiB) of WAL after which a commit checkpoints by itself. */
const backstopPages = 40_000;
/** What is left of the WAL file after a checkpoint (it is reused, not shrunk, otherwise). */
const walLimitBytes = 64 * 1024 * 1024;

export interface Checkpointer {
  stop(): void;
}

export function startCheckpointer(
  db: DatabaseSync,
  path: string,
  log: Logger,
  timing: { tickMs?: number; maxDelayMs?: number } = {},
): Checkpointer {
  if (path === ':memory:') return { stop: () => undefined };
  const tickMs = timing.tickMs ?? 250;
  const maxDelayMs = timing.maxDelayMs ?? 10_000;
  db.exec(`PRAGMA wal_autocheckpoint = ${backstopPages}`);
  db.exec(`PRAGMA journal_size_limit = ${walLimitBytes}`);
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  // This connection's own commits count in total_changes(); those of other processes (a
  // one-shot `pes`) change data_version (https://sqlite.org/pragma.html#pragma_data_version).
  const ownChanges = db.prepare('SELECT total_changes() AS n');
  const dataVersion = db.prepare('PRAGMA data_version');
  const version = (): string =>
    `${(ownChanges.get() as { n: number }).n}:${(dataVersion.get() as { data_version: number }).data_version}`;

  let seen = version();
  // Unknown at start: the WAL may hold commits of an earlier run.
  let copied: string | undefined;
  let pendingSince: number | undefined;
  const run = (current: string): void => {
    try {
      checkpoint.get();
      copied = current;
      pendingSince = undefined;
    } catch (error) {
      // Busy or I/O: the next tick tries again; the backstop keeps the WAL bounded.
      log.warn('wal checkpoint failed', { error });
    }
  };
  const timer = setInterval(() => {
    const current = version();
    const quiet = current === seen;
    seen = current;
    if (current === copied) return;
    const now = Date.now();
    pendingSince ??= now;
    if (quiet || now - pendingSince >= maxDelayMs) run(current);
  }, tickMs);
  // The timer alone must not keep a finished process alive.
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      run(version());
    },
  };
}
