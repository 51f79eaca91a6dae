/**
 * The byte plumbing of a streamed container or exec session. The engine sends stdout and
 * stderr multiplexed in frames when there is no TTY (a TTY would corrupt binary data); the
 * demuxer here is a Transform in a pipeline, so a slow consumer slows the container down
 * instead of filling memory (`modem.demuxStream` ignores backpressure: 540 MB of memory for a
 * 200 MB stream, docs/FIELD-NOTES.md "Docker").
 */
import { Duplex, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { UserError } from '../../core/errors.ts';
import { engineStatus, toDockerError, type DockerConnection } from './client.ts';
import { FrameDemuxer, TailBuffer } from './log-stream.ts';

/** Bytes of stderr kept from a helper or exec: the newest, where the error is. */
export const stderrTailBytes = 64 * 1024;

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Passes stdout frames on, keeps the tail of stderr. */
export class StdoutDemuxer extends Transform {
  readonly #demuxer = new FrameDemuxer();
  readonly stderr = new TailBuffer(stderrTailBytes);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.#demuxer.push(chunk)) {
      if (frame.stream === 'stdout') this.push(frame.data);
      else if (frame.stream === 'stderr') this.stderr.push(frame.data);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A frame cut in the middle: the connection broke, the output is incomplete.
    callback(
      this.#demuxer.pending > 0 ? new Error('the engine closed the stream mid-frame') : null,
    );
  }
}

/** After a success, what the process left unread; after a failure, stop the writer. */
export async function settleInput(input: Readable | undefined, success: boolean): Promise<void> {
  if (input === undefined || input.destroyed || input.readableEnded) return;
  if (!success) {
    input.destroy();
    return;
  }
  await finished(input.resume()).catch(() => undefined);
}

/**
 * The writing half of a hijacked connection as a Writable of its own: when feeding it fails
 * (the input broke, or the process quit reading), only this wrapper is destroyed — the
 * socket stays open so that the process's last stderr lines and its exit still arrive.
 * Ending it half-closes the socket, which the engine passes on as EOF on stdin.
 */
export function socketWriter(socket: Duplex): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // The callback fires once the chunk is handed to the kernel, or with the error.
      socket.write(chunk, (error) => callback(error ?? null));
    },
    final(callback) {
      socket.end();
      callback();
    },
  });
}

/**
 * Opens a hijacked connection (attach or exec start). The time limit covers only the
 * opening: the stream itself may run for hours, so the request gets a signal of its own
 * that is never fired once the connection is upgraded.
 */
export async function openHijacked(
  connection: DockerConnection,
  open: (abortSignal: AbortSignal) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<Duplex> {
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, connection.timeoutMs);
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = await open(controller.signal);
    if (!(stream instanceof Duplex)) throw new Error('the engine did not upgrade the connection');
    return stream;
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (timedOut) {
      throw new UserError(
        'docker-unreachable',
        { socket: connection.host, reason: `no answer in ${connection.timeoutMs / 1000} s` },
        { cause: error },
      );
    }
    throw toDockerError(withEngineMessage(error), connection.host);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * In stream mode docker-modem puts the engine's message only into the error text
 * (`(HTTP code 409) … - <message> `); put it where client.ts looks for it.
 */
function withEngineMessage(error: unknown): unknown {
  if (!(error instanceof Error) || engineStatus(error) === undefined) return error;
  if ('json' in error && error.json !== null && error.json !== undefined) return error;
  const message = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(error.message)?.[1]?.trim() ?? '';
  return message === '' ? error : Object.assign(error, { json: { message } });
}
