/** What the backup commands share: options, the job tag, sizes, and progress in words. */
import { z } from 'zod';
import type { BackupStep, BackupStepReporter } from '../src/core/backup.ts';
import type { OptionSpec } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import type { Text } from '../src/core/i18n.ts';

export const onlyOption = {
  name: 'only',
  flags: '--only <kind>',
  description: { ru: 'только volumes или databases', en: 'only volumes or databases' },
  schema: z.enum(['volumes', 'databases']).optional(),
} as const satisfies OptionSpec;

/**
 * The job tag of a run: the job number, and when it started, so that two state databases
 * (a new install, a second bot) writing to one repository never share a tag.
 */
export function jobTag(ctx: CommandContext, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${ctx.jobId ?? 0}-${stamp}`;
}

const sizeUnits: Readonly<Record<'ru' | 'en', readonly string[]>> = {
  ru: ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'],
  en: ['B', 'KB', 'MB', 'GB', 'TB'],
};

/** `1,2 ГБ` / `1.2 GB` (powers of 1024, as restic and borg print them). */
export function formatBytes(
  ctx: Pick<CommandContext, 'locale'>,
  bytes: number | undefined,
): string {
  if (bytes === undefined) return '—';
  const units = sizeUnits[ctx.locale];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
  const n = new Intl.NumberFormat(ctx.locale, { maximumFractionDigits: digits }).format(value);
  return `${n} ${units[unit] ?? ''}`;
}

export function formatSeconds(ctx: Pick<CommandContext, 'locale'>, ms: number): string {
  const n = new Intl.NumberFormat(ctx.locale, { maximumFractionDigits: 1 }).format(ms / 1000);
  return ctx.locale === 'ru' ? `${n} с` : `${n} s`;
}

const phaseTexts: Readonly<Record<BackupStep['phase'], Text>> = {
  'hooks-before': { ru: 'команды перед копированием', en: 'hooks before the backup' },
  backup: { ru: 'копирование {source}', en: 'backing up {source}' },
  retention: { ru: 'политика хранения', en: 'applying the retention policy' },
  'hooks-after': { ru: 'команды после копирования', en: 'hooks after the backup' },
  safety: { ru: 'страховочная копия {source}', en: 'safety backup of {source}' },
  stopping: { ru: 'остановка сервиса', en: 'stopping the service' },
  restoring: { ru: 'восстановление {source}', en: 'restoring {source}' },
  starting: { ru: 'запуск сервиса', en: 'starting the service' },
  waiting: { ru: 'ждём готовности', en: 'waiting until healthy' },
  check: { ru: 'проверка хранилища', en: 'checking the repository' },
  drill: { ru: 'пробное восстановление {source}', en: 'restore drill of {source}' },
};

const detailTexts = {
  of: { ru: '{done} из {total}', en: '{done} of {total}' },
  eta: { ru: 'осталось {eta}', en: 'ETA {eta}' },
} as const;

export function stepText(ctx: CommandContext, step: BackupStep): string {
  const parts = [ctx.t(phaseTexts[step.phase], { source: step.source ?? '' }).trim()];
  if (step.bytesDone !== undefined) {
    const done = formatBytes(ctx, step.bytesDone);
    parts.push(
      step.bytesTotal === undefined
        ? done
        : ctx.t(detailTexts.of, { done, total: formatBytes(ctx, step.bytesTotal) }),
    );
  }
  if (step.etaSeconds !== undefined) {
    parts.push(ctx.t(detailTexts.eta, { eta: formatSeconds(ctx, step.etaSeconds * 1000) }));
  }
  return parts.join(' · ');
}

/**
 * Progress in words, shown in place. The engine reports several times a second; every
 * report is a write to the jobs table, so only a new phase or a visible move gets through.
 */
export function reportSteps(ctx: CommandContext, minIntervalMs = 500): BackupStepReporter {
  let last = { at: 0, key: '', fraction: -1 };
  return (step) => {
    const now = Date.now();
    const key = `${step.phase}:${step.source ?? ''}`;
    if (key === last.key && now - last.at < minIntervalMs && step.fraction - last.fraction < 0.05) {
      return;
    }
    last = { at: now, key, fraction: step.fraction };
    ctx.progress(step.fraction, stepText(ctx, step));
  };
}
