/**
 * Whether the state database may have changed since a figure was read from it, asked in two
 * cheap statements instead of running the figure's query again. `PRAGMA data_version` moves
 * when another connection (a terminal `pes`, a second connection of this process) commits;
 * `total_changes()` moves when this connection inserts, updates or deletes a row, triggers
 * included (https://www.sqlite.org/pragma.html#pragma_data_version,
 * https://www.sqlite.org/lang_corefunc.html#total_changes). A write that was rolled back
 * still moves the stamp: the figure is read again for nothing, never left stale.
 */
import type { DatabaseSync } from 'node:sqlite';

export type ChangeStamp = () => string;

export function changeStamp(db: DatabaseSync): ChangeStamp {
  const version = db.prepare('PRAGMA data_version');
  const changes = db.prepare('SELECT total_changes() AS n');
  return () => {
    const v = (version.get() as { data_version: number }).data_version;
    const n = (changes.get() as { n: number }).n;
    return `${v}:${n}`;
  };
}
