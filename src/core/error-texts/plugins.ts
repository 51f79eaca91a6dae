import type { ErrorText } from './error-text.ts';

const findComponent = {
  ru: 'Имя компонента (вида mod_attendance) есть на странице плагина в каталоге https://moodle.org/plugins — в адресе и в поле «Component».',
  en: 'The component name (like mod_attendance) is on the plugin’s page in https://moodle.org/plugins — in its address and its “Component” field.',
};

/** Errors of plugin requests and approvals. */
export const pluginsErrorTexts = {
  // — plugin requests —
  'plugins-not-configured': {
    kind: 'usage',
    message: {
      ru: 'Заявки на плагины не настроены: укажите plugins.service в конфигурации.',
      en: 'Plugin requests are not configured: set plugins.service in the config.',
    },
  },
  'plugin-component-invalid': {
    kind: 'usage',
    message: {
      ru: '«{value}» — не имя компонента Moodle: нужно тип_имя, например mod_attendance.',
      en: '"{value}" is not a Moodle component name: expected type_name, e.g. mod_attendance.',
    },
    hint: findComponent,
  },
  'plugin-url-invalid': {
    kind: 'usage',
    message: {
      ru: 'Ссылка {value} ведёт не в каталог плагинов: нужна ссылка вида https://moodle.org/plugins/mod_attendance.',
      en: 'The link {value} is not in the plugins directory: expected one like https://moodle.org/plugins/mod_attendance.',
    },
  },
  'plugin-request-too-long': {
    kind: 'usage',
    message: {
      ru: 'Заявка слишком длинная ({length} знаков, можно до {max}): напишите плагин и коротко зачем.',
      en: 'The request is too long ({length} characters, at most {max}): name the plugin and say briefly why.',
    },
  },
  'plugin-unknown': {
    kind: 'usage',
    message: {
      ru: 'В каталоге Moodle нет плагина {component}.',
      en: 'The Moodle plugins directory has no plugin {component}.',
    },
    hint: findComponent,
  },
  'plugin-no-match': {
    kind: 'usage',
    message: {
      ru: 'В каталоге Moodle не нашлось плагина по словам «{words}».',
      en: 'No plugin in the Moodle directory matches "{words}".',
    },
    hint: findComponent,
  },
  'plugin-directory-down': {
    kind: 'failed',
    message: {
      ru: 'Каталог плагинов Moodle сейчас недоступен, а в памяти бота этого плагина нет ({reason}). Попробуйте позже.',
      en: 'The Moodle plugins directory cannot be reached and the bot has not kept this plugin ({reason}). Try again later.',
    },
  },
  'plugin-site-unreadable': {
    kind: 'failed',
    message: {
      ru: 'Не удалось прочитать версию Moodle на сервисе {service}: {reason}',
      en: 'Could not read the Moodle release of service {service}: {reason}',
    },
  },
  'plugin-request-unknown': {
    kind: 'usage',
    message: { ru: 'Заявки №{id} нет.', en: 'There is no request #{id}.' },
    hint: { ru: 'Список: plugins', en: 'List them with: plugins' },
  },
  'plugin-request-voted': {
    kind: 'usage',
    message: {
      ru: 'Вы уже одобрили заявку №{id}, поэтому не можете к ней присоединиться: одобряют только те, кто не просил.',
      en: 'You already approved request #{id}, so you cannot join it: only people who did not ask approve.',
    },
    private: true,
  },
  // — approvals —
  'approval-not-allowed': {
    kind: 'denied',
    message: {
      ru: '{actor} не может решать по заявке №{id}: решают роли {roles}.',
      en: '{actor} may not decide on request #{id}: the roles {roles} decide.',
    },
    private: true,
  },
  'approval-self': {
    kind: 'denied',
    message: {
      ru: 'Свою заявку №{id} одобрять нельзя: решают другие.',
      en: 'You cannot approve your own request #{id}: others decide.',
    },
    private: true,
  },
  'approval-twice': {
    kind: 'usage',
    message: {
      ru: 'Вы уже решили по заявке №{id}.',
      en: 'You have already decided on request #{id}.',
    },
    private: true,
  },
  'approval-expired': {
    kind: 'usage',
    message: {
      ru: 'Срок решения по заявке №{id} истёк {at}.',
      en: 'The time to decide on request #{id} ran out at {at}.',
    },
    private: true,
  },
  'approval-closed': {
    kind: 'usage',
    message: {
      ru: 'Заявка №{id} уже {state}.',
      en: 'Request #{id} is already {state}.',
    },
    private: true,
  },
  'approval-not-released': {
    kind: 'denied',
    message: {
      ru: 'Одобрение №{id} не разрешает выполнить `{text}`: оно не одобрено или дано на другую команду или другому человеку.',
      en: 'Approval #{id} does not release `{text}`: it is not approved, or it is for another command or another person.',
    },
  },
  'approval-used': {
    kind: 'denied',
    message: {
      ru: 'Одобрение №{id} уже использовано: одобренная команда выполняется один раз.',
      en: 'Approval #{id} was already used: an approved command runs once.',
    },
  },
  'approval-unknown': {
    kind: 'usage',
    message: { ru: 'Одобрения №{id} нет.', en: 'There is no approval #{id}.' },
  },
} satisfies Record<string, ErrorText>;
