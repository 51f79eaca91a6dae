/**
 * Delivers the outbox to the homeserver: each room in order, one request at a time (the loop
 * is src/chat/outbox-loop.ts, the sending outbox-send.ts). This file decides what a failure
 * means: a 429 (`M_LIMIT_EXCEEDED`) pauses everything for its Retry-After /
 * `retry_after_ms`; 5xx and network errors are retried with backoff, under the same
 * transaction id; any other 4xx fails the item and is logged.
 */
import type { OutboxItem } from '../../core/outbox.ts';
import { OutboxLoop, type LoopOptions } from '../outbox-loop.ts';
import { classify, type MatrixSender } from './client.ts';
import { sendItem } from './outbox-send.ts';
import { roomPrefix } from './types.ts';

export interface DispatchOptions extends Omit<LoopOptions, 'roomPrefix'> {
  readonly sender: MatrixSender;
}

export class MatrixOutboxDispatcher {
  readonly #o: DispatchOptions;
  readonly #loop: OutboxLoop;

  constructor(options: DispatchOptions) {
    this.#o = options;
    this.#loop = new OutboxLoop({ ...options, roomPrefix }, (item) => this.#deliver(item));
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Something was enqueued: look now rather than at the next timer. */
  kick(): void {
    this.#loop.kick();
  }

  async #deliver(item: OutboxItem): Promise<void> {
    const { store, sender } = this.#o;
    try {
      const eventId = await sendItem(item, { store, sender });
      if (eventId !== undefined) store.markSent(item.id, eventId);
    } catch (error) {
      this.#failed(item, error);
    }
  }

  #failed(item: OutboxItem, error: unknown): void {
    const { store, log } = this.#o;
    const now = this.#loop.now().getTime();
    const attempts = item.attempts + 1;
    const failure = classify(error);
    const message = error instanceof Error ? error.message : String(error);
    if (failure.kind === 'rate-limited') {
      const wait = failure.retryAfterMs ?? this.#loop.backoff(attempts);
      this.#loop.pauseUntil(new Date(now + wait));
      store.retryAt(item.id, new Date(now + wait), message, false);
      log.warn('matrix rate limit; pausing', { waitMs: wait });
    } else if (failure.kind === 'refused') {
      store.fail(item.id, message);
      log.error('the homeserver refused an outbox item', {
        key: item.key,
        status: failure.status,
        error: message,
      });
    } else {
      // Retried under the same transaction id, so a send that did arrive is not doubled.
      store.retryAt(item.id, new Date(now + this.#loop.backoff(attempts)), message, true);
      log.warn('matrix send failed; will retry', { key: item.key, attempts, error: message });
    }
  }
}
