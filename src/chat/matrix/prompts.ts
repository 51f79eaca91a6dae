/**
 * Confirmation prompts the bot posted, edited once they are decided: "✅ Confirmed by
 * @anna:example.org", "✖ Cancelled by …" or "expired", whether the decision came from a
 * reaction, a typed `!pes confirm 7F3K`, or the clock.
 */
import type { ConfirmationStore } from '../../core/confirmations.ts';
import { localize, type Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import type { OpenPrompt, SqliteMatrixState } from '../../store/matrix-repo.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
import { matrixTexts } from './texts.ts';
import type { RenderedEvent } from './types.ts';

export interface PromptDeps {
  readonly state: SqliteMatrixState;
  readonly confirmations: ConfirmationStore;
  readonly outbox: MatrixOutbox;
  readonly locale: (roomId: string) => Locale;
  readonly render: (message: Message, roomId: string) => RenderedEvent;
}

/** `matrix:@anna:example.org` → `@anna:example.org`; other actors as they are. */
function shown(actor: string): string {
  return actor.startsWith('matrix:') ? actor.slice('matrix:'.length) : actor;
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
    deps.outbox.edit(
      `${prompt.promptKey}:decided`,
      prompt.promptKey,
      prompt.roomId,
      deps.render(
        decidedMessage(
          prompt,
          confirmation.state,
          confirmation.decidedBy,
          deps.locale(prompt.roomId),
        ),
        prompt.roomId,
      ),
    );
    edited++;
  }
  return edited;
}

function decidedMessage(
  prompt: OpenPrompt,
  state: 'confirmed' | 'declined' | 'expired',
  by: string | undefined,
  locale: Locale,
): Message {
  const who = shown(by ?? '');
  const text =
    state === 'confirmed'
      ? localize(matrixTexts.confirmedBy, locale, { who })
      : state === 'declined'
        ? localize(matrixTexts.cancelledBy, locale, { who })
        : localize(matrixTexts.expired, locale);
  return {
    severity: state === 'confirmed' ? 'success' : 'info',
    ...(prompt.title === '' ? {} : { title: prompt.title }),
    text,
  };
}
