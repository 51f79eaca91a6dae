/** Words for the steps and results of restart, scale, update and rollback, in both languages. */
import type { CommandContext } from '../src/core/context.ts';
import type { Text } from '../src/core/i18n.ts';
import type {
  ContainerReport,
  ContainerState,
  ImageChange,
  StepEvent,
} from '../src/core/platform.ts';

const phaseTexts: Readonly<Record<StepEvent['phase'], Text>> = {
  pulling: { ru: 'загрузка образа', en: 'pulling the image' },
  stopping: { ru: 'остановка', en: 'stopping' },
  starting: { ru: 'запуск', en: 'starting' },
  creating: { ru: 'создание', en: 'creating' },
  removing: { ru: 'удаление', en: 'removing' },
  waiting: { ru: 'ждём готовности', en: 'waiting until healthy' },
  healthy: { ru: 'готов', en: 'healthy' },
  failed: { ru: 'сбой', en: 'failed' },
  'rolling-back': { ru: 'возврат прежнего', en: 'putting the old one back' },
  'rolled-back': { ru: 'прежний возвращён', en: 'the old one is back' },
};

const actionTexts: Readonly<Record<ContainerReport['action'], Text>> = {
  restarted: { ru: 'перезапущен', en: 'restarted' },
  created: { ru: 'создан', en: 'created' },
  removed: { ru: 'остановлен и удалён', en: 'stopped and removed' },
  updated: { ru: 'обновлён', en: 'updated' },
  'rolled-back': { ru: 'возвращён', en: 'put back' },
};

const healthTexts: Readonly<Record<ContainerReport['health'], Text>> = {
  healthy: { ru: 'здоров', en: 'healthy' },
  running: { ru: 'работает (без проверки здоровья)', en: 'running (no health check)' },
  starting: { ru: 'запускается', en: 'starting' },
  unhealthy: { ru: 'нездоров', en: 'unhealthy' },
  none: { ru: 'без проверки здоровья', en: 'no health check' },
  stopped: { ru: 'остановлен', en: 'stopped' },
};

/** Docker's container states, as people read them (status, restart --dry-run). */
const stateTexts: Readonly<Record<ContainerState, Text>> = {
  running: { ru: 'работает', en: 'running' },
  restarting: { ru: 'перезапускается', en: 'restarting' },
  paused: { ru: 'приостановлен', en: 'paused' },
  created: { ru: 'создан, не запущен', en: 'created' },
  exited: { ru: 'остановлен', en: 'exited' },
  dead: { ru: 'мёртв', en: 'dead' },
  removing: { ru: 'удаляется', en: 'removing' },
};

/** A container's state in the reader's language. */
export function containerStateText(ctx: CommandContext, state: ContainerState): string {
  return ctx.t(stateTexts[state]);
}

/** A container's health (or how a step left it) in the reader's language. */
export function healthText(ctx: CommandContext, health: ContainerReport['health']): string {
  return ctx.t(healthTexts[health]);
}

const texts = {
  seconds: { ru: '{n} с', en: '{n} s' },
  toPull: { ru: 'будет загружен', en: 'to be pulled' },
  none: { ru: 'нет', en: 'none' },
  undoing: { ru: '↩ откат после сбоя — {step}', en: '↩ rolling back after a failure: {step}' },
} as const;

/** `moodle-1: stopping` for the job's progress line. */
export function stepText(ctx: CommandContext, event: StepEvent): string {
  return `${event.container}: ${ctx.t(phaseTexts[event.phase])}`;
}

/**
 * A reporter that turns platform steps into job progress. After a failed step, what the
 * platform does is putting things back (an update's automatic rollback, a scale removing the
 * replicas it made): it says so, and the share shown stays where the work stopped instead of
 * jumping to 100 % at the failure and starting again from 0 for the rollback.
 */
export function progressReporter(ctx: CommandContext): (event: StepEvent) => void {
  let done = 0;
  let failed = false;
  return (event) => {
    if (event.phase === 'failed' && !failed) {
      failed = true;
      ctx.progress(done, stepText(ctx, event));
      return;
    }
    if (!failed) {
      done = event.fraction;
      ctx.progress(done, stepText(ctx, event));
      return;
    }
    ctx.progress(done, ctx.t(texts.undoing, { step: stepText(ctx, event) }));
  };
}

/** `created · healthy · 2.1 s` */
export function reportLine(ctx: CommandContext, report: ContainerReport): string {
  const n = new Intl.NumberFormat(ctx.locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(report.durationMs / 1000);
  return [
    ctx.t(actionTexts[report.action]),
    ctx.t(healthTexts[report.health]),
    ctx.t(texts.seconds, { n }),
  ].join(' · ');
}

/** The short form of an image id, as `docker images` shows it. */
export function shortImageId(id: string | undefined): string {
  if (id === undefined || id === '') return '—';
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * `pes/app:1 (87589906b6a4) → pes/app:2 (55b1868fccda)`. Once `done`, an image that was to be
 * pulled has been: it is named without the "to be pulled" of the plan.
 */
export function changeLine(ctx: CommandContext, change: ImageChange, done = false): string {
  const from = `${change.from.reference} (${shortImageId(change.from.id)})`;
  if (change.to.id === undefined && done) return `${from} → ${change.to.reference}`;
  const to = change.to.id === undefined ? ctx.t(texts.toPull) : shortImageId(change.to.id);
  return `${from} → ${change.to.reference} (${to})`;
}

/** Names as a list, or a word for none. */
export function nameList(ctx: CommandContext, names: readonly string[]): string {
  return names.length === 0 ? ctx.t(texts.none) : names.join(', ');
}
