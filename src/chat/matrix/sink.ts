/**
 * Where a command's replies, progress and result go in Matrix: all through the outbox.
 * Progress is one message, posted on the first update, edited (`m.replace`) at most every
 * 2 s, and finally replaced by the result.
 */
import type { InvocationSink, ProgressUpdate } from '../../core/invocation.ts';
import { localize, type Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import type { Outcome } from '../../core/outcome.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
import { matrixTexts } from './texts.ts';
import type { Relation, RenderedEvent } from './types.ts';

/** A confirmation prompt the bot posted: edited later to show who decided. */
export interface PromptNote {
  readonly promptKey: string;
  readonly roomId: string;
  readonly code: string;
  readonly title: string;
}

export interface SinkOptions {
  readonly outbox: MatrixOutbox;
  readonly roomId: string;
  /** Where answers go: a reply to the command, in its thread if it has one. */
  readonly relation: Relation | undefined;
  /** Unique per invocation; every outbox key of this conversation starts with it. */
  readonly key: string;
  readonly locale: Locale;
  readonly render: (message: Message) => RenderedEvent;
  readonly onPrompt?: (prompt: PromptNote) => void;
  readonly now?: () => number;
  readonly progressIntervalMs?: number;
}

function confirmationCode(outcome: Outcome): string | undefined {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  return typeof data?.confirmation === 'string' ? data.confirmation : undefined;
}

export class MatrixSink implements InvocationSink {
  readonly confirm = { kind: 'pending' } as const;
  readonly #o: SinkOptions;
  readonly #now: () => number;
  readonly #interval: number;
  #replies = 0;
  #edits = 0;
  #progressKey: string | undefined;
  #lastEdit = 0;
  #pending: ProgressUpdate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SinkOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#interval = options.progressIntervalMs ?? 2000;
  }

  reply(message: Message): void {
    if (this.#closed) return;
    const { outbox, roomId, key, relation } = this.#o;
    const replyKey = `${key}:reply:${++this.#replies}`;
    outbox.post(replyKey, roomId, this.#o.render(message), relation);
  }

  progress(update: ProgressUpdate): void {
    if (this.#closed) return;
    const { outbox, roomId, key, relation } = this.#o;
    if (this.#progressKey === undefined) {
      this.#progressKey = `${key}:progress`;
      outbox.post(this.#progressKey, roomId, this.#renderProgress(update), relation);
      this.#lastEdit = this.#now();
      return;
    }
    this.#pending = update;
    if (this.#timer !== undefined) return;
    const wait = this.#lastEdit + this.#interval - this.#now();
    if (wait <= 0) {
      this.#flush();
      return;
    }
    this.#timer = setTimeout(() => this.#flush(), wait);
    this.#timer.unref();
  }

  /** Sends the result: in place of the progress message, else as a new message. */
  finish(outcome: Outcome): void {
    if (this.#closed) return;
    this.close();
    const { outbox, roomId, key, relation } = this.#o;
    const rendered = this.#o.render(outcome.message);
    let messageKey = `${key}:result`;
    if (this.#progressKey !== undefined) {
      // The last edit still keeps the 2 s spacing, so a quick job does not flash.
      const notBefore = new Date(Math.max(this.#now(), this.#lastEdit + this.#interval));
      outbox.edit(messageKey, this.#progressKey, roomId, rendered, {
        notBefore,
        ...(relation === undefined ? {} : { relation }),
      });
      messageKey = this.#progressKey;
    } else {
      outbox.post(messageKey, roomId, rendered, relation);
    }
    const code = outcome.status === 'pending' ? confirmationCode(outcome) : undefined;
    if (code !== undefined) {
      this.#o.onPrompt?.({
        promptKey: messageKey,
        roomId,
        code,
        title: outcome.message.title ?? '',
      });
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const update = this.#pending;
    const progressKey = this.#progressKey;
    if (this.#closed || update === undefined || progressKey === undefined) return;
    this.#pending = undefined;
    const { outbox, roomId, key } = this.#o;
    outbox.edit(
      `${key}:progress:${++this.#edits}`,
      progressKey,
      roomId,
      this.#renderProgress(update),
    );
    this.#lastEdit = this.#now();
  }

  #renderProgress(update: ProgressUpdate): RenderedEvent {
    const text = localize(matrixTexts.progress, this.#o.locale, {
      job: update.jobId,
      percent: Math.round(update.fraction * 100),
      text: update.text,
    });
    return this.#o.render({ severity: 'info', text });
  }
}
