/**
 * Why a step failed, for an error that names it in both languages: the message templates
 * use `{reasonRu}` and `{reasonEn}`, since a UserError's params are fixed when it is thrown
 * and the language only when it is shown.
 */
import { trimStop, UserError } from '../../core/errors.ts';

export function reasonParams(error: unknown): { reasonRu: string; reasonEn: string } {
  if (error instanceof UserError) {
    return { reasonRu: trimStop(error.text('ru')), reasonEn: trimStop(error.text('en')) };
  }
  // Not one of ours (a bug, or an abort from deep inside a library): the bare message,
  // which the logs tie to the stack through the error that carries it as the cause.
  const text = error instanceof Error ? error.message : String(error);
  return { reasonRu: trimStop(text), reasonEn: trimStop(text) };
}
