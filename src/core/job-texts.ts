import type { JobState } from './jobs.ts';

/** Job states as people read them. */
export const jobStateTexts: Readonly<Record<JobState, { ru: string; en: string }>> = {
  queued: { ru: 'в очереди', en: 'queued' },
  running: { ru: 'выполняется', en: 'running' },
  succeeded: { ru: 'успешно', en: 'succeeded' },
  failed: { ru: 'ошибка', en: 'failed' },
  cancelled: { ru: 'отменена', en: 'cancelled' },
  interrupted: { ru: 'прервана', en: 'interrupted' },
};
