import type { Readable } from 'node:stream';

/**
 * Watches the program that feeds an engine (tar, pg_dump). When it fails, the engine's stdin
 * is ended at once so that the engine finishes (docs/FIELD-NOTES.md "restic": it still saves a
 * snapshot, which the caller then removes). Never an unhandled rejection: the failure is a
 * value.
 */
export function watchProducer(
  producer: Promise<void>,
  input: Readable,
): Promise<{ readonly error: unknown } | undefined> {
  return producer.then(
    () => undefined,
    (error: unknown) => {
      input.destroy();
      return { error };
    },
  );
}
