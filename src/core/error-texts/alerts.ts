import type { ErrorText } from './error-text.ts';

/** Errors of alerts and Alertmanager. */
export const alertsErrorTexts = {
  // — alerts —
  'alerts-not-configured': {
    kind: 'usage',
    message: {
      ru: 'Alertmanager не настроен: укажите alerts.alertmanagerUrl в конфигурации.',
      en: 'Alertmanager is not configured: set alerts.alertmanagerUrl in the config.',
    },
  },
  'alertmanager-failed': {
    kind: 'failed',
    message: {
      ru: 'Alertmanager ({url}) не ответил как нужно: {reason}',
      en: 'Alertmanager ({url}) did not answer as expected: {reason}',
    },
  },
  'silence-unknown': {
    kind: 'usage',
    message: { ru: 'Тишины {id} в Alertmanager нет.', en: 'Alertmanager has no silence {id}.' },
    hint: { ru: 'Список: silences', en: 'List them with: silences' },
  },
  'silence-invalid': {
    kind: 'usage',
    message: {
      ru: 'Не понял «{word}»: нужно silence <метка=значение …> <срок: 30m, 1h, 1d, до 90d> [комментарий].',
      en: 'Cannot read "{word}": expected silence <label=value …> <duration: 30m, 1h, 1d, up to 90d> [comment].',
    },
    hint: {
      ru: 'Хотя бы одно условие должно быть «=» (не пустой regex на всё).',
      en: 'At least one matcher must be an equality (not a catch-all regex).',
    },
  },
} satisfies Record<string, ErrorText>;
