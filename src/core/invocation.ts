/** What every way in (terminal, messenger, button) hands to the core. */
import type { Source, Room } from './identity.ts';
import type { Locale } from './i18n.ts';
import type { Message } from './message.ts';

export interface Invocation {
  readonly actorId: string;
  readonly displayName?: string;
  readonly room: Room;
  readonly source: Source;
  readonly text: string;
  /** Overrides the room's language, e.g. the terminal's `--lang`. */
  readonly locale?: Locale;
  /**
   * The person's own language (their messenger profile), for the answers only they see;
   * shared posts keep the room's language. `locale` overrides it.
   */
  readonly personLocale?: Locale;
  /** The caller confirmed in advance (the terminal's `--yes`). */
  readonly preconfirmed?: boolean;
  /** How many of the command's confirmation questions were already answered yes. */
  readonly confirmedSteps?: number;
  /** The approval (approval-flow.ts) that released this command, when it needed one. */
  readonly approved?: number;
}

export interface ProgressUpdate {
  readonly jobId: number;
  readonly fraction: number;
  readonly text: string;
}

/**
 * How a destructive command gets its confirmation from this front end: a prompt it can
 * answer now (terminal on a TTY), a pending confirmation with a code and buttons (chat), or
 * not at all (a terminal with no TTY and no --yes).
 */
export type ConfirmMode =
  | { readonly kind: 'prompt'; ask(description: string): Promise<boolean> }
  | { readonly kind: 'pending' }
  | { readonly kind: 'refuse' };

/** Where the core sends what happens while an invocation runs. */
export interface InvocationSink {
  reply(message: Message): void;
  progress(update: ProgressUpdate): void;
  readonly confirm: ConfirmMode;
}
