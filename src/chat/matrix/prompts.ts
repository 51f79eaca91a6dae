/**
 * Confirmation prompts the bot posted, edited once they are decided: they keep what they
 * were about and say "✅ Confirmed by @anna:example.org — <time>", "✖ Cancelled by …" or
 * that they expired (src/core/confirmation-story.ts), whether the decision came from a
 * reaction, a typed `!pes confirm 7F3K`, or the clock.
 */
import type { ConfirmationStore } from '../../core/confirmations.ts';
import type { NamedActor } from '../../core/confirmation-story.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import type { SqliteMatrixState } from '../../store/matrix-repo.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
import type { RenderedEvent } from './types.ts';

export interface PromptDeps {
  readonly state: SqliteMatrixState;
  readonly confirmations: ConfirmationStore;
  readonly outbox: MatrixOutbox;
  readonly locale: (roomId: string) => Locale;
  readonly render: (message: Message, roomId: string) => RenderedEvent;
  /** How the person who decided is shown (their name when known); their id without it. */
  readonly name?: (actorId: string) => string;
  /** The prompt as it stays once decided (Bot.decidedPrompt); undefined while pending. */
  readonly decided: (
    code: string,
    locale: Locale,
    who: NamedActor | undefined,
  ) => Message | undefined;
}

/** Edits every decided or expired prompt of the room (or of all rooms); returns how many. */
export function settlePrompts(deps: PromptDeps, roomId?: string): number {
  let edited = 0;
  for (const prompt of deps.state.openPrompts(roomId)) {
    const confirmation = deps.confirmations.get(prompt.code);
    if (confirmation?.state === 'pending') continue;
    // Closed first: of two passes racing, one edits.
    if (!deps.state.closePrompt(prompt.promptKey)) continue;
    if (confirmation === undefined) continue;
    const by = confirmation.decidedBy;
    const name = by === undefined ? undefined : deps.name?.(by);
    const who = by === undefined || name === undefined ? undefined : { actorId: by, name };
    const message = deps.decided(prompt.code, deps.locale(prompt.roomId), who);
    if (message === undefined) continue;
    deps.outbox.edit(
      `${prompt.promptKey}:decided`,
      prompt.promptKey,
      prompt.roomId,
      deps.render(message, prompt.roomId),
    );
    edited++;
  }
  return edited;
}
