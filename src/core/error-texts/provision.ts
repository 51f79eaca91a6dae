import type { ErrorText } from './error-text.ts';

/** Errors of provision and deprovision. */
export const provisionErrorTexts = {
  // — provision & deprovision —
  'unknown-template': {
    kind: 'usage',
    message: { ru: 'Шаблона «{name}» нет.', en: 'There is no template "{name}".' },
    hint: { ru: 'Шаблоны: {known}', en: 'Templates: {known}' },
  },
  'template-invalid': {
    kind: 'usage',
    message: {
      ru: 'Шаблон {path} с ошибкой: {problems}',
      en: 'The template {path} is invalid: {problems}',
    },
  },
  'provision-param-syntax': {
    kind: 'usage',
    message: {
      ru: 'Параметр №{position} записан не как ключ=значение.',
      en: 'Parameter #{position} is not written as key=value.',
    },
    hint: { ru: 'Например: region=ru-central', en: 'For example: region=ru-central' },
  },
  'provision-param-duplicate': {
    kind: 'usage',
    message: {
      ru: 'Параметр {key} задан дважды.',
      en: 'Parameter {key} is given twice.',
    },
  },
  'provision-unknown-param': {
    kind: 'usage',
    message: {
      ru: 'У шаблона {template} нет параметра {key}; ничего не изменено.',
      en: 'Template {template} has no parameter {key}; nothing was changed.',
    },
    hint: { ru: 'Параметры шаблона: {known}', en: 'Its parameters: {known}' },
  },
  'provision-missing-param': {
    kind: 'usage',
    message: {
      ru: 'Шаблону {template} нужны параметры: {keys}.',
      en: 'Template {template} needs the parameters: {keys}.',
    },
  },
  'provision-invalid-param': {
    kind: 'usage',
    message: {
      ru: 'Недопустимое значение параметра {key}: «{value}» (нужно {pattern}).',
      en: 'Invalid value for parameter {key}: "{value}" (expected {pattern}).',
    },
  },
  'provision-invalid-secret': {
    kind: 'usage',
    message: {
      ru: 'Секрет для параметра {key} не подходит шаблону (нужно {pattern}); значение не показано.',
      en: 'The secret for parameter {key} does not fit the template (expected {pattern}); the value is not shown.',
    },
  },
  'provision-secret-inline': {
    kind: 'usage',
    message: {
      ru: 'Параметр {key} секретный: его значение не вводят в команде.',
      en: 'Parameter {key} is a secret: its value is never typed into a command.',
    },
    hint: {
      ru: 'Не указывайте его, чтобы бот создал случайный, или сошлитесь на секрет из конфигурации: {key}=secret:<имя>',
      en: 'Leave it out to have a random one made, or refer to a secret of the configuration: {key}=secret:<name>',
    },
  },
  'provision-unknown-secret': {
    kind: 'usage',
    message: {
      ru: 'Параметр {key} ссылается на секрет {secret}, которого нет в разделе secrets конфигурации.',
      en: 'Parameter {key} refers to the secret {secret}, which is not in the secrets of the configuration.',
    },
  },
  'provision-exists': {
    kind: 'usage',
    message: {
      ru: 'Имя {instance} уже занято, на Docker уже есть: {names} — ничего не изменено.',
      en: 'The name {instance} is taken; Docker already has: {names}; nothing was changed.',
    },
    hint: {
      ru: 'Выберите другое имя или удалите старое: deprovision {instance} --delete-data',
      en: 'Choose another name, or remove the old one: deprovision {instance} --delete-data',
    },
  },
  'provision-image-missing': {
    kind: 'usage',
    message: {
      ru: 'Образа {image} нет на сервере, а загрузка образов выключена — ничего не изменено.',
      en: 'The image {image} is not on the host and pulling is off; nothing was changed.',
    },
    hint: {
      ru: 'Загрузите его (docker pull {image}) или разрешите боту: docker.pull: true в конфигурации.',
      en: 'Pull it (docker pull {image}) or let the bot: docker.pull: true in the configuration.',
    },
  },
  'provision-network-missing': {
    kind: 'usage',
    message: {
      ru: 'Сети Docker {network} нет — ничего не изменено.',
      en: 'There is no Docker network {network}; nothing was changed.',
    },
    hint: {
      ru: 'Укажите существующую сеть параметром network=…, если шаблон это позволяет.',
      en: 'Name an existing network with network=…, where the template allows it.',
    },
  },
  // The two below follow the text of the error that stopped provisioning (see
  // src/platforms/docker/provision-apply.ts).
  'provision-failed': {
    kind: 'failed',
    message: {
      ru: 'Созданное этим запуском удалено: {removed}.',
      en: 'What this run created was removed: {removed}.',
    },
  },
  'provision-cleanup-incomplete': {
    kind: 'failed',
    message: {
      ru: 'Удалить созданное этим запуском не вышло: {left}.',
      en: 'Could not remove what this run created: {left}.',
    },
    hint: {
      ru: 'Удалите вручную (docker rm -f, docker volume rm) или: deprovision {instance} --delete-data',
      en: 'Remove them by hand (docker rm -f, docker volume rm) or: deprovision {instance} --delete-data',
    },
  },
  'unknown-instance': {
    kind: 'usage',
    message: {
      ru: 'Экземпляра {name}, созданного ботом, нет.',
      en: 'There is no instance {name} made by the bot.',
    },
    hint: {
      ru: 'Удаляется только то, что помечено pes.bot/managed=true и pes.bot/instance={name}.',
      en: 'Only what is labelled pes.bot/managed=true and pes.bot/instance={name} is removed.',
    },
  },
  'deprovision-only-data': {
    kind: 'usage',
    message: {
      ru: 'У {name} не осталось контейнеров; его тома сохранены: {volumes}.',
      en: '{name} has no containers left; its volumes are kept: {volumes}.',
    },
    hint: {
      ru: 'Удалить и их (безвозвратно): deprovision {name} --delete-data',
      en: 'To delete them too (for good): deprovision {name} --delete-data',
    },
  },
} satisfies Record<string, ErrorText>;
