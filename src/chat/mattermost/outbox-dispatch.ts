/**
 * Delivers the outbox to Mattermost: each channel in order, one request at a time (the loop
 * is src/chat/outbox-loop.ts, the sending outbox-send.ts). This file decides what a failure
 * means: 429 pauses everything for Retry-After (or X-RateLimit-Reset); 5xx and network
 * errors are retried with exponential backoff and jitter; a refused thread root posts in the
 * channel instead; any other 4xx fails the item and is logged.
 */
import type { OutboxItem } from '../../core/outbox.ts';
import { OutboxLoop, type LoopOptions } from '../outbox-loop.ts';
import { MattermostHttpError, MattermostNetworkError } from './client.ts';
import { sendItem, type MattermostPoster } from './outbox-send.ts';
import { roomPrefix } from './outbox-writer.ts';
import type { OutboxPayload } from './types.ts';

export type { MattermostPoster } from './outbox-send.ts';

export interface DispatchOptions extends Omit<LoopOptions, 'roomPrefix'> {
  readonly poster: MattermostPoster;
}

/**
 * After a refused ephemeral post, ephemeral posts are sent as normal posts for this long
 * without asking again: each refusal would cost a request, and the rate limiter counts every
 * request. An admin who grants the permission sees it used again after this time.
 */
const ephemeralRefusalMemoryMs = 10 * 60 * 1000;

export class OutboxDispatcher {
  readonly #o: DispatchOptions;
  readonly #loop: OutboxLoop;
  #botId: string | undefined;
  #ephemeralRefusedAt: number | undefined;

  constructor(options: DispatchOptions) {
    this.#o = options;
    this.#loop = new OutboxLoop({ ...options, roomPrefix }, (item) => this.#deliver(item));
  }

  /** The bot's user id, so that only its own posts count when looking for a key. */
  set botId(id: string) {
    this.#botId = id;
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
    const { store, poster, log } = this.#o;
    try {
      const remoteId = await sendItem(item, {
        store,
        poster,
        log,
        loop: this.#loop,
        botId: this.#botId,
        ephemeralAllowed: () =>
          this.#ephemeralRefusedAt === undefined ||
          this.#loop.now().getTime() - this.#ephemeralRefusedAt >= ephemeralRefusalMemoryMs,
        ephemeralRefused: () => {
          this.#ephemeralRefusedAt = this.#loop.now().getTime();
        },
      });
      if (remoteId !== undefined) store.markSent(item.id, remoteId);
      const { remaining, resetAt } = poster.rateLimit;
      if (remaining === 0 && resetAt !== undefined) this.#loop.pauseUntil(resetAt);
    } catch (error) {
      this.#failed(item, error);
    }
  }

  /** Drops the thread root of a post; false when it had none. */
  #unthread(item: OutboxItem): boolean {
    const payload = JSON.parse(item.payload) as OutboxPayload;
    if (item.kind === 'patch' || payload.root_id === undefined) return false;
    this.#o.store.updatePayload(item.id, JSON.stringify({ ...payload, root_id: undefined }));
    return true;
  }

  #failed(item: OutboxItem, error: unknown): void {
    const { store, log } = this.#o;
    const now = this.#loop.now().getTime();
    const attempts = item.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof MattermostHttpError && error.status === 429) {
      const wait = error.retryAfterMs ?? this.#loop.backoff(attempts);
      this.#loop.pauseUntil(new Date(now + wait));
      store.retryAt(item.id, new Date(now + wait), message, false);
      log.warn('mattermost rate limit; pausing', { waitMs: wait });
    } else if (
      error instanceof MattermostHttpError &&
      error.status === 400 &&
      this.#unthread(item)
    ) {
      // A thread root Mattermost refuses (e.g. a reply's id, which is no root): the answer
      // goes to the channel rather than nowhere.
      store.retryAt(item.id, new Date(now), message, false);
      log.warn('thread root refused; posting in the channel', { key: item.key });
    } else if (error instanceof MattermostHttpError && error.status < 500) {
      store.fail(item.id, message);
      log.error('mattermost refused an outbox item', {
        key: item.key,
        status: error.status,
        error: message,
      });
    } else if (error instanceof MattermostHttpError || error instanceof MattermostNetworkError) {
      const uncertain = error instanceof MattermostNetworkError ? error.maybeDelivered : true;
      store.retryAt(item.id, new Date(now + this.#loop.backoff(attempts)), message, uncertain);
      log.warn('outbox send failed; will retry', { key: item.key, attempts, error: message });
    } else {
      store.fail(item.id, message);
      log.error('outbox item failed', { key: item.key, error });
    }
  }
}
