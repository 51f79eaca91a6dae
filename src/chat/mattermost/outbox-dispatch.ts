/**
 * Delivers the outbox to Mattermost: each channel in order, one request at a time.
 * 429 pauses everything for Retry-After (or X-RateLimit-Reset); 5xx and network errors are
 * retried with exponential backoff and jitter; any other 4xx fails the item and is logged.
 * A post whose send may have gone through (crash, timeout, 5xx) is first looked for by its
 * key among the channel's recent posts, so it is never posted twice.
 */
import type { Logger } from '../../core/logger.ts';
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import { MattermostHttpError, MattermostNetworkError, type RateLimit } from './client.ts';
import { keyProp, roomPrefix } from './outbox-writer.ts';
import type { OutboxPayload } from './types.ts';

interface SentPost {
  readonly id: string;
}

interface ReadPost {
  readonly id: string;
  readonly user_id: string;
  readonly props?: Readonly<Record<string, unknown>> | null;
}

/** The calls the dispatcher makes; MattermostClient has them all. */
export interface MattermostPoster {
  createPost(
    post: Record<string, unknown> & { channel_id: string; message: string },
  ): Promise<SentPost>;
  patchPost(patch: Record<string, unknown> & { id: string }): Promise<SentPost>;
  createPostEphemeral(
    userId: string,
    post: Record<string, unknown> & { channel_id: string; message: string },
  ): Promise<SentPost>;
  uploadFile(form: FormData): Promise<{ readonly file_infos: readonly { readonly id: string }[] }>;
  getPostsSince(
    channelId: string,
    since: number,
  ): Promise<{ readonly posts: Readonly<Record<string, ReadPost>> }>;
  readonly rateLimit: RateLimit;
}

export interface DispatchOptions {
  readonly store: OutboxStore;
  readonly poster: MattermostPoster;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** An item still undelivered after this long is given up (and logged). */
  readonly maxAgeMs?: number;
}

/** How far back to look for a post of unknown outcome: covers clock skew with the server. */
const lookBackMs = 10 * 60 * 1000;

export class OutboxDispatcher {
  readonly #o: Required<Omit<DispatchOptions, 'store' | 'poster' | 'log'>> & DispatchOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #pausedUntil = 0;
  #botId: string | undefined;

  constructor(options: DispatchOptions) {
    this.#o = {
      now: () => new Date(),
      random: Math.random,
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60 * 1000,
      maxAgeMs: 24 * 60 * 60 * 1000,
      ...options,
    };
  }

  /** The bot's user id, so that only its own posts count when looking for a key. */
  set botId(id: string) {
    this.#botId = id;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => {
      this.#o.log.error('outbox dispatcher stopped', { error });
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
  }

  /** Something was enqueued: look now rather than at the next timer. */
  kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const now = this.#o.now();
      const wait = this.#pausedUntil - now.getTime();
      const items = wait > 0 ? [] : this.#o.store.due(roomPrefix, now, 20);
      if (items.length === 0) {
        const next = this.#o.store.nextDue(roomPrefix);
        const until = Math.max(this.#pausedUntil, next?.getTime() ?? now.getTime() + 60_000);
        await this.#sleep(Math.max(5, Math.min(60_000, until - now.getTime())));
        continue;
      }
      for (const item of items) {
        if (!this.#running || this.#pausedUntil > this.#o.now().getTime()) break;
        await this.#deliver(item);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #deliver(item: OutboxItem): Promise<void> {
    const { store, log } = this.#o;
    if (this.#o.now().getTime() - item.createdAt.getTime() > this.#o.maxAgeMs) {
      store.fail(item.id, `given up after ${item.attempts} attempts: ${item.lastError ?? ''}`);
      log.error('outbox item given up', {
        key: item.key,
        room: item.room,
        attempts: item.attempts,
      });
      return;
    }
    try {
      const remoteId = await this.#send(item);
      if (remoteId !== undefined) store.markSent(item.id, remoteId);
      this.#respectRateLimit();
    } catch (error) {
      this.#failed(item, error);
    }
  }

  /** The remote post id, or undefined when the item was settled otherwise. */
  async #send(item: OutboxItem): Promise<string | undefined> {
    const { store, poster } = this.#o;
    const payload = JSON.parse(item.payload) as OutboxPayload;
    if (item.kind === 'patch') {
      const target = item.targetKey === undefined ? undefined : store.byKey(item.targetKey);
      if (target?.remoteId === undefined) {
        store.fail(item.id, `the post it edits (${item.targetKey ?? '?'}) was never sent`);
        return undefined;
      }
      // Only the newest edit of a post matters; older ones still queued are skipped.
      if (store.hasLaterPatch(item)) {
        store.supersede(item.id);
        return undefined;
      }
      store.markSending(item.id);
      const fileIds = await this.#upload(item, payload);
      const { message, props } = payload;
      await poster.patchPost({ id: target.remoteId, message, props, ...fileIds });
      return target.remoteId;
    }
    if (item.uncertain) {
      let found: string | undefined;
      try {
        found = await this.#find(item, payload.channel_id);
      } catch (error) {
        // Still unknown whether the earlier attempt went through: look again next time.
        const message = error instanceof Error ? error.message : String(error);
        const limited = error instanceof MattermostHttpError && error.status === 429;
        const wait = (limited ? error.retryAfterMs : undefined) ?? this.#backoff(item.attempts);
        const when = new Date(this.#o.now().getTime() + wait);
        if (limited) this.#pausedUntil = when.getTime();
        store.retryAt(item.id, when, message, true);
        return undefined;
      }
      if (found !== undefined) return found;
    }
    store.markSending(item.id);
    const { channel_id, message, props } = payload;
    // A reply to a post of this outbox (alert threads): the root is earlier in the same
    // room's queue, so it is settled by now; a root that failed leaves the reply in the channel.
    const root_id =
      payload.root_id ??
      (payload.root_key === undefined ? undefined : store.byKey(payload.root_key)?.remoteId);
    const post = { channel_id, message, props, ...(root_id === undefined ? {} : { root_id }) };
    if (item.kind === 'ephemeral' && payload.user_id !== undefined) {
      try {
        return (await poster.createPostEphemeral(payload.user_id, post)).id;
      } catch (error) {
        // Ephemeral posts need the create_post_ephemeral permission; without it the answer is
        // posted normally rather than lost.
        if (!(error instanceof MattermostHttpError && error.status === 403)) throw error;
        this.#o.log.warn('ephemeral post refused; posting normally', { key: item.key });
      }
    }
    const fileIds = await this.#upload(item, payload);
    return (await poster.createPost({ ...post, ...fileIds })).id;
  }

  async #upload(item: OutboxItem, payload: OutboxPayload): Promise<{ file_ids?: string[] }> {
    if (payload.file_ids !== undefined) return { file_ids: [...payload.file_ids] };
    if (payload.files === undefined || payload.files.length === 0) return {};
    const form = new FormData();
    form.append('channel_id', payload.channel_id);
    for (const file of payload.files) {
      form.append('files', new Blob([file.content], { type: 'text/plain' }), file.name);
    }
    const uploaded = await this.#o.poster.uploadFile(form);
    const ids = uploaded.file_infos.map((f) => f.id);
    // Kept, so that a retry of the post does not upload the files again.
    const stored: OutboxPayload = { ...payload, files: undefined, file_ids: ids };
    this.#o.store.updatePayload(item.id, JSON.stringify(stored));
    return { file_ids: ids };
  }

  async #find(item: OutboxItem, channelId: string): Promise<string | undefined> {
    const since = item.createdAt.getTime() - lookBackMs;
    const { posts } = await this.#o.poster.getPostsSince(channelId, since);
    const mine = Object.values(posts).find(
      (p) =>
        p.props?.[keyProp] === item.key && (this.#botId === undefined || p.user_id === this.#botId),
    );
    if (mine !== undefined) this.#o.log.info('outbox post found already sent', { key: item.key });
    return mine?.id;
  }

  /** Drops the thread root of a post; false when it had none. */
  #unthread(item: OutboxItem): boolean {
    const payload = JSON.parse(item.payload) as OutboxPayload;
    if (item.kind === 'patch' || payload.root_id === undefined) return false;
    this.#o.store.updatePayload(item.id, JSON.stringify({ ...payload, root_id: undefined }));
    return true;
  }

  #respectRateLimit(): void {
    const { remaining, resetAt } = this.#o.poster.rateLimit;
    if (remaining === 0 && resetAt !== undefined) this.#pausedUntil = resetAt.getTime();
  }

  #backoff(attempts: number): number {
    const exp = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    // Equal jitter: never less than half the delay, so retries still spread out.
    return exp / 2 + this.#o.random() * (exp / 2);
  }

  #failed(item: OutboxItem, error: unknown): void {
    const { store, log } = this.#o;
    const now = this.#o.now().getTime();
    const attempts = item.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof MattermostHttpError && error.status === 429) {
      const wait = error.retryAfterMs ?? this.#backoff(attempts);
      this.#pausedUntil = now + wait;
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
      store.retryAt(item.id, new Date(now + this.#backoff(attempts)), message, uncertain);
      log.warn('outbox send failed; will retry', { key: item.key, attempts, error: message });
    } else {
      store.fail(item.id, message);
      log.error('outbox item failed', { key: item.key, error });
    }
  }
}
