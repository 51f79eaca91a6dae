/**
 * Posts as commands: a direct message to the bot, or a post that mentions it. Each post is
 * taken once (a durable claim by post id), whether it arrives over the WebSocket or in a
 * catch-up after a reconnect; the bot's own posts and those of integrations are ignored.
 */
import { randomUUID } from 'node:crypto';
import type { Bot } from '../../core/bot.ts';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Message } from '../../core/message.ts';
import type { SeenChannelKind } from '../../store/mattermost-seen-repo.ts';
import { AnswerOrder, releasingSink, type Turn } from '../answer-order.ts';
import { takeLangFlag } from '../lang-flag.ts';
import type { PeopleDirectory } from '../people/directory.ts';
import { speakerOf } from '../people/speaker.ts';
import { refusalOutcome, staleCommand } from '../refusals.ts';
import { commandInPost, isServed, type InboundPost } from './inbound.ts';
import type { MattermostOutbox } from './outbox-writer.ts';
import { decisionCode, editDecidedPrompt } from './prompt-story.ts';
import { MattermostSink, type ConversationTarget } from './sink.ts';
import type { MattermostSettings, RenderedPost } from './types.ts';

/** The durable record of what was read (src/store/mattermost-seen-repo.ts). */
export interface SeenPosts {
  claim(postId: string, channelId: string, createAt: number): boolean;
  touch(channelId: string, kind: SeenChannelKind, postAt: number): void;
}

export interface BotUser {
  readonly id: string;
  readonly username: string;
}

export interface ConversationDeps {
  readonly settings: MattermostSettings;
  readonly bot: Bot;
  readonly outbox: MattermostOutbox;
  readonly seen: SeenPosts;
  readonly render: (message: Message, target: ConversationTarget) => RenderedPost;
  readonly log: Logger;
  /** Names and languages of the people who type commands. */
  readonly people?: PeopleDirectory;
  readonly now?: () => number;
  /** A command older than this (typed while the bot was away) is answered, not run. */
  readonly maxAgeMs: number;
  readonly progressIntervalMs?: number;
  /** Answers in the order the commands came (src/chat/answer-order.ts). */
  readonly order?: AnswerOrder;
}

export interface PostMeta {
  readonly direct: boolean;
  /** From the `posted` event (`sender_name`); absent for posts read over REST. */
  readonly senderName?: string;
}

function fromIntegration(post: InboundPost): boolean {
  const props = post.props ?? {};
  return props['from_webhook'] === 'true' || props['from_bot'] === 'true';
}

export class Conversation {
  readonly #d: ConversationDeps;
  readonly #now: () => number;
  readonly #order: AnswerOrder;

  constructor(deps: ConversationDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#order = deps.order ?? new AnswerOrder();
  }

  /** Handles one post; resolves when its answer is in the outbox. */
  async handle(post: InboundPost, meta: PostMeta, me: BotUser): Promise<void> {
    // The bot's own posts (its answers) must never be read as commands: that would loop.
    if (post.user_id === me.id || post.type !== '' || fromIntegration(post)) return;
    if ((post.delete_at ?? 0) > 0) return;
    const { seen } = this.#d;
    seen.touch(post.channel_id, meta.direct ? 'direct' : 'served', post.create_at);
    const command = commandInPost(post.message, me.username, meta.direct);
    if (command === undefined) return;
    if (!seen.claim(post.id, post.channel_id, post.create_at)) return;
    // Taken before the first await: the order of the posts is the order of the answers.
    const turn = this.#order.enter(`mattermost:${post.channel_id}`);
    try {
      await turn.ready;
      await this.#answer(post, meta, command, turn);
    } finally {
      turn.release();
    }
  }

  async #answer(post: InboundPost, meta: PostMeta, command: string, turn: Turn): Promise<void> {
    const { settings, log } = this.#d;
    const target: ConversationTarget = {
      channelId: post.channel_id,
      // In a channel the answer is a reply, so the channel stays readable; a direct message
      // is answered in place.
      root: post.root_id !== '' ? post.root_id : meta.direct ? undefined : post.id,
      userId: post.user_id,
      direct: meta.direct,
    };
    const room = { id: `mattermost:${post.channel_id}` };
    const actorId = `mattermost:${post.user_id}`;
    const speaker = await speakerOf(this.#d.people, actorId, meta.senderName);
    const roomLocale = this.#d.bot.localeFor({ room });
    const flag = takeLangFlag(command);
    // A direct chat is the person's own: all of it is in their language.
    const asked =
      flag instanceof UserError
        ? undefined
        : (flag.locale ?? (meta.direct ? speaker.personLocale : undefined));
    const locale = asked ?? roomLocale;
    const sink = new MattermostSink({
      outbox: this.#d.outbox,
      target,
      key: `post:${post.id}:${randomUUID()}`,
      locale,
      render: this.#d.render,
      log: this.#d.log,
      ...(this.#d.progressIntervalMs === undefined
        ? {}
        : { progressIntervalMs: this.#d.progressIntervalMs }),
    });
    // A refusal is for the person only: their own language, unless they asked for one.
    const refuse = (error: UserError): void =>
      sink.finish(refusalOutcome(error, asked ?? speaker.personLocale ?? roomLocale));
    if (!isServed(settings, post.channel_id, meta.direct)) {
      log.warn('command in a channel not served', { channel: post.channel_id });
      refuse(new UserError('mattermost-channel-not-served'));
      return;
    }
    const stale = staleCommand(command, this.#now() - post.create_at, this.#d.maxAgeMs);
    if (stale !== undefined) {
      refuse(new UserError('mattermost-command-too-old', stale));
      return;
    }
    if (flag instanceof UserError) {
      refuse(flag);
      return;
    }
    const outcome = await this.#d.bot.invoke(
      {
        actorId,
        ...speaker,
        room,
        source: 'mattermost',
        text: flag.text === '' ? 'help' : flag.text,
        ...(asked === undefined ? {} : { locale: asked }),
      },
      releasingSink(sink, turn),
    );
    sink.finish(outcome);
    // A typed decision edits its prompt as a click does (prompt-story.ts).
    const code = decisionCode(command);
    if (code !== undefined)
      editDecidedPrompt(this.#d, code, { actorId, name: speaker.displayName });
  }
}
