/** What the plugin requests say to teachers and admins, in Russian and English. */
import type { PluralText } from '../core/plural.ts';

export const pluginTexts = {
  requested: {
    ru: 'Заявка №{id} принята: {name} ({component}, версия {release}) для нашего Moodle {branch}. Администраторы решат до {until}; я напишу вам.',
    en: 'Request #{id} is filed: {name} ({component}, version {release}) for our Moodle {branch}. The admins decide by {until}; I will write to you.',
  },
  joined: {
    ru: 'Этот плагин уже просили (заявка №{id}); ваш голос добавлен — теперь просят {supporters}. Я напишу вам, когда администраторы решат.',
    en: 'This plugin was already requested (#{id}); your voice is added — {supporters} now. I will write to you when the admins decide.',
  },
  again: {
    ru: 'Вы уже просили этот плагин: заявка №{id}, {state}.',
    en: 'You already asked for this plugin: request #{id}, {state}.',
  },
  installed: {
    ru: '{name} ({component}) уже установлен на нашем Moodle: версия {release} ({version}).',
    en: '{name} ({component}) is already installed on our Moodle: version {release} ({version}).',
  },
  noVersion: {
    ru: 'У {name} ({component}) нет версии для нашего Moodle {branch}. Он поддерживает: {supports}.',
    en: '{name} ({component}) has no version for our Moodle {branch}. It supports: {supports}.',
  },
  choose: {
    ru: 'Нашлось несколько плагинов по словам «{words}». Какой нужен?',
    en: 'Several plugins match "{words}". Which one?',
  },
  chooseHow: {
    ru: 'Нажмите нужный или напишите: plugin-request <компонент>.',
    en: 'Pick one, or write: plugin-request <component>.',
  },
  cached: {
    ru: '(Каталог плагинов недоступен; сведения из памяти бота на {at}.)',
    en: '(The plugins directory cannot be reached; the facts are the bot’s copy of {at}.)',
  },
  // The card in the admins' room.
  cardTitle: {
    ru: 'Заявка на плагин №{id}: {name} ({component})',
    en: 'Plugin request #{id}: {name} ({component})',
  },
  version: { ru: 'Версия', en: 'Version' },
  supports: { ru: 'Поддерживает Moodle', en: 'Supports Moodle' },
  maturity: { ru: 'Зрелость', en: 'Maturity' },
  size: { ru: 'Размер', en: 'Size' },
  md5: { ru: 'MD5', en: 'MD5' },
  link: { ru: 'Ссылка', en: 'Link' },
  asked: { ru: 'Просят', en: 'Asked by' },
  votes: { ru: 'Решения', en: 'Decisions' },
  unknown: { ru: 'неизвестно', en: 'unknown' },
  askedLine: { ru: '{who} ({at}): {why}', en: '{who} ({at}): {why}' },
  noReason: { ru: 'без пояснения', en: 'no reason given' },
  cardState: {
    pending: {
      ru: 'Ждёт решения до {until}. Решить: plugin approve {id} или plugin reject {id} [причина].',
      en: 'Waiting for a decision until {until}. Decide: plugin approve {id} or plugin reject {id} [reason].',
    },
    approved: {
      ru: '✅ Одобрена. Установка через бота пока недоступна — установите плагин вручную.',
      en: '✅ Approved. Installing through the bot is not available yet — install the plugin by hand.',
    },
    rejected: { ru: '✖ Отклонена.', en: '✖ Rejected.' },
    installed: { ru: '✅ Одобрена и установлена.', en: '✅ Approved and installed.' },
    failed: {
      ru: '✖ Одобрена, но установить не удалось; Moodle возвращён как был.',
      en: '✖ Approved, but the install failed; Moodle was put back as it was.',
    },
    expired: {
      ru: '⌛ Никто не решил вовремя; срок истёк {until}.',
      en: '⌛ Nobody decided in time; it expired {until}.',
    },
  },
  cardInstalling: {
    ru: '✅ Одобрена; бот устанавливает плагин.',
    en: '✅ Approved; the bot is installing the plugin.',
  },
  // Said to the admins and the teachers once decided.
  installNotStarted: {
    ru: '✖ Заявка №{id} ({component}) одобрена, но установка не началась: {line} Ничего не изменено, заявка остаётся одобренной. Повторить: {retry}',
    en: '✖ Request #{id} ({component}) is approved, but the install did not start: {line} Nothing was changed; the request stays approved. To retry: {retry}',
  },
  installerAbsent: {
    ru: 'Заявка №{id} ({component}) одобрена, но установка через бота пока недоступна: плагин не установлен, заявка остаётся одобренной.',
    en: 'Request #{id} ({component}) is approved, but installing through the bot is not available yet: the plugin is not installed and the request stays approved.',
  },
  toldApproved: {
    ru: 'Ваша заявка №{id} на {name} одобрена администраторами. Я напишу, когда плагин будет установлен.',
    en: 'Your request #{id} for {name} was approved by the admins. I will write when the plugin is installed.',
  },
  toldRejected: {
    ru: 'Ваша заявка №{id} на {name} отклонена{reason}.',
    en: 'Your request #{id} for {name} was rejected{reason}.',
  },
  toldExpired: {
    ru: 'По вашей заявке №{id} на {name} никто не решил вовремя; она закрыта. Можно попросить снова.',
    en: 'Nobody decided on your request #{id} for {name} in time; it is closed. You may ask again.',
  },
  reminder: {
    ru: '⏰ Заявка на плагин №{id} ({component}) ждёт решения до {until}; нужно ещё {left}.',
    en: '⏰ Plugin request #{id} ({component}) waits for a decision until {until}; {left} more needed.',
  },
  counted: {
    ru: 'Решение по заявке №{id} учтено: {votes}.',
    en: 'Your decision on request #{id} counts: {votes}.',
  },
  rejectedDone: {
    ru: 'Заявка №{id} отклонена; учителя узнают об этом.',
    en: 'Request #{id} is rejected; the teachers are told.',
  },
  // Lists.
  listTitle: { ru: 'Заявки на плагины', en: 'Plugin requests' },
  listNone: { ru: 'Заявок нет.', en: 'No requests.' },
  listLine: {
    ru: '№{id} {component} — {state}, просят {supporters}, {when}',
    en: '#{id} {component} — {state}, {supporters} asking, {when}',
  },
  state: {
    pending: { ru: 'ждёт решения', en: 'pending' },
    approved: { ru: 'одобрена', en: 'approved' },
    rejected: { ru: 'отклонена', en: 'rejected' },
    expired: { ru: 'просрочена', en: 'expired' },
    installed: { ru: 'плагин установлен', en: 'installed' },
    failed: { ru: 'установка не удалась', en: 'install failed' },
  },
} as const;

export const supportersText: PluralText = {
  ru: {
    one: '{count} учитель',
    few: '{count} учителя',
    many: '{count} учителей',
    other: '{count} учителя',
  },
  en: { one: '{count} teacher', other: '{count} teachers' },
};

export const pluginVotesText: PluralText = {
  ru: {
    one: '{count} одобрение из {needed}',
    few: '{count} одобрения из {needed}',
    many: '{count} одобрений из {needed}',
    other: '{count} одобрения из {needed}',
  },
  en: { one: '{count} approval of {needed}', other: '{count} approvals of {needed}' },
};
