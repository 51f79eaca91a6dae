/**
 * WAL checkpoints off the event loop, for `pes serve`.
 *
 * With SQLite's automatic checkpoint every ~1,000 pages, the commit that crosses the
 * threshold copies the WAL into the database and fsyncs it, on the thread that commits: an
 * alert or a chat answer then waits for the disk. Measured in bench/alerts.ts, those commits
 * took about 60 % of the receiver's database time. Here a worker thread with its own
 * connection checkpoints when the bot is quiet (checkpoint-worker.ts); the main connection
 * keeps an automatic checkpoint only as a backstop (at ~160 MB of WAL), should a storm
 * never pause or the worker be stuck or gone, and the WAL file is cut back to 64 MB after.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.ts';

/** Pages (4 KiB) of WAL after which the main connection checkpoints by itself. */
const backstopPages = 40_000;
/** What is left of the WAL file after a checkpoint (it is reused, not shrunk, otherwise). */
const walLimitBytes = 64 * 1024 * 1024;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(
  db: DatabaseSync,
  path: string,
  log: Logger,
  timing: { tickMs?: number; maxDelayMs?: number } = {},
): Checkpointer {
  if (path === ':memory:') return { stop: () => Promise.resolve() };
  const worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), {
    workerData: { path, tickMs: timing.tickMs ?? 250, maxDelayMs: timing.maxDelayMs ?? 10_000 },
  });
  // The timer of the worker alone must not keep a finished process alive.
  worker.unref();
  db.exec(`PRAGMA wal_autocheckpoint = ${backstopPages}`);
  db.exec(`PRAGMA journal_size_limit = ${walLimitBytes}`);
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) log.warn('wal checkpoint failed', { error: message.error });
  });
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  worker.on('error', (error) => {
    log.error('wal checkpoint thread failed; the main connection checkpoints', { error });
    db.exec('PRAGMA wal_autocheckpoint = 1000');
  });
  return {
    stop: () => {
      if (!exited) {
        // Held again: the process must wait for the last checkpoint and the close.
        worker.ref();
        worker.postMessage('stop');
      }
      return gone;
    },
  };
}
