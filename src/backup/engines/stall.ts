/**
 * How long a backup may get no further before its engine is stopped as waiting on a
 * repository that stopped answering (spawn.ts `StallWatch`), and what counts as getting
 * further for each engine.
 *
 * The default leaves room for what an engine does without a word: restic 0.14 prints nothing
 * while it opens a remote repository and loads its index, borg nothing while it commits.
 */
export const defaultStallSeconds = 300;
/** A stalled engine waits on a dead peer: SIGINT does not end it (measured), SIGKILL does. */
export const stallKillGraceMs = 5000;

/**
 * restic's status line repeats at its frame rate with the same figures while it waits, only
 * `seconds_elapsed` and `seconds_remaining` growing: progress is a change of the figures, the
 * summary, or a line on stderr other than its backend retries ("Save(<data/…>) returned
 * error, retrying after …", "List(lock) returned error, retrying …").
 */
export function resticProgressWatch(): (line: string, stream: 'stdout' | 'stderr') => boolean {
  let last = '';
  return (line, stream) => {
    if (stream === 'stderr') return !/returned error, retrying/i.test(line);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    if (typeof value !== 'object' || value === null) return false;
    const v = value as Record<string, unknown>;
    if (v['message_type'] !== 'status') return v['message_type'] === 'summary';
    const figures = JSON.stringify([
      v['files_done'],
      v['bytes_done'],
      v['total_files'],
      v['total_bytes'],
      v['error_count'],
    ]);
    if (figures === last) return false;
    last = figures;
    return true;
  };
}

/** borg prints a line only when it got further (a file or a chunk, a log message). */
export function borgProgressWatch(): (line: string, stream: 'stdout' | 'stderr') => boolean {
  return () => true;
}
