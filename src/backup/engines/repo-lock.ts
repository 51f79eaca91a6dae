/**
 * The bot's own queue in front of a repository. restic's forget, prune and check need an
 * exclusive repository lock and fail at once (0.14 has no --retry-lock) while any backup
 * holds its shared one; borg takes an exclusive lock for create. Backups of two services may
 * run at the same time, so operations of this process wait here for each other instead of
 * failing on their own lock. Writers are served in order, and a waiting writer holds back
 * new readers so that a stream of backups cannot starve retention.
 */

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

export class RepositoryQueue {
  #readers = 0;
  #writer = false;
  readonly #waiting: Waiter[] = [];

  /** Runs `work` beside other shared work, but never beside exclusive work. */
  shared<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#run(false, work, signal);
  }

  /** Runs `work` alone. */
  exclusive<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#run(true, work, signal);
  }

  async #run<T>(exclusive: boolean, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(exclusive, signal);
    try {
      return await work();
    } finally {
      if (exclusive) this.#writer = false;
      else this.#readers -= 1;
      this.#wake();
    }
  }

  #acquire(exclusive: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#waiting.length === 0 && this.#free(exclusive)) {
      this.#take(exclusive);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        exclusive,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(waiter);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(signal?.reason as Error);
        this.#wake();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #free(exclusive: boolean): boolean {
    return exclusive ? !this.#writer && this.#readers === 0 : !this.#writer;
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#writer = true;
    else this.#readers += 1;
  }

  #wake(): void {
    for (;;) {
      const next = this.#waiting[0];
      if (next === undefined || !this.#free(next.exclusive)) return;
      this.#waiting.shift();
      this.#take(next.exclusive);
      next.grant();
    }
  }
}

const queues = new Map<string, RepositoryQueue>();

/** One queue per repository in this process, however many engine objects use it. */
export function repositoryQueue(engine: string, repository: string): RepositoryQueue {
  const key = `${engine} ${repository}`;
  let queue = queues.get(key);
  if (queue === undefined) {
    queue = new RepositoryQueue();
    queues.set(key, queue);
  }
  return queue;
}
