/**
 * An engine's listing of a snapshot read line by line (restic `ls --json`, borg `list
 * --format`): the entries in the engine's order, and the lines that could not be read. A
 * listing with holes would show files as missing, or a drill's figures as wrong, and hide why:
 * the engine's `listTree` fails instead (`unreadableListing`).
 */
import { UserError } from '../../core/errors.ts';
import { codeName } from '../printable-name.ts';
import type { TreeEntry } from '../types.ts';

export interface EngineListing {
  add(line: string): void;
  readonly entries: TreeEntry[];
  /** Non-empty lines that cannot be read: the engine's output changed, the listing is not whole. */
  readonly rejected: number;
  /** The first of them, to show what the engine wrote instead. */
  readonly firstRejected: string | undefined;
}

/**
 * Collects a listing: `read` takes one non-empty line, gives its entry (if any) to `push`, and
 * says whether the line was of the format.
 */
export function engineListing(
  read: (line: string, push: (entry: TreeEntry) => void) => boolean,
): EngineListing {
  const entries: TreeEntry[] = [];
  const push = (entry: TreeEntry): void => {
    entries.push(entry);
  };
  let rejected = 0;
  let firstRejected: string | undefined;
  return {
    add(line) {
      if (line.trim() === '' || read(line, push)) return;
      rejected += 1;
      firstRejected ??= line;
    },
    entries,
    get rejected() {
      return rejected;
    },
    get firstRejected() {
      return firstRejected;
    },
  };
}

/**
 * The failure of a listing that had unreadable lines, the first shown as one short line of
 * code (a file's name in it as the volume has it). `shown` takes secrets out of it first.
 */
export function unreadableListing(
  listing: EngineListing,
  context: {
    readonly engine: 'restic' | 'borg';
    readonly operation: string;
    readonly code: number | string;
  },
  shown: (line: string) => string = (line) => line,
): UserError {
  const count = listing.rejected;
  const first = codeName(shown(listing.firstRejected ?? ''), 120);
  return new UserError('backup-engine-failed', {
    ...context,
    reason: `${count} ${count === 1 ? 'line' : 'lines'} of the listing could not be read, the first: ${first}`,
  });
}
