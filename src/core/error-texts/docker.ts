import type { ErrorText } from './error-text.ts';

/** Errors of logs, restart, scale, update and rollback. */
export const dockerErrorTexts = {
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
      ru: 'Обновление {service} откачено: сбой на {container} — {reasonRu}. Всё возвращено как было — {statesRu}.',
      en: 'The update of {service} was rolled back: it failed at {container}: {reasonEn}. Everything was put back as it was: {statesEn}.',
    },
  },
  'update-cancelled': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} отменено на {container}; всё возвращено как было — {statesRu}.',
      en: 'Updating {service} was cancelled at {container}; everything was put back as it was: {statesEn}.',
    },
  },
  'update-rollback-failed': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} остановлено на {container}: {reasonRu}. Вернуть удалось не всё — {statesRu}.',
      en: 'Updating {service} stopped at {container}: {reasonEn}. Not everything could be put back: {statesEn}.',
    },
    hint: {
      ru: 'Старые контейнеры сохранены как *.pes-old: rollback {service}',
      en: 'The old containers are kept as *.pes-old: rollback {service}',
    },
  },
  // The same failures of the rollback command: it reads as a rollback, not as an update.
  'rollback-rolled-back': {
    kind: 'failed',
    message: {
      ru: 'Откат {service} не удался: сбой на {container} — {reasonRu}. Всё возвращено как было — {statesRu}.',
      en: 'The rollback of {service} failed at {container}: {reasonEn}. Everything was put back as it was: {statesEn}.',
    },
  },
  'rollback-cancelled': {
    kind: 'failed',
    message: {
      ru: 'Откат {service} отменён на {container}; всё возвращено как было — {statesRu}.',
      en: 'Rolling back {service} was cancelled at {container}; everything was put back as it was: {statesEn}.',
    },
  },
  'rollback-rollback-failed': {
    kind: 'failed',
    message: {
      ru: 'Откат {service} остановлен на {container}: {reasonRu}. Вернуть удалось не всё — {statesRu}.',
      en: 'Rolling back {service} stopped at {container}: {reasonEn}. Not everything could be put back: {statesEn}.',
    },
    hint: {
      ru: 'Старые контейнеры сохранены как *.pes-old: rollback {service}',
      en: 'The old containers are kept as *.pes-old: rollback {service}',
    },
  },
  'rollback-cleanup-failed': {
    kind: 'failed',
    message: {
      ru: '{service} откачен, но старые контейнеры не удалось удалить: {containers}.',
      en: '{service} was rolled back, but the old containers could not be removed: {containers}.',
    },
    hint: {
      ru: 'Удалите их (docker rm).',
      en: 'Remove them (docker rm).',
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
} satisfies Record<string, ErrorText>;
