/**
 * Streams a snapshot out of the engine into a consumer through a ManifestMeter. Either side
 * may fail first; the other must then stop too (a writer blocked on a full buffer would wait
 * forever), and the first failure is the one reported, not the "premature close" it causes.
 */
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { StreamManifest } from '../core/backup.ts';
import { ManifestMeter, type MeasuredStream } from './manifest.ts';

type Write = (output: Writable) => Promise<void>;
type Read = (input: Readable) => Promise<void>;

/** With the digest (the default): the full manifest. */
export function pumpSnapshot(
  write: Write,
  read: Read,
  options: { readonly tar: boolean; readonly digest?: true },
): Promise<StreamManifest>;
/** Without it: bytes and members only. */
export function pumpSnapshot(
  write: Write,
  read: Read,
  options: { readonly tar: boolean; readonly digest: false },
): Promise<MeasuredStream>;
export async function pumpSnapshot(
  write: Write,
  read: Read,
  options: { readonly tar: boolean; readonly digest?: boolean },
): Promise<MeasuredStream> {
  const meter = new ManifestMeter(options);
  // Destroyed with the first failure, which is reported below: a side that has not piped
  // yet (a helper still being made when a cancel came) must not leave its 'error' unheard,
  // or the process dies of it.
  meter.on('error', () => undefined);
  let first: { error: unknown } | undefined;
  const fail = (error: unknown): never => {
    first ??= { error };
    meter.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  };
  const writing = write(meter)
    .then(() => {
      // The contract says the engine ends the output; a writer that did not is ended here.
      if (!meter.writableEnded) meter.end();
    })
    .catch(fail);
  const reading = read(meter).catch(fail);
  const settled = await Promise.allSettled([writing, reading]);
  if (first !== undefined) throw first.error;
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  // The consumer may resolve as soon as it saw the end; the digest is set by then (flush
  // runs before 'end'), but wait for the meter itself in case it resolved earlier.
  if (!meter.readableEnded) {
    meter.resume();
    await finished(meter);
  }
  return options.digest === false ? meter.measured() : meter.manifest();
}

/** A consumer that only reads: for a drill of a database dump, where the manifest is the check. */
export async function drain(input: Readable): Promise<void> {
  input.resume();
  await finished(input);
}
