/**
 * The body of the checkpoint thread (see checkpointer.ts): its own connection to the state
 * database, copying the WAL back into the database file on a timer. PASSIVE never waits
 * for, nor blocks, the writers and readers of the main thread.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

interface Settings {
  readonly path: string;
  readonly intervalMs: number;
}

const { path, intervalMs } = workerData as Settings;
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const run = (): void => {
  try {
    checkpoint.get();
  } catch (error) {
    // Busy or I/O: the next round tries again; the main thread's backstop keeps the WAL bounded.
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};

const timer = setInterval(run, intervalMs);
parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  run();
  db.close();
  parentPort?.close();
});
