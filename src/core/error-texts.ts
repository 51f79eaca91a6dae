import type { Text } from './i18n.ts';

export interface ErrorText {
  readonly kind: 'usage' | 'denied' | 'failed';
  readonly message: Text;
  readonly hint?: Text;
}

/**
 * Every error a person can see, by stable code. Codes are part of the interface (JSON
 * output, logs, tests): add new ones, never rename.
 */
export const errorTexts = {
  'input-too-long': {
    kind: 'usage',
    message: {
      ru: 'Команда слишком длинная: {length} символов, допустимо не больше {max}.',
      en: 'The command is too long: {length} characters, at most {max} allowed.',
    },
  },
  'unbalanced-quote': {
    kind: 'usage',
    message: {
      ru: 'Незакрытая кавычка {quote} в команде.',
      en: 'Unclosed quote {quote} in the command.',
    },
  },
  'empty-command': {
    kind: 'usage',
    message: { ru: 'Пустая команда.', en: 'Empty command.' },
    hint: { ru: 'Список команд: help', en: 'List of commands: help' },
  },
  'unknown-command': {
    kind: 'usage',
    message: { ru: 'Неизвестная команда «{name}».', en: 'Unknown command "{name}".' },
    hint: { ru: 'Список команд: help', en: 'List of commands: help' },
  },
  'unknown-option': {
    kind: 'usage',
    message: {
      ru: 'Неизвестный параметр {option} у команды {command}.',
      en: 'Unknown option {option} for {command}.',
    },
    hint: { ru: 'Справка: help {command}', en: 'Help: help {command}' },
  },
  'missing-argument': {
    kind: 'usage',
    message: {
      ru: 'Не хватает аргумента <{argument}> у команды {command}.',
      en: 'Missing argument <{argument}> for {command}.',
    },
    hint: { ru: 'Справка: help {command}', en: 'Help: help {command}' },
  },
  'missing-option-value': {
    kind: 'usage',
    message: {
      ru: 'Параметру {option} нужно значение.',
      en: 'Option {option} needs a value.',
    },
  },
  'extra-arguments': {
    kind: 'usage',
    message: {
      ru: 'Лишние аргументы у команды {command}: {extra}.',
      en: 'Too many arguments for {command}: {extra}.',
    },
    hint: { ru: 'Справка: help {command}', en: 'Help: help {command}' },
  },
  'invalid-argument': {
    kind: 'usage',
    message: {
      ru: 'Недопустимое значение {argument}: «{value}» ({reason}).',
      en: 'Invalid {argument}: "{value}" ({reason}).',
    },
  },
  'unknown-service': {
    kind: 'usage',
    message: { ru: 'Неизвестный сервис «{name}».', en: 'Unknown service "{name}".' },
    hint: { ru: 'Известные сервисы: {known}', en: 'Known services: {known}' },
  },
  'not-permitted': {
    kind: 'denied',
    message: {
      ru: 'У {actor} нет права на команду {command}.',
      en: '{actor} may not run {command}.',
    },
    hint: { ru: 'Это разрешено ролям: {roles}', en: 'Roles that allow it: {roles}' },
  },
  'not-permitted-no-role': {
    kind: 'denied',
    message: {
      ru: 'У {actor} нет права на команду {command}, и ни одна роль её не разрешает.',
      en: '{actor} may not run {command}, and no role allows it.',
    },
  },
  'service-busy': {
    kind: 'failed',
    message: {
      ru: '{service} занят: задача {job}, {command} от {actor}, {percent} %.',
      en: '{service} is busy: job {job}, {command} by {actor}, {percent} %.',
    },
    hint: {
      ru: 'Дождитесь окончания или отмените: cancel {job}',
      en: 'Wait for it to finish or cancel it: cancel {job}',
    },
  },
  'unknown-job': {
    kind: 'usage',
    message: { ru: 'Задачи {id} нет.', en: 'There is no job {id}.' },
    hint: { ru: 'Список задач: jobs', en: 'List of jobs: jobs' },
  },
  'job-not-active': {
    kind: 'usage',
    message: {
      ru: 'Задача {id} уже завершена ({state}), отменять нечего.',
      en: 'Job {id} has already ended ({state}); nothing to cancel.',
    },
  },
  'job-cancelled': {
    kind: 'failed',
    message: { ru: 'Задача {id} отменена.', en: 'Job {id} was cancelled.' },
  },
  'confirmation-required': {
    kind: 'usage',
    message: {
      ru: 'Команда {command} требует подтверждения.',
      en: '{command} needs a confirmation.',
    },
    hint: {
      ru: 'Повторите с --yes или запустите в терминале, чтобы ответить на вопрос.',
      en: 'Run it again with --yes, or in a terminal to answer the prompt.',
    },
  },
  'unknown-confirmation': {
    kind: 'usage',
    message: {
      ru: 'Подтверждения с кодом {code} нет или оно уже закрыто.',
      en: 'There is no open confirmation with code {code}.',
    },
  },
  'confirmation-expired': {
    kind: 'usage',
    message: {
      ru: 'Время на подтверждение {code} истекло; запустите команду заново.',
      en: 'Confirmation {code} has expired; run the command again.',
    },
  },
  'confirmation-not-allowed': {
    kind: 'denied',
    message: {
      ru: '{actor} не может подтвердить {code}.',
      en: '{actor} may not decide on {code}.',
    },
    hint: { ru: 'Подтвердить могут: {allowed}', en: 'Who may decide: {allowed}' },
  },
  'confirmation-declined': {
    kind: 'failed',
    message: { ru: 'Отменено, ничего не изменено.', en: 'Cancelled; nothing was changed.' },
  },
  'audit-broken': {
    kind: 'failed',
    message: {
      ru: 'Журнал аудита нарушен: {problems}.',
      en: 'The audit log has been tampered with: {problems}.',
    },
  },
  'docker-unreachable': {
    kind: 'failed',
    message: {
      ru: 'Docker недоступен по адресу {socket}: {reason}.',
      en: 'Cannot reach the Docker engine at {socket}: {reason}.',
    },
    hint: {
      ru: 'Проверьте, что dockerd запущен и DOCKER_HOST указывает на его сокет.',
      en: 'Check that dockerd is running and DOCKER_HOST points at its socket.',
    },
  },
  'docker-error': {
    kind: 'failed',
    message: {
      ru: 'Docker ответил ошибкой: {reason}.',
      en: 'The Docker engine answered with an error: {reason}.',
    },
  },
  'container-unhealthy': {
    kind: 'failed',
    message: {
      ru: 'Контейнер {container} не стал здоровым: {reason}.',
      en: 'Container {container} did not become healthy: {reason}.',
    },
  },
  'service-vanished': {
    kind: 'failed',
    message: {
      ru: 'У сервиса {service} нет контейнеров — ничего не изменено.',
      en: 'Service {service} has no containers; nothing was changed.',
    },
    hint: {
      ru: 'Проверьте status {service} и настройку containers в конфигурации.',
      en: 'Check status {service} and its containers in the configuration.',
    },
  },
  // — logs & restart —
  'unknown-container': {
    kind: 'usage',
    message: {
      ru: 'У сервиса {service} нет контейнера «{container}».',
      en: 'Service {service} has no container "{container}".',
    },
    hint: { ru: 'Контейнеры: {known}', en: 'Its containers: {known}' },
  },
  'invalid-duration': {
    kind: 'usage',
    message: {
      ru: 'Недопустимая длительность {option} «{value}»: нужно целое число и единица s, m, h или d (30s, 10m, 2h, 1d), не больше 30d.',
      en: 'Invalid duration {option} "{value}": a whole number and a unit s, m, h or d (30s, 10m, 2h, 1d), at most 30d.',
    },
  },
  'logs-unavailable': {
    kind: 'failed',
    message: {
      ru: 'Контейнер {container} не хранит журнал (драйвер журналов {driver}).',
      en: 'Container {container} keeps no log (logging driver {driver}).',
    },
  },
  'restart-halted': {
    kind: 'failed',
    message: {
      ru: 'Перезапуск {service} остановлен: контейнер {container} не стал здоровым ({reason}). Уже перезапущены: {restarted}; не тронуты: {untouched}.',
      en: 'Restart of {service} stopped: container {container} did not become healthy ({reason}). Already restarted: {restarted}; not touched: {untouched}.',
    },
    hint: {
      ru: 'Журнал контейнера: logs {service} --container {container}',
      en: "The container's log: logs {service} --container {container}",
    },
  },
  // — scale, update & rollback —
  'scale-out-of-bounds': {
    kind: 'usage',
    message: {
      ru: '{service}: {requested} вне допустимых границ {min}…{max} — ничего не изменено.',
      en: '{service}: {requested} is outside the allowed range {min}…{max}; nothing was changed.',
    },
    hint: {
      ru: 'Границы задаются в конфигурации: services.{service}.scale.min / max.',
      en: 'The bounds are set in the configuration: services.{service}.scale.min / max.',
    },
  },
  'scale-needs-compose': {
    kind: 'usage',
    message: {
      ru: '{service} задан именами контейнеров: новые реплики не попали бы в сервис.',
      en: '{service} is configured by container names: new replicas would not belong to it.',
    },
    hint: {
      ru: 'Масштабировать можно сервис с containers.compose в конфигурации.',
      en: 'Only a service with containers.compose in the configuration can be scaled.',
    },
  },
  'scale-up-failed': {
    kind: 'failed',
    message: {
      ru: 'Масштабирование {service} не удалось на {container}: {reasonRu}. Созданные контейнеры удалены: {removed}.',
      en: 'Scaling {service} failed at {container}: {reasonEn}. The containers it created were removed: {removed}.',
    },
  },
  'scale-down-failed': {
    kind: 'failed',
    message: {
      ru: 'Уменьшение {service} остановилось на {container}: {reasonRu}. Уже удалены: {removed}.',
      en: 'Scaling {service} down stopped at {container}: {reasonEn}. Already removed: {removed}.',
    },
    hint: { ru: 'Состояние: status {service}', en: 'Current state: status {service}' },
  },
  'update-bad-target': {
    kind: 'usage',
    message: {
      ru: '«{value}» — не тег образа и не образ@sha256:… — ничего не изменено.',
      en: '"{value}" is neither an image tag nor image@sha256:…; nothing was changed.',
    },
    hint: {
      ru: 'Тег: буквы, цифры, _ . - (до 128, например 4.5.1); или образ@sha256:<64 hex>.',
      en: 'A tag: letters, digits, _ . - (up to 128, e.g. 4.5.1); or image@sha256:<64 hex>.',
    },
  },
  'image-not-tagged': {
    kind: 'usage',
    message: {
      ru: '{container} запущен из образа по id, к нему нельзя применить тег.',
      en: '{container} runs an image by id; a tag cannot be applied to it.',
    },
    hint: { ru: 'Укажите образ@sha256:…', en: 'Give image@sha256:… instead.' },
  },
  'image-missing': {
    kind: 'failed',
    message: {
      ru: 'Образа {image} нет на этом Docker, а скачивание выключено — ничего не изменено.',
      en: 'The image {image} is not present on this Docker engine and pulling is off; nothing was changed.',
    },
    hint: {
      ru: 'Загрузите образ (docker pull / docker load) или включите docker.pull в конфигурации.',
      en: 'Load the image (docker pull / docker load) or set docker.pull in the configuration.',
    },
  },
  'update-rolled-back': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} не удалось на {container}: {reasonRu}. Всё возвращено как было: {restored}.',
      en: 'Updating {service} failed at {container}: {reasonEn}. Everything was put back as it was: {restored}.',
    },
  },
  'update-rollback-failed': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} не удалось на {container}: {reasonRu}. Возвращены: {restored}; НЕ возвращены: {failed}.',
      en: 'Updating {service} failed at {container}: {reasonEn}. Put back: {restored}; NOT put back: {failed}.',
    },
    hint: {
      ru: 'Старые контейнеры сохранены как *.pes-old: rollback {service}',
      en: 'The old containers are kept as *.pes-old: rollback {service}',
    },
  },
  'update-interrupted': {
    kind: 'failed',
    message: {
      ru: 'У {service} остались контейнеры прерванного обновления: {containers} — ничего не изменено.',
      en: '{service} has containers left by an interrupted update: {containers}; nothing was changed.',
    },
    hint: {
      ru: 'Верните их командой rollback {service}',
      en: 'Put them back with: rollback {service}',
    },
  },
  'nothing-to-roll-back': {
    kind: 'failed',
    message: {
      ru: 'Для {service} не записан прежний образ ({containers}) — откатывать не к чему.',
      en: 'No earlier image is recorded for {service} ({containers}); nothing to roll back to.',
    },
  },
  'update-cleanup-failed': {
    kind: 'failed',
    message: {
      ru: '{service} обновлён, но старые контейнеры не удалось удалить: {containers}.',
      en: '{service} was updated, but the old containers could not be removed: {containers}.',
    },
    hint: {
      ru: 'Удалите их (docker rm) — или верните их командой rollback {service}.',
      en: 'Remove them (docker rm), or go back to them with: rollback {service}',
    },
  },
  'previous-image-gone': {
    kind: 'failed',
    message: {
      ru: 'Прежнего образа {container} — {image} — на этом Docker больше нет; ничего не изменено.',
      en: 'The earlier image of {container}, {image}, is no longer on this Docker engine; nothing was changed.',
    },
    hint: {
      ru: 'Загрузите его снова (docker pull / docker load) или укажите образ явно: update <сервис> <тег>',
      en: 'Load it again (docker pull / docker load) or name the image: update <service> <tag>',
    },
  },
  'plan-stale': {
    kind: 'failed',
    message: {
      ru: '{container} изменился после составления плана: {whyRu} — ничего не изменено.',
      en: '{container} changed after the plan was made: {whyEn}; nothing was changed.',
    },
    hint: { ru: 'Запустите команду ещё раз.', en: 'Run the command again.' },
  },
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
      ru: 'Для {instance} уже существует: {names} — ничего не изменено.',
      en: 'Already there for {instance}: {names}; nothing was changed.',
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
  'mattermost-action-invalid': {
    kind: 'denied',
    message: {
      ru: 'Кнопка не прошла проверку подписи; ничего не выполнено.',
      en: 'The button failed its signature check; nothing was run.',
    },
  },
  // — backup commands —
  'backup-not-configured': {
    kind: 'usage',
    message: {
      ru: 'Резервное копирование не настроено: в конфигурации нет раздела backup.',
      en: 'Backups are not configured: the configuration has no backup section.',
    },
  },
  'backup-nothing-to-back-up': {
    kind: 'usage',
    message: {
      ru: 'У {service} нет источников для копирования (--only {only}) — ничего не сделано.',
      en: '{service} has nothing to back up (--only {only}); nothing was done.',
    },
    hint: {
      ru: 'Тома и базы сервиса задаются в services.{service}.volumes / databases.',
      en: 'A service’s volumes and databases are set in services.{service}.volumes / databases.',
    },
  },
  'backup-tag-invalid': {
    kind: 'usage',
    message: {
      ru: 'Недопустимая метка «{tag}»: буквы, цифры, _ . - (до 40), не «safety».',
      en: 'Invalid tag "{tag}": letters, digits, _ . - (up to 40), not "safety".',
    },
  },
  'backup-source-failed': {
    kind: 'failed',
    message: {
      ru: 'Копирование {service} не удалось на {source}: {reason}. Неполные снимки этого запуска удалены.',
      en: 'Backup of {service} failed at {source}: {reason}. The partial snapshots of this run were removed.',
    },
  },
  'backup-hook-failed': {
    kind: 'failed',
    message: {
      ru: 'Команда после копирования {service} не удалась: {reason}.',
      en: 'The hook after the backup of {service} failed: {reason}.',
    },
    hint: {
      ru: 'Проверьте сервис (например, режим обслуживания): status {service}',
      en: 'Check the service (maintenance mode, for one): status {service}',
    },
  },
  'backup-snapshot-invalid': {
    kind: 'usage',
    message: {
      ru: '«{ref}» — не снимок: нужен latest или id снимка — ничего не изменено.',
      en: '"{ref}" is not a snapshot: expected latest or a snapshot id; nothing was changed.',
    },
    hint: {
      ru: 'Снимки сервиса: backups <сервис>',
      en: 'The snapshots of a service: backups <service>',
    },
  },
  'backup-snapshot-unknown': {
    kind: 'usage',
    message: {
      ru: 'Снимка {ref} у {service} нет — ничего не изменено.',
      en: '{service} has no snapshot {ref}; nothing was changed.',
    },
    hint: { ru: 'Снимки: backups {service}', en: 'Its snapshots: backups {service}' },
  },
  'backup-snapshot-other-service': {
    kind: 'usage',
    message: {
      ru: 'Снимок {ref} принадлежит {owner}, а не {service} — ничего не изменено.',
      en: 'Snapshot {ref} belongs to {owner}, not to {service}; nothing was changed.',
    },
    hint: { ru: 'Снимки: backups {service}', en: 'Its snapshots: backups {service}' },
  },
  'backup-snapshot-ambiguous': {
    kind: 'usage',
    message: {
      ru: 'Начало id {ref} подходит к нескольким снимкам {service} — ничего не изменено.',
      en: 'The id prefix {ref} matches several snapshots of {service}; nothing was changed.',
    },
    hint: {
      ru: 'Укажите id полностью: backups {service}',
      en: 'Give the whole id: backups {service}',
    },
  },
  'backup-snapshot-out-of-scope': {
    kind: 'usage',
    message: {
      ru: 'В снимке {ref} нет ничего из выбранного (он содержит: {sources}) — ничего не изменено.',
      en: 'Snapshot {ref} holds none of the chosen sources (it holds: {sources}); nothing was changed.',
    },
  },
  'backup-no-snapshots': {
    kind: 'usage',
    message: {
      ru: 'У {service} ещё нет снимков.',
      en: '{service} has no snapshots yet.',
    },
    hint: { ru: 'Сделать: backup {service}', en: 'Make one: backup {service}' },
  },
  'backup-source-gone': {
    kind: 'usage',
    message: {
      ru: 'Источника {source} больше нет в настройках {service} — восстанавливать некуда.',
      en: 'The source {source} is no longer configured for {service}; there is nowhere to restore it.',
    },
  },
  'backup-plan-changed': {
    kind: 'failed',
    message: {
      ru: 'Снимки {service} для «{ref}» изменились после подтверждения — ничего не изменено.',
      en: 'The snapshots of {service} for "{ref}" changed after the confirmation; nothing was changed.',
    },
    hint: { ru: 'Запустите команду ещё раз.', en: 'Run the command again.' },
  },
  'backup-safety-failed': {
    kind: 'failed',
    message: {
      ru: 'Страховочная копия {service} перед восстановлением не удалась: {reasonRu}. Сервис не тронут.',
      en: 'The safety backup of {service} before the restore failed: {reasonEn}. The service was not touched.',
    },
  },
  'backup-restore-mismatch': {
    kind: 'failed',
    message: {
      ru: 'Данные {source} из снимка не совпали с записанными при копировании ({problems}).',
      en: 'The data of {source} read from the snapshot differs from what was recorded at backup ({problems}).',
    },
  },
  'backup-restore-failed': {
    kind: 'failed',
    message: {
      ru: 'Восстановление {service} не удалось: {reasonRu}. Сервис снова запущен.',
      en: 'Restoring {service} failed: {reasonEn}. The service was started again.',
    },
    hint: {
      ru: 'Вернуть состояние до восстановления: restore {service} {safety}',
      en: 'To return to the state before the restore: restore {service} {safety}',
    },
  },
  'backup-restore-failed-down': {
    kind: 'failed',
    message: {
      ru: 'Восстановление {service} не удалось: {reasonRu}. Запустить сервис снова НЕ удалось.',
      en: 'Restoring {service} failed: {reasonEn}. The service could NOT be started again.',
    },
    hint: {
      ru: 'Вернуть состояние до восстановления: restore {service} {safety}; затем status {service}',
      en: 'To return to the state before the restore: restore {service} {safety}; then status {service}',
    },
  },
  'backup-service-unhealthy': {
    kind: 'failed',
    message: {
      ru: '{service} не стал здоровым за {seconds} с (состояние: {state}).',
      en: '{service} did not become healthy within {seconds} s (state: {state}).',
    },
  },
  'backup-verify-failed': {
    kind: 'failed',
    message: {
      ru: 'Проверка копий {service} не прошла: {problems}.',
      en: 'Verification of the backups of {service} failed: {problems}.',
    },
    hint: {
      ru: 'Сделайте новую копию (backup {service}) и проверьте хранилище.',
      en: 'Make a new backup (backup {service}) and look into the repository.',
    },
  },
  // — backup engines & sources —
  'backup-program-missing': {
    kind: 'failed',
    message: {
      ru: 'Программа {program} не установлена на машине бота.',
      en: 'The program {program} is not installed on the bot’s machine.',
    },
    hint: {
      ru: 'Установите пакет Debian: restic, borgbackup или postgresql-client.',
      en: 'Install the Debian package: restic, borgbackup or postgresql-client.',
    },
  },
  'backup-repo-wrong-password': {
    kind: 'failed',
    message: {
      ru: 'Неверный пароль репозитория {engine} {repository}; ничего не изменено.',
      en: 'Wrong password for the {engine} repository {repository}; nothing was changed.',
    },
    hint: {
      ru: 'Проверьте секрет, на который ссылается backup.password.',
      en: 'Check the secret that backup.password refers to.',
    },
  },
  'backup-repo-missing': {
    kind: 'failed',
    message: {
      ru: 'Репозитория {engine} по адресу {repository} нет.',
      en: 'There is no {engine} repository at {repository}.',
    },
    hint: {
      ru: 'Проверьте backup.repository; новый репозиторий бот создаёт сам при первом копировании.',
      en: 'Check backup.repository; the bot creates a new repository itself at the first backup.',
    },
  },
  'backup-repo-locked': {
    kind: 'failed',
    message: {
      ru: 'Репозиторий {repository} заблокирован ({holder}); ничего не изменено.',
      en: 'The repository {repository} is locked ({holder}); nothing was changed.',
    },
    hint: {
      ru: 'Если никакое копирование сейчас не идёт, блокировка осталась от прерванного процесса. Снять её: backup unlock (администратор) или вручную: {command}',
      en: 'If no backup is running now, the lock is left from an interrupted process. To clear it: backup unlock (admins), or by hand: {command}',
    },
  },
  'backup-engine-failed': {
    kind: 'failed',
    message: {
      ru: '{engine} {operation} завершился с ошибкой (код {code}): {reason}',
      en: '{engine} {operation} failed (exit {code}): {reason}',
    },
  },
  'backup-engine-tag-invalid': {
    kind: 'usage',
    message: {
      ru: 'Недопустимое имя или метка снимка: «{tag}».',
      en: 'Invalid snapshot name or tag: "{tag}".',
    },
  },
  'backup-stream-unreadable': {
    kind: 'failed',
    message: {
      ru: 'Данные {source} прочитаны не полностью; неполный снимок удалён.',
      en: 'The data of {source} could not be read completely; the incomplete snapshot was removed.',
    },
  },
  'backup-stream-empty': {
    kind: 'failed',
    message: {
      ru: 'Источник {source} не выдал ни байта; снимок не сделан.',
      en: 'The source {source} produced no data; no snapshot was made.',
    },
  },
  'backup-producer-failed': {
    kind: 'failed',
    message: {
      ru: 'Чтение {source} не удалось (код {code}): {reason}',
      en: 'Reading {source} failed (exit {code}): {reason}',
    },
  },
  'backup-partial-left': {
    kind: 'failed',
    message: {
      ru: 'Копирование {source} не удалось, и неполный снимок задания {job} удалить тоже не вышло: {reason}',
      en: 'The backup of {source} failed, and its partial snapshot (job {job}) could not be removed either: {reason}',
    },
    hint: {
      ru: 'Не восстанавливайте снимки задания {job}. Если репозиторий заблокирован: {command}',
      en: 'Do not restore the snapshots of job {job}. If the repository is locked: {command}',
    },
  },
  'backup-snapshot-not-found': {
    kind: 'usage',
    message: {
      ru: 'В репозитории {repository} нет снимка {snapshot}.',
      en: 'The repository {repository} has no snapshot {snapshot}.',
    },
  },
  'backup-check-subset-invalid': {
    kind: 'usage',
    message: {
      ru: 'Доля данных для проверки «{subset}» не понята: нужно, например, 10%, 1/5 или 500M.',
      en: 'The share of data to check "{subset}" is not understood: expected e.g. 10%, 1/5 or 500M.',
    },
  },
  'backup-check-failed': {
    kind: 'failed',
    message: {
      ru: 'Проверка репозитория {engine} нашла ошибки: {reason}',
      en: 'The {engine} repository check found errors: {reason}',
    },
  },
  'backup-volume-missing': {
    kind: 'failed',
    message: {
      ru: 'Тома {volume} нет на Docker-хосте.',
      en: 'There is no volume {volume} on the Docker host.',
    },
    hint: {
      ru: 'Проверьте services.<сервис>.volumes: docker volume ls',
      en: 'Check services.<service>.volumes: docker volume ls',
    },
  },
  'backup-volume-full': {
    kind: 'failed',
    message: {
      ru: 'На томе {volume} кончилось место при восстановлении: {reason}. Снимок цел.',
      en: 'The volume {volume} ran out of space during the restore: {reason}. The snapshot is intact.',
    },
    hint: {
      ru: 'Освободите или увеличьте место тома и повторите восстановление.',
      en: 'Free or add space for the volume and run the restore again.',
    },
  },
  'backup-consumer-failed': {
    kind: 'failed',
    message: {
      ru: 'Запись {source} из снимка не удалась (код {code}): {reason}',
      en: 'Writing {source} from the snapshot failed (exit {code}): {reason}',
    },
  },
  'backup-restore-unsupported': {
    kind: 'usage',
    message: {
      ru: 'Для {source} не задана команда восстановления (restore) — его можно только копировать.',
      en: '{source} has no restore command configured; it can only be backed up.',
    },
  },
  'backup-helper-image-missing': {
    kind: 'failed',
    message: {
      ru: 'Образа {image} для работы с томами нет на Docker-хосте.',
      en: 'The image {image} that streams volumes is not on the Docker host.',
    },
    hint: {
      ru: 'Загрузите его (docker pull {image}) или укажите другой в backup.helperImage: нужны tar, find и rm.',
      en: 'Pull it (docker pull {image}) or name another in backup.helperImage: it needs tar, find and rm.',
    },
  },
  'backup-hook-command-failed': {
    kind: 'failed',
    message: {
      ru: 'Команда «{command}» в контейнере {container} завершилась с кодом {code}: {reason}',
      en: 'The command "{command}" in the container {container} exited with {code}: {reason}',
    },
  },
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
  'silence-invalid': {
    kind: 'usage',
    message: {
      ru: 'Не понял «{word}»: нужно silence <метка=значение …> <срок: 30m, 1h, 1d, до 90d> [комментарий].',
      en: 'Cannot read "{word}": expected silence <label=value …> <duration: 30m, 1h, 1d, up to 90d> [comment].',
    },
    hint: {
      ru: 'Хотя бы одно условие должно быть «=» (не пустой regex на всё).',
      en: 'At least one matcher must be an equality (not a catch-all regex).',
    },
  },
  'config-invalid': {
    kind: 'usage',
    message: {
      ru: 'Ошибка в конфигурации {path}: {problems}',
      en: 'Invalid configuration {path}: {problems}',
    },
  },
  'config-unreadable': {
    kind: 'usage',
    message: {
      ru: 'Не удаётся прочитать конфигурацию {path}: {reason}.',
      en: 'Cannot read the configuration {path}: {reason}.',
    },
  },
  'config-secret-missing': {
    kind: 'usage',
    message: {
      ru: 'В конфигурации {path} не найден секрет {secret} (нужен для {at}).',
      en: 'Configuration {path}: the secret {secret} is missing (needed by {at}).',
    },
  },
} satisfies Record<string, ErrorText>;

export type ErrorCode = keyof typeof errorTexts;
