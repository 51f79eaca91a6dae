/**
 * One check of `pes doctor`: a title, and a run that ends in a finding: fine, failed (with a
 * hint at the fix), or could not be run (saying why). Every run has a time limit.
 */
import { isUserError } from '../core/errors.ts';
import type { Text } from '../core/i18n.ts';

export type Status = 'ok' | 'fail' | 'cannot';

export interface Finding {
  readonly status: Status;
  readonly detail: Text;
  readonly hint?: Text | undefined;
}

export interface Check {
  /** What is checked, e.g. `Docker`, `service moodle`. */
  readonly title: Text;
  run(signal: AbortSignal): Promise<Finding>;
}

/** One request or program of a check that takes longer than this makes the check fail. */
export const defaultCheckTimeoutMs = 10_000;

export function same(text: string): Text {
  return { ru: text, en: text };
}

export function ok(detail: Text): Finding {
  return { status: 'ok', detail };
}

export function fail(detail: Text, hint?: Text): Finding {
  return { status: 'fail', detail, hint };
}

export function cannot(detail: Text, hint?: Text): Finding {
  return { status: 'cannot', detail, hint };
}

/** A UserError as a finding, in its own words and hint; anything else by its message. */
export function fromError(error: unknown): Finding {
  if (isUserError(error)) {
    const hintRu = error.hint('ru');
    const hintEn = error.hint('en');
    return fail(
      { ru: error.text('ru'), en: error.text('en') },
      hintRu === undefined || hintEn === undefined ? undefined : { ru: hintRu, en: hintEn },
    );
  }
  return fail(same(error instanceof Error ? error.message : String(error)));
}

/**
 * Runs a check with its time limit. A check that does not finish in time is a failure that
 * says so; one that throws is a failure with the error's text.
 */
export async function runCheck(check: Check, timeoutMs: number): Promise<Finding> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const seconds = Math.round(timeoutMs / 100) / 10;
  const late = new Promise<Finding>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('doctor check timed out'));
      resolve(
        fail({
          ru: `нет ответа за ${String(seconds).replace('.', ',')} с`,
          en: `no answer in ${seconds} s`,
        }),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([check.run(controller.signal).catch(fromError), late]);
  } finally {
    clearTimeout(timer);
  }
}
