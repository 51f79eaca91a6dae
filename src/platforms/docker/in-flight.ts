/**
 * The engine requests of one job that change something and may still be running.
 *
 * Aborting an HTTP request to the engine does not undo or stop what the engine does: a
 * `create` aborted on the client may still make its container a moment later (an update
 * cancelled half-way left a new container that appeared after the rollback had looked for
 * it; test/integration/docker-update.test.ts plays that timing through a proxy). So a request that changes something is never
 * aborted (client.ts, mutateDocker); when its caller stops waiting for it (the time limit),
 * it is kept here, and whoever puts things back first waits for it to settle. Only then is
 * what the engine holds what it will keep holding.
 */
export class InFlight {
  readonly #pending = new Set<Promise<void>>();

  /** Keeps a request until it settles, whatever its outcome. */
  keep(request: Promise<unknown>): void {
    const settled = request.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }

  /**
   * Waits until every kept request has settled, for at most `limitMs`; says whether they
   * all did (an engine that never answers must not hold a rollback for ever).
   */
  async settle(limitMs: number): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    });
    try {
      return await Promise.race([Promise.all([...this.#pending]).then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
