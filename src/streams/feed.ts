/**
 * Feeding a stream into a process's stdin (a spawned engine, or a container's attached
 * stdin), with the one difference from `pipeline` that both need.
 */
import type { Readable, Writable } from 'node:stream';

/** How feeding a stream stopped, when it did not simply end. */
export interface FeedOutcome {
  /** The input failed; the target was closed. */
  readonly inputError?: Error;
  /** The target went away (EPIPE: the program stopped reading); the input is untouched. */
  readonly targetError?: Error;
}

/**
 * Pipes `input` into `target` with backpressure. Unlike `pipeline`, a target that goes away
 * leaves the input as it is, so that a consumer that finished early (pg_restore, or tar
 * before the archive's zero padding) can still succeed and the rest be drained. An input
 * that fails closes the target: the program must not take a cut stream for the whole.
 */
export function feed(input: Readable, target: Writable): Promise<FeedOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: FeedOutcome): void => {
      if (settled) return;
      settled = true;
      input.off('error', onInputError).off('close', onInputClose);
      target.off('error', onTargetError).off('close', onTargetClose).off('finish', onFinish);
      input.unpipe(target);
      resolve(outcome);
    };
    const onInputError = (error: Error): void => {
      target.destroy();
      done({ inputError: error });
    };
    // Destroyed without an error (a cancel) is still a cut stream.
    const onInputClose = (): void => {
      if (!input.readableEnded) onInputError(new Error('the input stream was closed early'));
    };
    const onTargetError = (error: Error): void => done({ targetError: error });
    const onTargetClose = (): void => done({ targetError: new Error('closed before the end') });
    const onFinish = (): void => done({});
    input.once('error', onInputError).once('close', onInputClose);
    target.once('error', onTargetError).once('close', onTargetClose).once('finish', onFinish);
    input.pipe(target);
  });
}
