/** What the Mattermost adapter itself says (not a command), in every language. */
export const mattermostTexts = {
  working: {
    ru: '⏳ Выполняю `{command}`… Результат появится в этом канале.',
    en: '⏳ Working on `{command}`… The result will be posted in this channel.',
  },
  confirmedBy: { ru: '✅ Подтвердил(а) {who}', en: '✅ Confirmed by {who}' },
  cancelledBy: { ru: '✖ Отменил(а) {who}', en: '✖ Cancelled by {who}' },
  promptPosted: {
    ru: '⚠️ Для этого нужно подтверждение: запрос — в канале.',
    en: '⚠️ This needs a confirmation: the prompt is in the channel.',
  },
  running: {
    ru: 'Выполняется; результат будет в обсуждении.',
    en: 'Running; the result will follow in the thread.',
  },
  fullOutput: {
    ru: 'Вывод целиком — во вложении {file}.',
    en: 'The whole output is attached as {file}.',
  },
  commandsFallback: { ru: 'Команды: {commands}', en: 'Commands: {commands}' },
  badToken: {
    ru: 'Неверный токен slash-команды.',
    en: 'Invalid slash command token.',
  },
} as const;
