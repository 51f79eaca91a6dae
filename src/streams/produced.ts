/**
 * A stream fed by a program (tar in a helper container, pg_dump in an exec or on the host),
 * and whether that program succeeded: its exit code decides, not the end of the stream.
 */
import type { PassThrough, Readable } from 'node:stream';
import { UserError } from '../core/errors.ts';

/** The last words a program wrote on stderr, short enough for one line of an error. */
export function lastLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.slice(-3).join(' — ').slice(-300) || 'no message';
}

export function producedStream(
  stream: PassThrough,
  finished: Promise<{ readonly exitCode: number | null; readonly stderr: string }>,
  source: string,
): { readonly stream: Readable; readonly done: Promise<void> } {
  const done = finished.then(
    (outcome) => {
      if (outcome.exitCode !== 0) {
        throw new UserError('backup-producer-failed', {
          source,
          code: outcome.exitCode ?? 'signal',
          reason: lastLines(outcome.stderr),
        });
      }
    },
    (error: unknown) => {
      // The consumer must not wait for an end that never comes; it sees a premature close,
      // the reason is `done`'s (an error event nobody listens to would crash the process).
      stream.destroy();
      throw error;
    },
  );
  // Observed by the caller through `done`; never an unhandled rejection in between.
  done.catch(() => undefined);
  return { stream, done };
}
