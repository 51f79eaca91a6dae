/**
 * The body of the checkpoint thread (see checkpointer.ts): its own connection to the state
 * database, copying the WAL back into the database file when the bot is idle.
 *
 * A checkpoint fsyncs the WAL and the database file, and on this machine's ext4 a write to
 * the WAL's last page waits while that page is being written back (measured with strace:
 * fsync up to 130 ms, a WAL pwrite held up to 64 ms meanwhile). So checkpoints wait for a
 * quiet moment (nothing committed since the last look), or at the latest `maxDelayMs` after
 * the first commit they have not copied. PASSIVE never waits for, nor blocks, other
 * connections.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

interface Settings {
  readonly path: string;
  readonly tickMs: number;
  readonly maxDelayMs: number;
}

const { path, tickMs, maxDelayMs } = workerData as Settings;
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// Changes whenever another connection commits (https://sqlite.org/pragma.html#pragma_data_version).
const dataVersion = db.prepare('PRAGMA data_version');

const version = (): number => (dataVersion.get() as { data_version: number }).data_version;

let seen = version();
// Unknown at start: commits may have come before this thread did.
let copied: number | undefined;
let pendingSince: number | undefined;

const run = (): void => {
  try {
    checkpoint.get();
  } catch (error) {
    // Busy or I/O: the next round tries again; the main thread's backstop keeps the WAL bounded.
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};

const tick = (): void => {
  const now = Date.now();
  const current = version();
  const quiet = current === seen;
  seen = current;
  if (current === copied) return;
  pendingSince ??= now;
  if (quiet || now - pendingSince >= maxDelayMs) {
    run();
    copied = current;
    pendingSince = undefined;
  }
};

const timer = setInterval(tick, tickMs);
parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  run();
  db.close();
  parentPort?.close();
});
