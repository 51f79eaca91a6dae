import { errorTexts, type ErrorText } from './error-texts.ts';
import { exitCodes, isUserError, newErrorRef, type ErrorCode, type UserError } from './errors.ts';
import type { Locale } from './i18n.ts';
import type { Logger } from './logger.ts';
import type { Message } from './message.ts';

/** How an invocation ended, for every front end: the message to show and the exit code. */
export type OutcomeStatus = 'ok' | 'failed' | 'usage' | 'denied' | 'pending';

export interface Outcome {
  readonly status: OutcomeStatus;
  readonly exitCode: number;
  readonly message: Message;
  readonly data?: unknown;
  readonly jobId?: number;
  readonly errorCode?: ErrorCode | 'internal';
  /** Shown only to the person who asked (a refusal of theirs), where the messenger can. */
  readonly private?: boolean;
}

/** Whether an error refuses the request of one person, and so is answered to them only. */
export function isRefusal(error: UserError): boolean {
  return (
    error.kind === 'denied' ||
    error.kind === 'usage' ||
    (errorTexts[error.code] as ErrorText).private === true
  );
}

/**
 * Refusals and usage errors concern only the person who typed the command: a busy service or
 * a bad option is nobody else's business, and the channel's history stays about the work.
 */
export function isPrivateOutcome(outcome: Outcome): boolean {
  return outcome.private === true || outcome.status === 'denied' || outcome.status === 'usage';
}

const internalText = {
  ru: 'Внутренняя ошибка (ссылка {ref}). Подробности в журнале бота.',
  en: 'Internal error (ref {ref}). The details are in the bot log.',
} as const;

/**
 * Turns anything thrown into what a person sees. A UserError is shown as is; anything else
 * is logged in full with a reference and shown only as that reference.
 */
export function outcomeFromError(
  error: unknown,
  locale: Locale,
  log: Logger,
  jobId?: number,
): Outcome {
  if (error instanceof DelegatedOutcome) return error.outcome;
  if (isUserError(error)) {
    const hint = error.hint(locale);
    return {
      status: error.kind,
      exitCode: exitCodes[error.kind],
      errorCode: error.code,
      ...(isRefusal(error) ? { private: true } : {}),
      message: {
        severity: error.kind === 'denied' ? 'warning' : 'error',
        text: hint === undefined ? error.text(locale) : `${error.text(locale)}\n${hint}`,
      },
      ...(jobId === undefined ? {} : { jobId }),
    };
  }
  const ref = newErrorRef();
  log.error('internal error', { ref, error });
  return {
    status: 'failed',
    exitCode: exitCodes.failed,
    errorCode: 'internal',
    message: { severity: 'error', text: internalText[locale].replace('{ref}', ref) },
    ...(jobId === undefined ? {} : { jobId }),
  };
}

/**
 * Carries an outcome that was already decided (and logged) by a nested invocation, such as
 * the command a confirmation releases, up through the command that triggered it.
 */
export class DelegatedOutcome extends Error {
  readonly outcome: Outcome;

  constructor(outcome: Outcome) {
    super(`delegated outcome: ${outcome.status}`);
    this.outcome = outcome;
  }
}
