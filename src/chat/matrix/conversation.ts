/**
 * Messages and reactions as commands. A message is a command when it starts with `!pes` in a
 * served room, or is anything typed in a direct chat; a reaction is one when it matches the
 * reaction menu of a bot message (✅ runs `confirm 7F3K` as the person who reacted, and the
 * core decides whether they may). Each event is taken once (a durable claim by event id).
 */
import { randomUUID } from 'node:crypto';
import type { Bot } from '../../core/bot.ts';
import { decisionCode } from '../../core/confirmation-story.ts';
import { UserError } from '../../core/errors.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Logger } from '../../core/logger.ts';
import type { Message } from '../../core/message.ts';
import type { SqliteMatrixState } from '../../store/matrix-repo.ts';
import { AnswerOrder, releasingSink, type Turn } from '../answer-order.ts';
import { takeLangFlag } from '../lang-flag.ts';
import type { PeopleDirectory } from '../people/directory.ts';
import { speakerOf } from '../people/speaker.ts';
import { decidedNothing, refusalOutcome, staleCommand } from '../refusals.ts';
import {
  commandIn,
  isServed,
  maxCommandBytes,
  reactionOf,
  textMessage,
  unencryptedInEncryptedRoom,
  type InboundEvent,
} from './inbound.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
import { sameReaction } from './render.ts';
import { MatrixSink, type PromptNote } from './sink.ts';
import {
  roomOf,
  roomPrefix,
  type MatrixOutboxPayload,
  type MatrixSettings,
  type Relation,
  type RenderedEvent,
} from './types.ts';

export interface ConversationDeps {
  readonly settings: MatrixSettings;
  readonly bot: Bot;
  readonly outbox: MatrixOutbox;
  readonly state: SqliteMatrixState;
  readonly render: (message: Message, roomId: string) => RenderedEvent;
  readonly isDirect: (roomId: string) => boolean;
  /** Edits the prompts of the room that were decided (see prompts.ts). */
  readonly settlePrompts: (roomId: string) => void;
  readonly log: Logger;
  /** Names of the people who type commands. */
  readonly people?: PeopleDirectory;
  readonly now?: () => number;
  /** A command older than this (typed while the bot was away) is answered, not run. */
  readonly maxAgeMs: number;
  readonly progressIntervalMs?: number;
  /** How long a reaction's command may take before its prompt is edited anyway. */
  readonly decisionWaitMs?: number;
  /** Answers in the order the commands came (src/chat/answer-order.ts). */
  readonly order?: AnswerOrder;
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

  /**
   * The turn of an event that arrives now, for a caller that must wait before `handle`
   * (decryption): the answers keep the order the events arrived in.
   */
  enter(roomId: string): Turn {
    return this.#order.enter(roomOf(roomId));
  }

  /** Handles one live event of a room; resolves when its answer is in the outbox. */
  async handle(event: InboundEvent, me: string, turn = this.enter(event.roomId)): Promise<void> {
    try {
      // The bot's own messages (its answers, its reactions) must never be read as commands.
      if (event.sender === me) return;
      if (event.type === 'm.reaction') await this.#reaction(event, turn);
      else await this.#message(event, turn);
    } finally {
      turn.release();
    }
  }

  #sink(
    event: InboundEvent,
    key: string,
    relation: Relation | undefined,
    asked?: Locale,
  ): MatrixSink {
    const { roomId } = event;
    const locale = asked ?? this.#d.bot.localeFor({ room: { id: roomOf(roomId) } });
    return new MatrixSink({
      outbox: this.#d.outbox,
      roomId,
      relation,
      key,
      locale,
      render: (message) => this.#d.render(message, roomId),
      onPrompt: (prompt: PromptNote) => this.#d.state.addPrompt(prompt),
      log: this.#d.log,
      ...(this.#d.progressIntervalMs === undefined
        ? {}
        : { progressIntervalMs: this.#d.progressIntervalMs }),
    });
  }

  async #message(event: InboundEvent, turn: Turn): Promise<void> {
    const { settings, state, log, bot } = this.#d;
    const text = textMessage(event);
    if (text === undefined) return;
    const direct = this.#d.isDirect(event.roomId);
    const command = commandIn(text.body, direct);
    if (command === undefined) return;
    if (!state.claim(event.eventId, event.roomId, event.originTs)) return;
    await turn.ready;
    // In a room the answer is a reply (in the command's thread, if any); a direct chat is
    // answered in place.
    const relation: Relation | undefined =
      direct && text.threadRoot === undefined
        ? undefined
        : {
            replyTo: event.eventId,
            ...(text.threadRoot === undefined ? {} : { threadRoot: text.threadRoot }),
          };
    const flag = takeLangFlag(command);
    const asked = flag instanceof UserError ? undefined : flag.locale;
    const sink = this.#sink(event, `event:${event.eventId}:${randomUUID()}`, relation, asked);
    const locale = asked ?? bot.localeFor({ room: { id: roomOf(event.roomId) } });
    const refuse = (error: UserError): void => sink.finish(refusalOutcome(error, locale));
    if (unencryptedInEncryptedRoom(event)) {
      log.warn('unencrypted command in an encrypted matrix room refused', {
        room: event.roomId,
        sender: event.sender,
      });
      refuse(new UserError('matrix-command-not-encrypted'));
      return;
    }
    const size = Buffer.byteLength(text.body, 'utf8');
    if (size > maxCommandBytes) {
      log.warn('matrix message too long for a command', { room: event.roomId, size });
      refuse(new UserError('matrix-message-too-long', { size, limit: maxCommandBytes }));
      return;
    }
    if (!isServed(settings, event.roomId, direct)) {
      log.warn('command in a matrix room not served', { room: event.roomId });
      refuse(new UserError('matrix-room-not-served'));
      return;
    }
    const stale = staleCommand(command, this.#now() - event.originTs, this.#d.maxAgeMs);
    if (stale !== undefined) {
      refuse(new UserError('matrix-command-too-old', stale));
      return;
    }
    if (flag instanceof UserError) {
      refuse(flag);
      return;
    }
    const actorId = `matrix:${event.sender}`;
    const outcome = await bot.invoke(
      {
        actorId,
        ...(await speakerOf(this.#d.people, actorId, undefined)),
        room: { id: roomOf(event.roomId) },
        source: 'matrix',
        text: flag.text === '' ? 'help' : flag.text,
        ...(flag.locale === undefined ? {} : { locale: flag.locale }),
      },
      releasingSink(sink, turn),
    );
    sink.finish(outcome);
    this.#d.settlePrompts(event.roomId);
    // A decision typed in another room (a direct chat) edits its prompt where it was asked.
    const code = decisionCode(command);
    const promptRoom = code === undefined ? undefined : bot.decidedPrompt(code)?.confirmation.room;
    if (promptRoom?.startsWith(roomPrefix) === true && promptRoom !== roomOf(event.roomId)) {
      this.#d.settlePrompts(promptRoom.slice(roomPrefix.length));
    }
  }

  async #reaction(event: InboundEvent, turn: Turn): Promise<void> {
    const { state, log, bot } = this.#d;
    const reaction = reactionOf(event);
    if (reaction === undefined) return;
    // Only the bot's own messages offer commands; what they offered is in the outbox row
    // that set their current content (people cannot send events as the bot).
    const sent = state.sentPayload(roomOf(event.roomId), reaction.target);
    if (sent === undefined) return;
    const payload = JSON.parse(sent.payload) as MatrixOutboxPayload;
    const action = payload.actions?.find((a) => sameReaction(a.key, reaction.key));
    if (action === undefined) return;
    if (!state.claim(event.eventId, event.roomId, event.originTs)) return;
    if (this.#now() - event.originTs > this.#d.maxAgeMs) {
      log.info('old reaction ignored', { room: event.roomId, event: event.eventId });
      return;
    }
    await turn.ready;
    const relation: Relation = {
      replyTo: reaction.target,
      ...(payload.relation?.threadRoot === undefined
        ? {}
        : { threadRoot: payload.relation.threadRoot }),
      ...(payload.relation?.threadRootKey === undefined
        ? {}
        : { threadRootKey: payload.relation.threadRootKey }),
    };
    const sink = this.#sink(event, `reaction:${event.eventId}:${randomUUID()}`, relation);
    if (unencryptedInEncryptedRoom(event)) {
      // Clients send reactions in clear text even in encrypted rooms (matrix-js-sdk's
      // shouldEncryptEventForRoom), so one proves nothing there: the decision is typed
      // instead, which comes encrypted.
      log.warn('unencrypted reaction in an encrypted matrix room refused', {
        room: event.roomId,
        sender: event.sender,
      });
      const locale = bot.localeFor({ room: { id: roomOf(event.roomId) } });
      const command = `!pes ${action.command}`;
      sink.finish(
        refusalOutcome(new UserError('matrix-reaction-not-encrypted', { command }), locale),
      );
      return;
    }
    const actorId = `matrix:${event.sender}`;
    const running = bot.invoke(
      {
        actorId,
        ...(await speakerOf(this.#d.people, actorId, undefined)),
        room: { id: roomOf(event.roomId) },
        source: 'button',
        text: action.command,
      },
      releasingSink(sink, turn),
    );
    const quick = await Promise.race([running, wait(this.#d.decisionWaitMs ?? 500)]);
    // A long job: the decision is recorded by now, so the prompt shows who decided while the
    // job runs.
    if (quick === undefined) this.#d.settlePrompts(event.roomId);
    const outcome = quick ?? (await running);
    if (decidedNothing(outcome)) {
      // Not allowed, already decided, expired: the reaction changes nothing and says nothing
      // (the core audited it), so nobody can make the bot talk by reacting.
      sink.close();
      log.info('reaction refused', {
        room: event.roomId,
        sender: event.sender,
        code: outcome.errorCode,
      });
      return;
    }
    const declined = /^decline\s/i.test(action.command);
    // A cancellation is said by the edited prompt; anything else gets its result.
    if (declined && outcome.status === 'ok') sink.close();
    else sink.finish(outcome);
    this.#d.settlePrompts(event.roomId);
  }
}

function wait(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
