/** What the Matrix adapter itself says (not a command), in every language. */
export const matrixTexts = {
  reactions: {
    ru: 'Реакции: {menu} — или напишите {commands}',
    en: 'React: {menu} — or type {commands}',
  },
  fullOutput: {
    ru: 'Вывод целиком — в файле {file}.',
    en: 'The whole output is in the file {file}.',
  },
  encrypted: {
    ru: '🔒 Это зашифрованная комната, а бот pes не умеет читать зашифрованные сообщения: команды здесь не будут выполнены. Создайте для бота незашифрованную комнату (шифрование нельзя выключить в существующей) или пишите ему в незашифрованном личном чате.',
    en: '🔒 This room is end-to-end encrypted and the pes bot cannot read encrypted messages, so commands here will not run. Make an unencrypted room for the bot (encryption cannot be turned off in an existing room) or write to it in an unencrypted direct chat.',
  },
} as const;
