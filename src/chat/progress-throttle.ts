/**
 * A job's progress as one chat message, for every messenger: what it says
 * (`progressMessage`), and when it changes (`ProgressThrottle`): posted on the first update,
 * then edited at most once per interval (the newest update wins; those in between are
 * dropped, since only the latest state is worth showing), until the result takes its place.
 * The progress post's key is derived from its job (`progressPostKey`), so that a later start
 * can find the post of a job a dead process left behind and close it; the edits' keys are
 * derived from the invocation's key. Either way a retried write is the same outbox row.
 */
import type { ProgressUpdate } from '../core/invocation.ts';
import { localize, type Locale } from '../core/i18n.ts';
import type { Message } from '../core/message.ts';

const progressText = {
  ru: '⏳ Задача {job}: {percent} % — {text}',
  en: '⏳ Job {job}: {percent} % — {text}',
};

/** What the progress message says: the job, how far it is in whole percent, and its note. */
export function progressMessage(update: ProgressUpdate, locale: Locale): Message {
  const text = localize(progressText, locale, {
    job: update.jobId,
    percent: Math.round(update.fraction * 100),
    text: update.text,
  });
  return { severity: 'info', text };
}

/**
 * The outbox key of a job's progress post. Job ids are never reused (AUTOINCREMENT), so the
 * key is unique, and a start after a crash finds the post by the job alone.
 */
export function progressPostKey(jobId: number): string {
  return `job:${jobId}:progress`;
}

export interface ProgressWriter {
  /** Posts the progress message under `progressKey`. */
  post(progressKey: string, update: ProgressUpdate): void;
  /** Edits the message posted under `progressKey`; `editKey` is this edit's own key. */
  edit(editKey: string, progressKey: string, update: ProgressUpdate): void;
}

export interface ProgressThrottleOptions {
  /** Unique per invocation; the keys of the progress edits start with it. */
  readonly key: string;
  readonly writer: ProgressWriter;
  readonly now?: () => number;
  readonly intervalMs?: number;
  /** A delayed edit that could not be written (see `#flushLater`). */
  readonly onError?: (error: unknown) => void;
}

export class ProgressThrottle {
  readonly #o: ProgressThrottleOptions;
  readonly #now: () => number;
  readonly #interval: number;
  #edits = 0;
  #progressKey: string | undefined;
  #lastEdit = 0;
  #pending: ProgressUpdate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ProgressThrottleOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#interval = options.intervalMs ?? 2000;
  }

  /** The key of the progress message, once it was posted. */
  get progressKey(): string | undefined {
    return this.#progressKey;
  }

  /** When the next edit may go out without breaking the spacing. */
  get nextEditAt(): number {
    return this.#lastEdit + this.#interval;
  }

  update(update: ProgressUpdate): void {
    if (this.#closed) return;
    if (this.#progressKey === undefined) {
      this.#progressKey = progressPostKey(update.jobId);
      this.#o.writer.post(this.#progressKey, update);
      this.#lastEdit = this.#now();
      return;
    }
    this.#pending = update;
    if (this.#timer !== undefined) return;
    const wait = this.nextEditAt - this.#now();
    if (wait <= 0) {
      this.#flush();
      return;
    }
    this.#timer = setTimeout(() => this.#flushLater(), wait);
    this.#timer.unref();
  }

  /** No more edits: an update still waiting is dropped. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  /**
   * The edit a timer sends. Nothing waits on a timer to hear its error: thrown, it would end
   * the process (e.g. the state database closing at a stop while a job still reports). The
   * edit is a courtesy the result replaces, so it is given to `onError` and dropped.
   */
  #flushLater(): void {
    try {
      this.#flush();
    } catch (error) {
      this.#o.onError?.(error);
    }
  }

  #flush(): void {
    this.#timer = undefined;
    const update = this.#pending;
    const progressKey = this.#progressKey;
    if (this.#closed || update === undefined || progressKey === undefined) return;
    this.#pending = undefined;
    this.#o.writer.edit(`${this.#o.key}:progress:${++this.#edits}`, progressKey, update);
    this.#lastEdit = this.#now();
  }
}
