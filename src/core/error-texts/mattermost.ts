import type { ErrorText } from './error-text.ts';

/** Errors of the Mattermost front end. */
export const mattermostErrorTexts = {
  // — mattermost —
  'mattermost-channel-not-served': {
    kind: 'denied',
    message: {
      ru: 'Бот не принимает команды в этом канале.',
      en: 'The bot does not take commands in this channel.',
    },
    hint: {
      ru: 'Напишите боту в личные сообщения или попросите администратора добавить канал в mattermost.channels.',
      en: 'Write to the bot directly, or ask an admin to add the channel to mattermost.channels.',
    },
  },
  'mattermost-command-too-old': {
    kind: 'usage',
    message: {
      ru: 'Команда «{command}» пришла, пока бот был недоступен ({minutes} мин назад), и не выполнена.',
      en: 'The command "{command}" arrived while the bot was unreachable ({minutes} min ago) and was not run.',
    },
    hint: {
      ru: 'Отправьте её ещё раз, если она ещё нужна.',
      en: 'Send it again if it is still needed.',
    },
  },
  'mattermost-action-stale': {
    kind: 'usage',
    message: {
      ru: 'Этой кнопки на сообщении больше нет (оно изменилось); ничего не выполнено.',
      en: 'This button is no longer on the message (it has changed); nothing was run.',
    },
    hint: {
      ru: 'Обновите сообщение и нажмите кнопку, которая там есть сейчас, или наберите команду.',
      en: 'Reload the message and press a button it has now, or type the command.',
    },
  },
  'mattermost-action-invalid': {
    kind: 'denied',
    message: {
      ru: 'Кнопка не прошла проверку подписи; ничего не выполнено.',
      en: 'The button failed its signature check; nothing was run.',
    },
  },
} satisfies Record<string, ErrorText>;
