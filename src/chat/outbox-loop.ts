/**
 * The delivery loop every messenger's outbox shares: it takes the due items of its rooms
 * (each room in order, see OutboxStore.due), hands them one at a time to the messenger's
 * `deliver`, sleeps until the next item is due or something is enqueued (`kick`), and stops
 * sending altogether while the messenger asks for a pause (a rate limit). What counts as
 * sent, retried or failed is the messenger's business; the loop only gives up on an item
 * that is still undelivered after `maxAgeMs`.
 */
import type { Logger } from '../core/logger.ts';
import type { OutboxItem, OutboxStore } from '../core/outbox.ts';

export interface LoopOptions {
  readonly store: OutboxStore;
  /** The rooms this loop serves: `mattermost:`, `matrix:`. */
  readonly roomPrefix: string;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** An item still undelivered after this long is given up (and logged). */
  readonly maxAgeMs?: number;
}

type Settings = Required<Omit<LoopOptions, 'store' | 'roomPrefix' | 'log'>>;

export class OutboxLoop {
  readonly #o: LoopOptions & Settings;
  readonly #deliver: (item: OutboxItem) => Promise<void>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #pausedUntil = 0;

  constructor(options: LoopOptions, deliver: (item: OutboxItem) => Promise<void>) {
    this.#o = {
      now: () => new Date(),
      random: Math.random,
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60 * 1000,
      maxAgeMs: 24 * 60 * 60 * 1000,
      ...options,
    };
    this.#deliver = deliver;
  }

  now(): Date {
    return this.#o.now();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => {
      this.#o.log.error('outbox dispatcher stopped', { error, rooms: this.#o.roomPrefix });
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

  /** Sends nothing before `until` (the messenger's rate limit). */
  pauseUntil(until: Date): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until.getTime());
  }

  /** The wait before attempt `attempts + 1`: exponential, capped, with equal jitter. */
  backoff(attempts: number): number {
    const exp = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    // Equal jitter: never less than half the delay, so retries still spread out.
    return exp / 2 + this.#o.random() * (exp / 2);
  }

  async #run(): Promise<void> {
    const { store, roomPrefix } = this.#o;
    while (this.#running) {
      const now = this.#o.now();
      const wait = this.#pausedUntil - now.getTime();
      const items = wait > 0 ? [] : store.due(roomPrefix, now, 20);
      if (items.length === 0) {
        const next = store.nextDue(roomPrefix);
        const until = Math.max(this.#pausedUntil, next?.getTime() ?? now.getTime() + 60_000);
        await this.#sleep(Math.max(5, Math.min(60_000, until - now.getTime())));
        continue;
      }
      for (const item of items) {
        if (!this.#running || this.#pausedUntil > this.#o.now().getTime()) break;
        if (this.#tooOld(item)) continue;
        await this.#deliver(item);
      }
    }
  }

  #tooOld(item: OutboxItem): boolean {
    if (this.#o.now().getTime() - item.createdAt.getTime() <= this.#o.maxAgeMs) return false;
    this.#o.store.fail(
      item.id,
      `given up after ${item.attempts} attempts: ${item.lastError ?? ''}`,
    );
    this.#o.log.error('outbox item given up', {
      key: item.key,
      room: item.room,
      attempts: item.attempts,
    });
    return true;
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
}
