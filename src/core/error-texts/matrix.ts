import type { ErrorText } from './error-text.ts';

/** Errors of the Matrix front end. */
export const matrixErrorTexts = {
  // — matrix —
  'matrix-room-not-served': {
    kind: 'denied',
    message: {
      ru: 'Бот не принимает команды в этой комнате.',
      en: 'The bot does not take commands in this room.',
    },
    hint: {
      ru: 'Напишите боту в личный чат или попросите администратора добавить комнату в matrix.rooms.',
      en: 'Write to the bot in a direct chat, or ask an admin to add the room to matrix.rooms.',
    },
  },
  'matrix-command-too-old': {
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
  'matrix-message-too-long': {
    kind: 'usage',
    message: {
      ru: 'Сообщение слишком длинное для команды ({size} Б, не больше {limit} Б); ничего не выполнено.',
      en: 'The message is too long for a command ({size} bytes, at most {limit}); nothing was run.',
    },
  },
  'matrix-command-not-encrypted': {
    kind: 'denied',
    message: {
      ru: 'В зашифрованной комнате бот выполняет только зашифрованные команды; эта пришла незашифрованной и не выполнена.',
      en: 'In an encrypted room the bot runs only encrypted commands; this one arrived unencrypted and was not run.',
    },
  },
  'matrix-reaction-not-encrypted': {
    kind: 'denied',
    message: {
      ru: 'Реакции не шифруются, поэтому в зашифрованной комнате ничего не решают: напишите «{command}».',
      en: 'Reactions are not encrypted, so in an encrypted room they decide nothing: type "{command}".',
    },
  },
} satisfies Record<string, ErrorText>;
