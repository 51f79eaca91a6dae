/** Texts of approvals (cards, decisions, reminders), in every language. */
import type { PluralText } from './plural.ts';

export const approvalTexts = {
  commandTitle: { ru: 'Одобрение №{id}: {text}', en: 'Approval #{id}: {text}' },
  commandAsked: {
    ru: '{who} просит выполнить `{text}`. Нужно одобрение: {needed} из ролей {roles}, до {until}.',
    en: '{who} asks to run `{text}`. It needs approval: {needed} of the roles {roles}, by {until}.',
  },
  latest: {
    ru: '`latest` — самый новый снимок на момент выполнения, а не на момент запроса.',
    en: '`latest` is the newest snapshot when it runs, not when it was asked.',
  },
  pendingOutcome: {
    ru: 'Команде `{text}` нужно одобрение ({needed} из ролей {roles}): заявка №{id} отправлена. Решение — до {until}.',
    en: '`{text}` needs approval ({needed} of the roles {roles}): approval #{id} was sent. The decision is due by {until}.',
  },
  approve: { ru: 'Одобрить', en: 'Approve' },
  reject: { ru: 'Отклонить', en: 'Reject' },
  how: {
    ru: 'Решить: approve {id} или reject {id} [причина].',
    en: 'Decide: approve {id} or reject {id} [reason].',
  },
  approvedLine: { ru: '✅ Одобрил(а) {who} — {at}', en: '✅ Approved by {who} — {at}' },
  rejectedLine: { ru: '✖ Отклонил(а) {who} — {at}', en: '✖ Rejected by {who} — {at}' },
  because: { ru: ': {reason}', en: ': {reason}' },
  state: {
    pending: { ru: 'Ждёт решения до {until}.', en: 'Waiting for a decision until {until}.' },
    approved: { ru: 'Одобрено.', en: 'Approved.' },
    rejected: { ru: 'Отклонено.', en: 'Rejected.' },
    expired: {
      ru: '⌛ Никто не решил вовремя; срок истёк {until}.',
      en: '⌛ Nobody decided in time; it expired {until}.',
    },
  },
  counted: {
    ru: 'Ваше решение учтено: {have} из {needed}.',
    en: 'Your decision counts: {have} of {needed}.',
  },
  released: {
    ru: 'Одобрено ({have} из {needed}): `{text}` выполняется от имени {who}.',
    en: 'Approved ({have} of {needed}): `{text}` runs as {who} asked.',
  },
  rejectedOutcome: {
    ru: 'Отклонено: `{text}` не будет выполнено.',
    en: 'Rejected: `{text}` will not run.',
  },
  reminder: {
    ru: '⏰ Напоминание: №{id} ({text}) ждёт решения до {until}; нужно ещё {left}.',
    en: '⏰ Reminder: #{id} ({text}) waits for a decision until {until}; {left} more needed.',
  },
  expiredTold: {
    ru: '⌛ Ваш запрос `{text}` (№{id}) никто не одобрил вовремя; он закрыт, ничего не сделано.',
    en: '⌛ Nobody approved your request `{text}` (#{id}) in time; it is closed and nothing was done.',
  },
} as const;

export const votesText: PluralText = {
  ru: {
    one: '{count} одобрение из {needed}',
    few: '{count} одобрения из {needed}',
    many: '{count} одобрений из {needed}',
    other: '{count} одобрения из {needed}',
  },
  en: { one: '{count} approval of {needed}', other: '{count} approvals of {needed}' },
};
