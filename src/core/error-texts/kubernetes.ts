import type { ErrorText } from './error-text.ts';

/** Errors of services on a Kubernetes cluster: reaching it, permissions, workloads. */
export const kubernetesErrorTexts = {
  'kubernetes-not-in-cluster': {
    kind: 'failed',
    message: {
      ru: 'Кластер {cluster} задан как inCluster, но бот запущен не в поде Kubernetes: {whyRu}.',
      en: 'Cluster {cluster} is set to inCluster, but the bot does not run in a Kubernetes pod: {whyEn}.',
    },
    hint: {
      ru: 'Запустите бота в кластере с сервисным аккаунтом или укажите kubeconfig: clusters.{cluster}.kubeconfig',
      en: 'Run the bot in the cluster with a service account, or give a kubeconfig: clusters.{cluster}.kubeconfig',
    },
  },
  'kubernetes-config-failed': {
    kind: 'failed',
    message: {
      ru: 'Кластер {cluster}: kubeconfig {path} не подходит — {reasonRu}.',
      en: 'Cluster {cluster}: the kubeconfig {path} cannot be used: {reasonEn}.',
    },
  },
  'kubernetes-image-no-container': {
    kind: 'usage',
    message: {
      ru: 'Ни один контейнер не запущен из {repository} (контейнеры: {containers}) — ничего не изменено.',
      en: 'No container runs {repository} (containers: {containers}); nothing was changed.',
    },
    hint: {
      ru: 'Укажите образ того же репозитория, что у контейнера, или только новый тег.',
      en: 'Give an image of the same repository as the container, or just a new tag.',
    },
  },
  'kubernetes-unreachable': {
    kind: 'failed',
    message: {
      ru: 'API-сервер кластера {cluster} не отвечает ({reason}) — ничего не изменено.',
      en: 'The API server of cluster {cluster} does not answer ({reason}); nothing was changed.',
    },
  },
  'kubernetes-unauthorized': {
    kind: 'failed',
    message: {
      ru: 'Кластер {cluster} не принял учётные данные бота (401): токен истёк или неверен — ничего не изменено.',
      en: "Cluster {cluster} refused the bot's credentials (401): the token is expired or wrong; nothing was changed.",
    },
  },
  'kubernetes-forbidden': {
    kind: 'failed',
    message: {
      ru: 'Учётной записи бота запрещено действие {verb} над {resource} в пространстве имён {namespace}: выдайте право {verb} на {grant}.',
      en: "The bot's account may not {verb} {resource} in namespace {namespace}: grant verb {verb} on {grant}.",
    },
  },
  'kubernetes-workload-missing': {
    kind: 'failed',
    message: {
      ru: 'В пространстве имён {namespace} кластера {cluster} нет {kind} {name}.',
      en: 'There is no {kind} {name} in namespace {namespace} of cluster {cluster}.',
    },
  },
  'kubernetes-selector-no-match': {
    kind: 'failed',
    message: {
      ru: 'В пространстве имён {namespace} кластера {cluster} ни один {kind} не подходит под метки {selector}.',
      en: 'No {kind} in namespace {namespace} of cluster {cluster} matches the labels {selector}.',
    },
  },
  'kubernetes-selector-ambiguous': {
    kind: 'failed',
    message: {
      ru: 'Под метки {selector} в пространстве имён {namespace} подходят несколько {kind}: {names} — ничего не изменено.',
      en: 'Several {kind} objects in namespace {namespace} match the labels {selector}: {names}; nothing was changed.',
    },
    hint: {
      ru: 'Уточните selector или укажите имя: services.{service}.workload.name',
      en: 'Narrow the selector or give the name: services.{service}.workload.name',
    },
  },
  'kubernetes-api-error': {
    kind: 'failed',
    message: {
      ru: 'Кластер {cluster} ответил {code} {reason}: {detail}',
      en: 'Cluster {cluster} answered {code} {reason}: {detail}',
    },
  },
  'kubernetes-paused': {
    kind: 'failed',
    message: {
      ru: '{kind} {name} приостановлен (spec.paused) — ничего не изменено.',
      en: '{kind} {name} is paused (spec.paused); nothing was changed.',
    },
    hint: {
      ru: 'Снимите паузу: kubectl rollout resume {resource}/{name} -n {namespace}',
      en: 'Resume it first: kubectl rollout resume {resource}/{name} -n {namespace}',
    },
  },
  'kubernetes-no-rollout-history': {
    kind: 'failed',
    message: {
      ru: 'У {service} нет предыдущей ревизии — откатывать не к чему.',
      en: '{service} has no earlier revision; nothing to roll back to.',
    },
  },
  'kubernetes-update-rolled-back': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} откачено к ревизии {revision}: {reasonRu}.',
      en: 'The update of {service} was rolled back to revision {revision}: {reasonEn}.',
    },
    hint: {
      ru: 'Журнал подов: logs {service}',
      en: "The pods' log: logs {service}",
    },
  },
  'kubernetes-update-rollback-failed': {
    kind: 'failed',
    message: {
      ru: 'Обновление {service} не удалось ({reasonRu}), и вернуть прежнюю ревизию не вышло: {undoRu}.',
      en: 'The update of {service} failed ({reasonEn}), and going back to the earlier revision failed too: {undoEn}.',
    },
    hint: { ru: 'Состояние: status {service}', en: 'Current state: status {service}' },
  },
  'kubernetes-changed-meanwhile': {
    kind: 'failed',
    message: {
      ru: 'Шаблон подов {service} тем временем изменил кто-то другой — он оставлен как есть.',
      en: 'Someone else changed the pod template of {service} meanwhile; it was left as it is.',
    },
  },
  'kubernetes-rollback-to-undone': {
    kind: 'failed',
    message: {
      ru: 'Предыдущая ревизия {service} — неудачное обновление, которое бот уже откатил; откат вернул бы его — ничего не изменено.',
      en: 'The previous revision of {service} is the failed update the bot already undid; a rollback would bring it back; nothing was changed.',
    },
    hint: {
      ru: 'Нужный образ задайте явно: update {service} <тег>',
      en: 'Name the image you want: update {service} <tag>',
    },
  },
  'kubernetes-rollout-failed': {
    kind: 'failed',
    message: {
      ru: '{service} не стал здоровым за {seconds} с: {reasonRu}.',
      en: '{service} did not become healthy within {seconds} s: {reasonEn}.',
    },
    hint: { ru: 'Состояние: status {service}', en: 'Current state: status {service}' },
  },
  'kubernetes-not-supported': {
    kind: 'usage',
    message: {
      ru: 'В Kubernetes пока не поддерживается: {verb}.',
      en: 'Not supported on Kubernetes yet: {verb}.',
    },
  },
} satisfies Record<string, ErrorText>;
