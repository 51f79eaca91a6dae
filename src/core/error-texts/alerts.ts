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
  // One code per fault, so that each answer names only what is wrong with what was typed.
  'silence-invalid': {
    kind: 'usage',
    message: {
      ru: 'Не понял условие «{word}»: нужно метка=значение (или !=, =~, !~).',
      en: 'Cannot read the matcher "{word}": expected label=value (or !=, =~, !~).',
    },
    hint: {
      ru: 'Например: alertname=DiskFull или severity=~"warning|critical"',
      en: 'For example: alertname=DiskFull or severity=~"warning|critical"',
    },
  },
  'silence-bad-duration': {
    kind: 'usage',
    message: {
      ru: 'Не понял срок «{word}»: нужно 30m, 1h, 1d или 2w, не больше 90d.',
      en: 'Cannot read the duration "{word}": expected 30m, 1h, 1d or 2w, at most 90d.',
    },
    hint: {
      ru: 'silence <метка=значение …> <срок> [комментарий]',
      en: 'silence <label=value …> <duration> [comment]',
    },
  },
  'silence-no-duration': {
    kind: 'usage',
    message: {
      ru: 'Не указан срок тишины: нужно 30m, 1h, 1d или 2w, не больше 90d.',
      en: 'No duration for the silence: expected 30m, 1h, 1d or 2w, at most 90d.',
    },
    hint: {
      ru: 'silence <метка=значение …> <срок> [комментарий]',
      en: 'silence <label=value …> <duration> [comment]',
    },
  },
  'silence-matches-all': {
    kind: 'usage',
    message: {
      ru: 'Такая тишина заглушила бы все алерты.',
      en: 'That silence would mute every alert.',
    },
    hint: {
      ru: 'Хотя бы одно условие должно быть «=» или «=~» не на всё, например alertname=DiskFull.',
      en: 'At least one matcher must be "=" or a "=~" that is not a catch-all, e.g. alertname=DiskFull.',
    },
  },
} satisfies Record<string, ErrorText>;
