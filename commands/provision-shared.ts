/** What provision and deprovision share: words for the steps, lists, secret scrubbing. */
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { makeRedactor } from '../src/core/logger.ts';
import type { StepEvent, StepReporter } from '../src/core/platform.ts';

const phaseTexts: Readonly<Record<StepEvent['phase'], { ru: string; en: string }>> = {
  pulling: { ru: 'загрузка образа {name}', en: 'pulling image {name}' },
  stopping: { ru: 'остановка {name}', en: 'stopping {name}' },
  starting: { ru: 'запуск {name}', en: 'starting {name}' },
  creating: { ru: 'создание {name}', en: 'creating {name}' },
  removing: { ru: 'удаление {name}', en: 'removing {name}' },
  waiting: { ru: 'ожидание готовности {name}', en: 'waiting for {name} to become healthy' },
  healthy: { ru: '{name} готов', en: '{name} is healthy' },
  failed: { ru: '{name}: сбой', en: '{name} failed' },
  'rolling-back': { ru: 'откат {name}', en: 'rolling back {name}' },
  'rolled-back': { ru: '{name} откачен', en: '{name} rolled back' },
};

/** Turns each step of the platform into the job's progress. */
export function reportSteps(ctx: CommandContext): StepReporter {
  return (event) =>
    ctx.progress(event.fraction, ctx.t(phaseTexts[event.phase], { name: event.container }));
}

/** `a`, `b` → "`a`, `b`"; an empty list → "—". */
export function codeList(items: readonly string[]): string {
  return items.length === 0 ? '—' : items.map((item) => `\`${item}\``).join(', ');
}

/**
 * The bot redacts the configuration's secrets, but not the ones made for this run. No text
 * of ours holds them; an engine message that echoes part of a request might, so an error
 * that does is replaced by one with the secrets blanked out.
 */
export function scrubSecrets(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error) || secrets.length === 0) return error;
  const redact = makeRedactor(secrets);
  const seen =
    error instanceof UserError
      ? [error.message, error.text('ru'), error.hint('en') ?? '', error.hint('ru') ?? '']
      : [error.message, error.stack ?? ''];
  if (seen.every((text) => redact(text) === text)) return error;
  return error instanceof UserError
    ? new UserError('docker-error', { reason: redact(error.message) })
    : new Error(redact(error.message));
}
