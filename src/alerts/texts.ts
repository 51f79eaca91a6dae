/** The words of alert posts and of the receiver's answers, in Russian and English. */
export const alertTexts = {
  firing: { ru: 'Сработало', en: 'Firing' },
  resolved: { ru: 'Решено', en: 'Resolved' },
  firingCount: { ru: '{firing}, {resolved}', en: '{firing}, {resolved}' },
  firingAlerts: {
    ru: { one: '{count} активный', other: '{count} активных' },
    en: { other: '{count} firing' },
  },
  resolvedAlerts: {
    ru: { one: '{count} решённый', other: '{count} решённых' },
    en: { other: '{count} resolved' },
  },
  more: { ru: '…и ещё {count}', en: '…and {count} more' },
  truncated: {
    ru: {
      one: 'Alertmanager не прислал ещё {count} алерт группы.',
      few: 'Alertmanager не прислал ещё {count} алерта группы.',
      other: 'Alertmanager не прислал ещё {count} алертов группы.',
    },
    en: {
      one: 'Alertmanager left out {count} more alert of the group.',
      other: 'Alertmanager left out {count} more alerts of the group.',
    },
  },
  source: { ru: 'источник', en: 'source' },
  runbook: { ru: 'инструкция', en: 'runbook' },
  dashboard: { ru: 'дашборд', en: 'dashboard' },
  alertmanager: { ru: 'в Alertmanager', en: 'in Alertmanager' },
  update: { ru: 'Обновление', en: 'Update' },
  acknowledge: { ru: 'Беру', en: 'Acknowledge' },
  ackedBy: { ru: '✋ Взял(а): {who}', en: '✋ Acknowledged by {who}' },
  silencedUntil: { ru: '🔕 Тишина до {until} ({who})', en: '🔕 Silenced until {until} by {who}' },
  silenceFor: { ru: 'Тишина {duration}', en: 'Silence {duration}' },
  storm: {
    ru: {
      one: 'Лавина алертов: {count} новая группа за минуту',
      few: 'Лавина алертов: {count} новые группы за минуту',
      other: 'Лавина алертов: {count} новых групп за минуту',
    },
    en: {
      one: 'Alert storm: {count} new group within a minute',
      other: 'Alert storm: {count} new groups within a minute',
    },
  },
  stormOver: {
    ru: {
      one: 'Лавина алертов позади: {count} группа решена',
      few: 'Лавина алертов позади: все {count} группы решены',
      many: 'Лавина алертов позади: все {count} групп решены',
      other: 'Лавина алертов позади: все {count} группы решены',
    },
    en: {
      one: 'Alert storm over: {count} group resolved',
      other: 'Alert storm over: all {count} groups resolved',
    },
  },
  /** `{count}` firing of `{groups}` (the total, from stormOfGroups); agrees with `{count}`. */
  stormFiring: {
    ru: {
      one: '{count} из {groups} ещё активна',
      other: '{count} из {groups} ещё активны',
    },
    en: { other: '{count} of {groups} still firing' },
  },
  /** The total after «из» / "of": Russian takes the genitive, singular after 1, 21, 31…. */
  stormOfGroups: {
    ru: { one: '{count} группы', other: '{count} групп' },
    en: { one: '{count} group', other: '{count} groups' },
  },
  stormResolvedLine: { ru: 'решено', en: 'resolved' },
  stormOtherDurations: {
    ru: 'Тишина на другой срок: замените 1h на 4h или 1d.',
    en: 'To silence for longer, replace 1h with 4h or 1d.',
  },
  stormHint: {
    ru: 'Обновления этих групп идут в ветку этого сообщения.',
    en: 'Updates of these groups go to the thread of this post.',
  },
} as const;
