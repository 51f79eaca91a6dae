/**
 * Waiting on API objects the way the API concepts describe ("Efficient detection of
 * changes"): list, then watch from the list's resourceVersion with allowWatchBookmarks;
 * BOOKMARK events only move the resourceVersion on; a watch the server ends is opened again
 * from the last resourceVersion seen; 410 Gone (as the HTTP answer or as an ERROR event)
 * means that version is too old, so the objects are listed again. A dropped connection is
 * retried after a short pause, and so is a watch that ends without any event or a 410 that
 * follows another (no tight loop against a proxy that closes at once). The whole wait is
 * bounded by a deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, networkCode } from './api-errors.ts';
import type { ObjectMeta } from './objects.ts';

export interface Listed<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** The object; a Status for ERROR; only metadata.resourceVersion for BOOKMARK. */
  readonly object: T | WatchStatus;
}

export interface WatchStatus {
  readonly kind?: string;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly metadata?: ObjectMeta;
}

/** How objects are listed and watched; the platform gives one over client-node, tests a script. */
export interface WatchSource<T extends { readonly metadata?: ObjectMeta }> {
  list(signal: AbortSignal): Promise<Listed<T>>;
  /**
   * Watches from `resourceVersion` with bookmarks, calling `onEvent` for each event in order.
   * Resolves when the server ends the watch; rejects when the connection fails or the server
   * answers an error (410 included).
   */
  watch(
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

export type WaitResult<R> = { readonly done: true; readonly value: R } | { readonly done: false };

export interface WaitOptions {
  /** The whole wait, list and watches included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Pause before reconnecting after a failed connection; doubled up to 8×. */
  readonly retryDelayMs?: number;
}

class Gone extends Error {}

/** An ERROR event other than 410: 5xx codes are retried like a dropped connection. */
class WatchError extends Error {
  readonly code: number | undefined;
  constructor(code: number | undefined, message: string) {
    super(`watch error ${code ?? '?'}: ${message}`);
    this.code = code;
  }
}

function isGone(error: unknown): boolean {
  return error instanceof Gone || apiStatus(error)?.code === 410;
}

/** Worth another try: the server was not reached, or answered that it is busy or broken. */
function isTransient(error: unknown): boolean {
  if (networkCode(error) !== undefined) return true;
  const code = error instanceof WatchError ? error.code : apiStatus(error)?.code;
  return code === 429 || (code !== undefined && code >= 500);
}

function keyOf(obj: { readonly metadata?: ObjectMeta }): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * Calls `check` with the current objects after the list and after every change, until it
 * returns a value (done) or the deadline passes (not done). A cancel rejects with the
 * signal's reason; an error that is not transient (401, 403, 404…) rejects with it.
 */
export async function waitFor<T extends { readonly metadata?: ObjectMeta }, R>(
  source: WatchSource<T>,
  check: (objects: readonly T[]) => R | undefined,
  options: WaitOptions,
): Promise<WaitResult<R>> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal =
    options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  const baseDelay = options.retryDelayMs ?? 500;
  const objects = new Map<string, T>();
  let resourceVersion: string | undefined;
  let result: { value: R } | undefined;
  let failures = 0;
  // Watches in a row that ended without a single event, and 410s in a row: a proxy that
  // answers 200 and closes at once, or a history compacted faster than it is read, would
  // otherwise be asked again with no pause until the deadline.
  let quiet = 0;
  let gone = 0;
  const pause = (count: number): Promise<void> =>
    sleep(baseDelay * 2 ** Math.min(count - 1, 3), undefined, { signal });

  const evaluate = (): void => {
    const value = check([...objects.values()]);
    if (value !== undefined) result = { value };
  };

  try {
    while (result === undefined) {
      try {
        if (resourceVersion === undefined) {
          const listed = await source.list(signal);
          objects.clear();
          for (const item of listed.items) objects.set(keyOf(item), item);
          resourceVersion = listed.resourceVersion;
          failures = 0;
          evaluate();
          if (result !== undefined) break;
        }
        const watching = new AbortController();
        const watchSignal = AbortSignal.any([signal, watching.signal]);
        // Set by an ERROR event: the watch is ended from here, and the error handled below.
        let stopped: Error | undefined;
        let events = 0;
        await source
          .watch(
            resourceVersion,
            (event) => {
              if (result !== undefined || stopped !== undefined) return;
              if (event.type !== 'ERROR') events += 1;
              if (event.type === 'ERROR') {
                const status = event.object as WatchStatus;
                const text = status.message ?? status.reason ?? '';
                stopped = status.code === 410 ? new Gone(text) : new WatchError(status.code, text);
                watching.abort(stopped);
                return;
              }
              const meta = event.object.metadata;
              if (meta?.resourceVersion !== undefined) resourceVersion = meta.resourceVersion;
              if (event.type === 'BOOKMARK') return;
              const obj = event.object as T;
              if (event.type === 'DELETED') objects.delete(keyOf(obj));
              else objects.set(keyOf(obj), obj);
              evaluate();
              if (result !== undefined) watching.abort(new Error('satisfied'));
            },
            watchSignal,
          )
          .catch((error: unknown) => {
            // Ending our own watch (satisfied, or on an ERROR event) is not a failure of it.
            if (watching.signal.aborted && !signal.aborted) return;
            throw error;
          });
        if (events > 0) gone = 0;
        if (stopped !== undefined) throw stopped;
        failures = 0;
        if (events > 0) quiet = 0;
        else if (result === undefined) {
          quiet += 1;
          await pause(quiet);
        }
      } catch (error) {
        if (signal.aborted) throw error;
        if (isGone(error)) {
          resourceVersion = undefined;
          gone += 1;
          // The first 410 is the normal way back to a fresh list; more in a row wait.
          if (gone > 1) await pause(gone - 1);
          continue;
        }
        if (!isTransient(error)) throw error;
        failures += 1;
        await sleep(baseDelay * 2 ** Math.min(failures - 1, 3), undefined, { signal });
      }
    }
  } catch (error) {
    // The deadline is an answer ("not yet"), a cancel or any other failure is not.
    if (deadline.aborted && options.signal?.aborted !== true) return { done: false };
    throw error;
  }
  return { done: true, value: result.value };
}
