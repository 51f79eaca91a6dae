/**
 * Delivers the outbox to the homeserver: each room in order, one request at a time. A 429
 * (`M_LIMIT_EXCEEDED`) pauses everything for its Retry-After / `retry_after_ms`; 5xx and
 * network errors are retried with backoff; any other 4xx fails the item and is logged. Every
 * attempt of an item uses its stored transaction id, so a send whose answer was lost is not
 * posted a second time (spec: Transaction identifiers).
 */
import type { Logger } from '../../core/logger.ts';
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import { classify, type MatrixSender } from './client.ts';
import { fileContent } from './render.ts';
import { roomPrefix, type Content, type MatrixOutboxPayload } from './types.ts';

export interface DispatchOptions {
  readonly store: OutboxStore;
  readonly sender: MatrixSender;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** An item still undelivered after this long is given up (and logged). */
  readonly maxAgeMs?: number;
}

/** The event of an edit (spec: Event replacements): a fallback body and `m.new_content`. */
export function editContent(eventId: string, content: Content): Content {
  const fallback = (value: unknown): unknown => (typeof value === 'string' ? `* ${value}` : value);
  return {
    ...content,
    body: fallback(content['body']),
    ...(content['formatted_body'] === undefined
      ? {}
      : { formatted_body: fallback(content['formatted_body']) }),
    'm.new_content': content,
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
    // Nobody is newly mentioned by an edit of the bot's message.
    'm.mentions': {},
  };
}

export class MatrixOutboxDispatcher {
  readonly #o: Required<Omit<DispatchOptions, 'store' | 'sender' | 'log'>> & DispatchOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #pausedUntil = 0;

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

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => {
      this.#o.log.error('matrix outbox dispatcher stopped', { error });
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
  }

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
      log.error('matrix outbox item given up', { key: item.key, room: item.room });
      return;
    }
    try {
      const eventId = await this.#send(item);
      if (eventId !== undefined) store.markSent(item.id, eventId);
    } catch (error) {
      this.#failed(item, error);
    }
  }

  /** The event id the row stands for (an edit: the edited event), or undefined if settled. */
  async #send(item: OutboxItem): Promise<string | undefined> {
    const { store, sender } = this.#o;
    let payload = JSON.parse(item.payload) as MatrixOutboxPayload;
    if (item.kind === 'patch') {
      const target = item.targetKey === undefined ? undefined : store.byKey(item.targetKey);
      if (target?.remoteId === undefined) {
        store.fail(item.id, `the message it edits (${item.targetKey ?? '?'}) was never sent`);
        return undefined;
      }
      // Only the newest edit of a message matters; older ones still queued are skipped.
      if (store.hasLaterPatch(item)) {
        store.supersede(item.id);
        return undefined;
      }
      store.markSending(item.id);
      const content = editContent(target.remoteId, payload.content);
      await sender.send(payload.room_id, payload.type, payload.txn_id, content);
      return target.remoteId;
    }
    if (payload.type === 'm.reaction') {
      const key = payload.annotates_key;
      const target = key === undefined ? undefined : store.byKey(key);
      const emoji = payload.reaction;
      if (target?.remoteId === undefined || emoji === undefined) {
        store.fail(item.id, `the message it annotates (${key ?? '?'}) was never sent`);
        return undefined;
      }
      store.markSending(item.id);
      const content = {
        'm.relates_to': { rel_type: 'm.annotation', event_id: target.remoteId, key: emoji },
      };
      return sender.send(payload.room_id, 'm.reaction', payload.txn_id, content);
    }
    if (payload.upload !== undefined) {
      // Uploaded once; the stored row then carries the mxc URI, so a retry does not upload again.
      const ref = await sender.upload(payload.room_id, payload.upload);
      const { upload, ...rest } = payload;
      payload = { ...rest, content: fileContent(upload, ref) };
      store.updatePayload(item.id, JSON.stringify(payload));
    }
    store.markSending(item.id);
    const content = { ...payload.content, ...this.#relatesTo(payload) };
    return sender.send(payload.room_id, payload.type, payload.txn_id, content);
  }

  /** `m.relates_to` for a reply, in a thread when there is one (spec: Threading, Rich replies). */
  #relatesTo(payload: MatrixOutboxPayload): Content {
    const r = payload.relation;
    if (r === undefined) return {};
    const root =
      r.threadRoot ??
      (r.threadRootKey === undefined ? undefined : this.#o.store.byKey(r.threadRootKey)?.remoteId);
    if (root !== undefined) {
      return {
        'm.relates_to': {
          rel_type: 'm.thread',
          event_id: root,
          is_falling_back: r.replyTo === undefined,
          'm.in_reply_to': { event_id: r.replyTo ?? root },
        },
      };
    }
    if (r.replyTo !== undefined)
      return { 'm.relates_to': { 'm.in_reply_to': { event_id: r.replyTo } } };
    return {};
  }

  #backoff(attempts: number): number {
    const exp = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    return exp / 2 + this.#o.random() * (exp / 2);
  }

  #failed(item: OutboxItem, error: unknown): void {
    const { store, log } = this.#o;
    const now = this.#o.now().getTime();
    const attempts = item.attempts + 1;
    const failure = classify(error);
    const message = error instanceof Error ? error.message : String(error);
    if (failure.kind === 'rate-limited') {
      const wait = failure.retryAfterMs ?? this.#backoff(attempts);
      this.#pausedUntil = now + wait;
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
      store.retryAt(item.id, new Date(now + this.#backoff(attempts)), message, true);
      log.warn('matrix send failed; will retry', { key: item.key, attempts, error: message });
    }
  }
}
