/**
 * Refusals every chat front end answers alike: a command turned away before it ran (a room
 * not served, a message too long, a command typed too long ago), and a decision (a button
 * click, a reaction) that decided nothing.
 */
import { exitCodes, type UserError } from '../core/errors.ts';
import type { Locale } from '../core/i18n.ts';
import type { Outcome } from '../core/outcome.ts';

/** The answer to a command turned away before it ran: the error's line and hint. */
export function refusalOutcome(error: UserError, locale: Locale): Outcome {
  return {
    status: error.kind,
    exitCode: exitCodes[error.kind],
    errorCode: error.code,
    private: true,
    message: {
      severity: 'warning',
      text: [error.text(locale), error.hint(locale)].filter(Boolean).join('\n'),
    },
  };
}

/** Quoted at most, of a command that is refused for its age. */
const quotedChars = 100;

/**
 * The parameters of a `…-command-too-old` refusal when a command is older than `maxAgeMs`
 * (typed while the bot was away: answered, not run), else undefined.
 */
export function staleCommand(
  command: string,
  ageMs: number,
  maxAgeMs: number,
): { command: string; minutes: number } | undefined {
  if (ageMs <= maxAgeMs) return undefined;
  return { command: command.slice(0, quotedChars), minutes: Math.round(ageMs / 60000) };
}

/** Answers that mean a decision changed nothing: the prompt stays as it is. */
const decisionRefusals: ReadonlySet<string> = new Set([
  'unknown-confirmation',
  'confirmation-expired',
  'confirmation-not-allowed',
  'not-permitted',
  'not-permitted-no-role',
  'invalid-argument',
  // Approvals (src/core/approvals.ts): a vote that does not count changes nothing either.
  'approval-not-allowed',
  'approval-self',
  'approval-twice',
  'approval-expired',
  'approval-closed',
  'approval-unknown',
  'plugin-request-unknown',
]);

/** Whether a click or reaction was refused (not allowed, already decided, expired, unknown). */
export function decidedNothing(outcome: Outcome): boolean {
  return outcome.status !== 'ok' && decisionRefusals.has(outcome.errorCode ?? '');
}
