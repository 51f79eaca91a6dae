/** Counters of the alert path, read by the metrics endpoint (names as Prometheus would use). */
export interface AlertCounts {
  /** Notifications accepted and stored. */
  readonly received: number;
  /** Notifications recognised as re-sent, stored once and not posted again. */
  readonly deduplicated: number;
  /** Requests refused (credentials, size, malformed or invalid payload). */
  readonly rejected: number;
  /** Posts and edits written to the outbox. */
  readonly posted: number;
  /** Notifications that could not be stored (answered 5xx) or delivered. */
  readonly failed: number;
}

export class AlertCounters {
  #c = { received: 0, deduplicated: 0, rejected: 0, posted: 0, failed: 0 };

  add(name: keyof AlertCounts, by = 1): void {
    this.#c[name] += by;
  }

  snapshot(): AlertCounts {
    return { ...this.#c };
  }
}
