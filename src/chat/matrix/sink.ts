/**
 * Where a command's replies, progress and result go in Matrix: all through the outbox.
 * Progress is one message (src/chat/progress-throttle.ts), edited with `m.replace`, and
 * finally replaced by the result.
 */
import type { Logger } from '../../core/logger.ts';
import type { InvocationSink, ProgressUpdate } from '../../core/invocation.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import type { Outcome } from '../../core/outcome.ts';
import { ProgressThrottle, progressMessage } from '../progress-throttle.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
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
  readonly log?: Logger;
}

function confirmationCode(outcome: Outcome): string | undefined {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  return typeof data?.confirmation === 'string' ? data.confirmation : undefined;
}

export class MatrixSink implements InvocationSink {
  readonly confirm = { kind: 'pending' } as const;
  readonly #o: SinkOptions;
  readonly #now: () => number;
  readonly #progress: ProgressThrottle;
  #replies = 0;
  #closed = false;

  constructor(options: SinkOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const { outbox, roomId, relation } = options;
    this.#progress = new ProgressThrottle({
      key: options.key,
      // A delayed edit that cannot be written (the database closing at a stop) is dropped.
      onError: (error) => options.log?.warn('progress edit not written', { error }),
      writer: {
        post: (progressKey, update) =>
          outbox.post(progressKey, roomId, this.#renderProgress(update), relation),
        edit: (editKey, progressKey, update) =>
          outbox.edit(editKey, progressKey, roomId, this.#renderProgress(update)),
      },
      now: this.#now,
      ...(options.progressIntervalMs === undefined
        ? {}
        : { intervalMs: options.progressIntervalMs }),
    });
  }

  reply(message: Message): void {
    if (this.#closed) return;
    const { outbox, roomId, key, relation } = this.#o;
    const replyKey = `${key}:reply:${++this.#replies}`;
    outbox.post(replyKey, roomId, this.#o.render(message), relation);
  }

  progress(update: ProgressUpdate): void {
    if (this.#closed) return;
    this.#progress.update(update);
  }

  /** Sends the result: in place of the progress message, else as a new message. */
  finish(outcome: Outcome): void {
    if (this.#closed) return;
    this.close();
    const { outbox, roomId, key, relation } = this.#o;
    const rendered = this.#o.render(outcome.message);
    let messageKey = `${key}:result`;
    const progressKey = this.#progress.progressKey;
    if (progressKey !== undefined) {
      // The last edit still keeps the 2 s spacing, so a quick job does not flash.
      const notBefore = new Date(Math.max(this.#now(), this.#progress.nextEditAt));
      outbox.edit(messageKey, progressKey, roomId, rendered, {
        notBefore,
        ...(relation === undefined ? {} : { relation }),
      });
      messageKey = progressKey;
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
    this.#progress.close();
  }

  #renderProgress(update: ProgressUpdate): RenderedEvent {
    return this.#o.render(progressMessage(update, this.#o.locale));
  }
}
