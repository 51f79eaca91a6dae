/**
 * A confirmation prompt as it stays once decided: it keeps what it was about (the
 * description the prompt showed: the action, the service, what would be overwritten), and
 * says who decided and when, in the configured time zone, with its buttons gone. Every
 * messenger edits its prompt post to this, whether the decision was a click, a reaction, a
 * typed `confirm`/`decline`, or the clock.
 */
import { confirmTexts } from './bot-texts.ts';
import type { Confirmation } from './confirmations.ts';
import { formatTime } from './format.ts';
import { localize, type Locale } from './i18n.ts';
import type { Message } from './message.ts';

/** A person by id and by the name a room knows them by (`@anna`). */
export interface NamedActor {
  readonly actorId: string;
  readonly name: string;
}

export interface StoryOptions {
  /**
   * The decider's name (`@anna`), given by whoever acted last. Used only when that actor is
   * the one the confirmation records as the decider: someone refused because another person
   * decided first must not be named as the decider. Otherwise the id stands.
   */
  readonly who?: NamedActor | undefined;
  /** The name of an actor by id, when `who` is not the decider (a cache: never waits). */
  readonly nameOf?: ((actorId: string) => string) | undefined;
  /** IANA zone of the times shown (config `timeZone`); undefined: the host's. */
  readonly timeZone?: string | undefined;
}

/** `matrix:@anna:example.org` → `@anna:example.org`, `local:root` → `root`; others as they are. */
export function plainActor(actorId: string): string {
  return actorId.replace(/^(?:matrix|local):/u, '');
}

/** The code a typed decision names (`confirm 7F3K`, `decline 7f3k`), if the text is one. */
export function decisionCode(text: string): string | undefined {
  return /^\s*(?:confirm|decline)\s+([2-9a-z]{4})(?:\s|$)/iu.exec(text)?.[1]?.toUpperCase();
}

/** The decided prompt, or undefined while the confirmation is still pending. */
export function decidedPromptMessage(
  confirmation: Confirmation,
  locale: Locale,
  options: StoryOptions = {},
): Message | undefined {
  const { state } = confirmation;
  if (state === 'pending') return undefined;
  const at = formatTime(
    state === 'expired' ? confirmation.expiresAt : (confirmation.decidedAt ?? undefined),
    { timeZone: options.timeZone },
  );
  const decider = confirmation.decidedBy ?? '';
  const who =
    options.who !== undefined && options.who.actorId === decider
      ? options.who.name
      : (options.nameOf?.(decider) ?? plainActor(decider));
  const line = localize(confirmTexts.decidedLine[state], locale, { who, at });
  return {
    severity: state === 'confirmed' ? 'success' : 'info',
    title: localize(confirmTexts.decidedTitle[state], locale, { code: confirmation.code }),
    text: [confirmation.description, line].filter((s) => s !== '').join('\n'),
  };
}
