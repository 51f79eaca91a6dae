/**
 * Work the Matrix front end starts in the background (handling an event, joining a room,
 * reading a gap): a failure is logged, never thrown into the SDK's event emitter, and
 * `settled()` waits until all of it is done, so a stop loses no answer.
 */
import type { Logger } from '../../core/logger.ts';

export class TrackedWork {
  readonly #log: Logger;
  readonly #running = new Set<Promise<void>>();

  constructor(log: Logger) {
    this.#log = log;
  }

  track(work: Promise<void>, what: string): void {
    const p = work.catch((error: unknown) => this.#log.error(what, { error }));
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  /** Resolves once every piece of work, including any started meanwhile, is done. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
