import { randomBytes } from 'node:crypto';
import { type Locale, type Params, localize } from './i18n.ts';
import { errorTexts, type ErrorCode, type ErrorText } from './error-texts.ts';

export type { ErrorCode } from './error-texts.ts';

/**
 * What went wrong, from the caller's point of view. It decides the terminal exit code:
 * usage and config → 2, denied → 3, failed → 1.
 */
export type ErrorKind = 'usage' | 'denied' | 'failed';

/**
 * The one error type shown to people as is: a stable code, a one-line message in the
 * caller's language, and a hint. Anything that is not a UserError is an internal error.
 */
export class UserError extends Error {
  readonly code: ErrorCode;
  readonly params: Params;

  constructor(code: ErrorCode, params: Params = {}, options?: { cause?: unknown }) {
    super(localize(errorTexts[code].message, 'en', params), options);
    this.name = 'UserError';
    this.code = code;
    this.params = params;
  }

  get kind(): ErrorKind {
    return errorTexts[this.code].kind;
  }

  text(locale: Locale): string {
    return localize(errorTexts[this.code].message, locale, this.params);
  }

  hint(locale: Locale): string | undefined {
    const hint = (errorTexts[this.code] as ErrorText).hint;
    return hint === undefined ? undefined : localize(hint, locale, this.params);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/**
 * A reason for a template that ends the sentence itself ("…: {reasonEn}. …"): the text
 * without the stops and white space at its end, so that no sentence ends twice.
 */
export function trimStop(text: string): string {
  return text.replace(/[.\s]+$/, '');
}

/** A short reference that ties what a person sees to the full error in the log. */
export function newErrorRef(): string {
  return randomBytes(3).toString('hex');
}

export const exitCodes: Readonly<Record<ErrorKind | 'ok', number>> = {
  ok: 0,
  failed: 1,
  usage: 2,
  denied: 3,
};
