/**
 * Time for the fake's controllers and kubelet, injectable so that a test can run a
 * progress deadline (Deployment spec.progressDeadlineSeconds,
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#progress-deadline-seconds)
 * without waiting ten minutes: `scaledClock(60)` runs a virtual minute per real second;
 * `ManualClock` moves only when the test says so.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once `ms` of this clock's time have passed; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

export function scaledClock(scale = 1): Clock {
  const realStart = Date.now();
  return {
    now: () => realStart + (Date.now() - realStart) * scale,
    setTimer(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms / scale));
      t.unref();
      return () => clearTimeout(t);
    },
  };
}

export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = (this.#next += 1);
    this.#timers.push({ at: this.#now + ms, fn, id });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t.id !== due.id);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
  }
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
