/**
 * Where a command's replies, progress and result go in Mattermost: all through the outbox.
 * Progress is one post (src/chat/progress-throttle.ts), edited in place, and finally
 * replaced by the result.
 */
import type { Logger } from '../../core/logger.ts';
import type { InvocationSink, ProgressUpdate } from '../../core/invocation.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import { isPrivateOutcome, type Outcome } from '../../core/outcome.ts';
import { ProgressThrottle, progressMessage } from '../progress-throttle.ts';
import type { MattermostOutbox } from './outbox-writer.ts';
import { promptKeyOf } from './prompt-story.ts';
import type { RenderedPost } from './types.ts';

/** Where in Mattermost a conversation happens. */
export interface ConversationTarget {
  readonly channelId: string;
  /** The thread to answer in; undefined for the channel itself. */
  readonly root: string | undefined;
  /** The person who typed the command: refusals are shown to them only. */
  readonly userId: string;
  /** A direct-message channel: nobody else is there, so nothing needs to be ephemeral. */
  readonly direct: boolean;
}

export interface SinkOptions {
  readonly outbox: MattermostOutbox;
  readonly target: ConversationTarget;
  /** Unique per invocation; every outbox key of this conversation starts with it. */
  readonly key: string;
  readonly locale: Locale;
  readonly render: (message: Message, target: ConversationTarget) => RenderedPost;
  readonly now?: () => number;
  readonly progressIntervalMs?: number;
  readonly log?: Logger;
}

/** Refusals (src/core/outcome.ts) concern only the person who typed the command. */
export function isPrivateAnswer(outcome: Outcome): boolean {
  return isPrivateOutcome(outcome);
}

export class MattermostSink implements InvocationSink {
  readonly confirm = { kind: 'pending' } as const;
  readonly #o: SinkOptions;
  readonly #progress: ProgressThrottle;
  #replies = 0;
  #closed = false;

  constructor(options: SinkOptions) {
    this.#o = options;
    const { outbox, target } = options;
    this.#progress = new ProgressThrottle({
      key: options.key,
      // A delayed edit that cannot be written (the database closing at a stop) is dropped.
      onError: (error) => options.log?.warn('progress edit not written', { error }),
      writer: {
        post: (progressKey, update) =>
          outbox.post(progressKey, target.channelId, this.#renderProgress(update), target.root),
        edit: (editKey, progressKey, update) =>
          outbox.patch(editKey, progressKey, target.channelId, this.#renderProgress(update)),
      },
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.progressIntervalMs === undefined
        ? {}
        : { intervalMs: options.progressIntervalMs }),
    });
  }

  /** Whether anything of this invocation went out through the outbox already. */
  get usedOutbox(): boolean {
    return this.#replies > 0 || this.#progress.progressKey !== undefined;
  }

  reply(message: Message): void {
    if (this.#closed) return;
    const { outbox, target, key } = this.#o;
    outbox.post(
      `${key}:reply:${++this.#replies}`,
      target.channelId,
      this.#render(message),
      target.root,
    );
  }

  progress(update: ProgressUpdate): void {
    if (this.#closed) return;
    this.#progress.update(update);
  }

  /** Sends the result: in place of the progress post, else as a post (ephemeral if private). */
  finish(outcome: Outcome): void {
    if (this.#closed) return;
    this.close();
    const { outbox, target, key } = this.#o;
    const rendered = this.#render(outcome.message);
    const progressKey = this.#progress.progressKey;
    if (progressKey !== undefined) {
      outbox.patch(`${key}:result`, progressKey, target.channelId, rendered);
    } else if (isPrivateAnswer(outcome) && !target.direct) {
      outbox.ephemeral(`${key}:result`, target.userId, target.channelId, rendered, target.root);
    } else {
      // A prompt is posted under a key made from its confirmation, to be edited once decided.
      outbox.post(promptKeyOf(outcome) ?? `${key}:result`, target.channelId, rendered, target.root);
    }
  }

  /** Nothing more goes out (the result went in the HTTP answer, or was already sent). */
  close(): void {
    this.#closed = true;
    this.#progress.close();
  }

  #render(message: Message): RenderedPost {
    return this.#o.render(message, this.#o.target);
  }

  #renderProgress(update: ProgressUpdate): RenderedPost {
    return this.#render(progressMessage(update, this.#o.locale));
  }
}
