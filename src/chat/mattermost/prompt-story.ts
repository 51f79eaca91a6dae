/**
 * Confirmation prompts in Mattermost once decided: the prompt post is edited to keep what it
 * was about and say who decided and when (src/core/confirmation-story.ts), with its buttons
 * gone, whether the decision was a click (the click's answer carries the edit) or typed
 * (`confirm 7F3K` in a post or a slash command: the edit goes through the outbox). The
 * prompt post is found by a key made from its confirmation, so no record of it is needed.
 */
import type { Bot } from '../../core/bot.ts';
import type { NamedActor } from '../../core/confirmation-story.ts';
import type { PeopleDirectory } from '../people/directory.ts';
export { decisionCode } from '../../core/confirmation-story.ts';
import type { Message } from '../../core/message.ts';
import type { Outcome } from '../../core/outcome.ts';
import type { MattermostOutbox } from './outbox-writer.ts';
import { roomPrefix } from './outbox-writer.ts';
import type { ConversationTarget } from './sink.ts';
import type { RenderedPost } from './types.ts';

/**
 * The outbox key of the post that asks for confirmation `code`. A code is reused once its
 * confirmation is closed, so its expiry (to the millisecond) is part of the key.
 */
/** Every prompt post's key starts so. */
export const promptKeyPrefix = 'prompt:';

export function promptPostKey(code: string, expiresAt: string): string {
  return `${promptKeyPrefix}${code}:${expiresAt}`;
}

/** The prompt key of a pending outcome (a confirmation asked for), if it is one. */
export function promptKeyOf(outcome: Outcome): string | undefined {
  if (outcome.status !== 'pending') return undefined;
  const data = outcome.data as { confirmation?: unknown; expiresAt?: unknown } | undefined;
  const { confirmation, expiresAt } = data ?? {};
  return typeof confirmation === 'string' && typeof expiresAt === 'string'
    ? promptPostKey(confirmation, expiresAt)
    : undefined;
}

export interface PromptEditDeps {
  readonly bot: Bot;
  readonly outbox: MattermostOutbox;
  readonly render: (message: Message, target: ConversationTarget) => RenderedPost;
  /** Names of the people who decided, from what the directory already knows. */
  readonly people?: Pick<PeopleDirectory, 'cachedName'> | undefined;
}

/** The decided prompt of `code` and the channel it belongs to; undefined while pending. */
export function decidedPrompt(
  bot: Bot,
  code: string,
  who: NamedActor | undefined,
  people?: Pick<PeopleDirectory, 'cachedName'>,
): { message: Message; promptKey: string; channelId: string } | undefined {
  const decided = bot.decidedPrompt(code, {
    who,
    nameOf: people === undefined ? undefined : (id) => people.cachedName(id),
  });
  const room = decided?.confirmation.room;
  if (decided === undefined || room === undefined || !room.startsWith(roomPrefix)) {
    return undefined;
  }
  return {
    message: decided.message,
    promptKey: promptPostKey(code, decided.confirmation.expiresAt.toISOString()),
    channelId: room.slice(roomPrefix.length),
  };
}

/**
 * Edits the prompt of `code` through the outbox once it is decided (or expired); false when
 * it is still pending, or its post is not one the bot wrote through its outbox. An edit of
 * the same prompt is queued once, however often this is called.
 */
export function editDecidedPrompt(
  deps: PromptEditDeps,
  code: string,
  who: NamedActor | undefined,
): boolean {
  const decided = decidedPrompt(deps.bot, code, who, deps.people);
  if (decided === undefined) return false;
  const post = deps.outbox.find(decided.promptKey);
  if (post === undefined || post.kind !== 'post') return false;
  const target = { channelId: decided.channelId, root: undefined, userId: '', direct: false };
  deps.outbox.patch(
    `${decided.promptKey}:decided`,
    decided.promptKey,
    decided.channelId,
    deps.render(decided.message, target),
  );
  return true;
}
