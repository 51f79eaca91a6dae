/**
 * One error for a run that failed more than once: the first failure, and every failure of
 * what ran after it (the hook after a backup, forgetting what a failed backup stored). The
 * person reads all of them in the job's result instead of only the first.
 */
import { UserError } from '../core/errors.ts';

function texts(error: unknown): { ru: string; en: string } {
  if (error instanceof UserError) {
    const withHint = (locale: 'ru' | 'en'): string =>
      [error.text(locale), error.hint(locale)].filter((t) => t !== undefined).join(' ');
    return { ru: withHint('ru'), en: withHint('en') };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { ru: text, en: text };
}

/**
 * `first` alone when nothing else failed; else one UserError naming them all. Its cause is
 * `cause` when given: a cancelled job passes the cancel, so that the job runner reports this
 * account of the cancel instead of a bare "cancelled" (src/core/job-runner.ts).
 */
export function withFurtherFailures(
  first: unknown,
  further: readonly unknown[],
  cause: unknown = first,
): unknown {
  if (further.length === 0) return first;
  const head = texts(first);
  const rest = further.map(texts);
  return new UserError(
    'backup-also-failed',
    {
      firstRu: head.ru,
      firstEn: head.en,
      alsoRu: rest.map((t) => t.ru).join(' '),
      alsoEn: rest.map((t) => t.en).join(' '),
    },
    { cause },
  );
}
