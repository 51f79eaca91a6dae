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
  'kubernetes-exec-target': {
    kind: 'usage',
    message: {
      ru: 'Не понимаю, где выполнить команду в кластере {cluster}: «{target}» — нужно <пространство имён>/<под>[/<контейнер>] с именами DNS-1123.',
      en: 'Cannot tell where to run the command on cluster {cluster}: "{target}"; expected <namespace>/<pod>[/<container>] with DNS-1123 names.',
    },
  },
  'kubernetes-exec-option': {
    kind: 'usage',
    message: {
      ru: 'В кластере {cluster} команду нельзя выполнить с {option}: pods/exec этого не умеет — ничего не запущено.',
      en: 'On cluster {cluster} a command cannot run with {option}: pods/exec has no such setting; nothing was run.',
    },
  },
  'kubernetes-database-no-pod': {
    kind: 'failed',
    message: {
      ru: 'База данных {database} сервиса {service}: у {workload} (пространство имён {namespace}) нет работающего пода с работающим контейнером базы — ничего не сделано.',
      en: 'Database {database} of {service}: {workload} (namespace {namespace}) has no running pod with the database container running; nothing was done.',
    },
    hint: { ru: 'Состояние: status {service}', en: 'See: status {service}' },
  },
  'kubernetes-exec-no-container': {
    kind: 'usage',
    message: {
      ru: 'В поде {pod} (пространство имён {namespace}) нет контейнера «{container}» — ничего не запущено.',
      en: 'Pod {pod} (namespace {namespace}) has no container "{container}"; nothing was run.',
    },
    hint: { ru: 'Контейнеры: {known}', en: 'Its containers: {known}' },
  },
  'kubernetes-exec-no-stdin-close': {
    kind: 'failed',
    message: {
      ru: 'API-сервер кластера {cluster} не умеет закрывать ввод команды (нет протокола v5.channel.k8s.io — старая версия Kubernetes) и не принял соединение — ничего не запущено.',
      en: "The API server of cluster {cluster} cannot close a command's input (no v5.channel.k8s.io: an older Kubernetes) and refused the connection; nothing was run.",
    },
  },
  'kubernetes-exec-failed': {
    kind: 'failed',
    message: {
      ru: 'Команду в поде {pod} (контейнер {container}) выполнить не удалось: {detail}',
      en: 'The command in pod {pod} (container {container}) could not run: {detail}',
    },
  },
  'kubernetes-claim-missing': {
    kind: 'failed',
    message: {
      ru: 'В пространстве имён {namespace} кластера {cluster} нет тома (PersistentVolumeClaim) {volume} — ничего не запущено.',
      en: 'Namespace {namespace} of cluster {cluster} has no PersistentVolumeClaim {volume}; nothing was started.',
    },
  },
  'kubernetes-claim-not-scratch': {
    kind: 'failed',
    message: {
      ru: 'Том (PersistentVolumeClaim) {volume} в пространстве имён {namespace} кластера {cluster} — не временный том бота (нет метки pes-bot.io/scratch): не удалён.',
      en: 'PersistentVolumeClaim {volume} in namespace {namespace} of cluster {cluster} is not a scratch claim of the bot (no pes-bot.io/scratch label); not deleted.',
    },
  },
  'kubernetes-claim-unplaced': {
    kind: 'failed',
    message: {
      ru: 'Том {volume} (пространство имён {namespace}, кластер {cluster}) подключён к поду {pod}, узел которого не известен: под для копии мог бы попасть на другой узел — ничего не запущено.',
      en: 'Volume {volume} (namespace {namespace}, cluster {cluster}) is mounted by pod {pod}, whose node is not known: the backup pod could land on another node; nothing was started.',
    },
    hint: {
      ru: 'Повторите, когда под {pod} будет запущен на узле.',
      en: 'Try again once pod {pod} runs on a node.',
    },
  },
  'kubernetes-claim-pod-not-started': {
    kind: 'failed',
    message: {
      ru: 'Под {pod} для тома {volume} (пространство имён {namespace}, кластер {cluster}) не запустился за {seconds} с на узле {node}: {detail}. Под удалён, данные не тронуты.',
      en: 'Pod {pod} for volume {volume} (namespace {namespace}, cluster {cluster}) did not start within {seconds} s on node {node}: {detail}. The pod was deleted; the data is untouched.',
    },
    hint: {
      ru: 'Узел, на котором работает том, мог исчезнуть или быть не готов: kubectl get nodes',
      en: 'The node the volume is attached to may be gone or not ready: kubectl get nodes',
    },
  },
  'kubernetes-engine-env': {
    kind: 'usage',
    message: {
      ru: 'Переменные {names} для restic/borg нельзя передать в под кластера {cluster}, не поставив их в командную строку (у pods/exec нет окружения), — ничего не запущено.',
      en: 'The variables {names} for restic/borg cannot reach a pod on cluster {cluster} without being put on its command line (pods/exec has no environment); nothing was run.',
    },
    hint: {
      ru: 'Храните репозиторий на отдельном томе кластера или уберите эти переменные из настроек копирования.',
      en: 'Keep the repository on a claim of the cluster, or remove these variables from the backup settings.',
    },
  },
  'kubernetes-exec-cut': {
    kind: 'failed',
    message: {
      ru: 'Связь с командой в поде {pod} (контейнер {container}) оборвалась до её кода выхода — результат неизвестен.',
      en: 'The connection to the command in pod {pod} (container {container}) ended before its exit code; its outcome is unknown.',
    },
  },
  'kubernetes-provision-exists': {
    kind: 'usage',
    message: {
      ru: 'Имя {instance} уже занято, в пространстве имён {namespace} кластера {cluster} уже есть: {names} — ничего не изменено.',
      en: 'The name {instance} is taken; namespace {namespace} of cluster {cluster} already has: {names}; nothing was changed.',
    },
    hint: {
      ru: 'Выберите другое имя или удалите старое: deprovision {instance} --delete-data',
      en: 'Choose another name, or remove the old one: deprovision {instance} --delete-data',
    },
  },
  'kubernetes-provision-failed': {
    kind: 'failed',
    message: {
      ru: 'Создать {instance} не удалось: {firstRu} Созданное этим запуском удалено: {removed}.',
      en: 'Provisioning {instance} failed: {firstEn} What this run created was deleted: {removed}.',
    },
  },
  'kubernetes-provision-cleanup-incomplete': {
    kind: 'failed',
    message: {
      ru: 'Создать {instance} не удалось: {firstRu} Созданное этим запуском удалено: {removed}; осталось: {left}.',
      en: 'Provisioning {instance} failed: {firstEn} What this run created was deleted: {removed}; left: {left}.',
    },
    hint: {
      ru: 'Удалите их вручную (kubectl delete -n {namespace}) или: deprovision {instance} --delete-data',
      en: 'Delete them by hand (kubectl delete -n {namespace}) or: deprovision {instance} --delete-data',
    },
  },
  'kubernetes-deprovision-stuck': {
    kind: 'failed',
    message: {
      ru: 'Deployment {name} в пространстве имён {namespace} не исчез за {seconds} с — остальное не удалялось.',
      en: 'Deployment {name} in namespace {namespace} was not gone within {seconds} s; nothing else was deleted.',
    },
    hint: {
      ru: 'Что его держит: kubectl describe deployment/{name} -n {namespace}',
      en: 'What holds it: kubectl describe deployment/{name} -n {namespace}',
    },
  },
  'kubernetes-exec-handshake-timeout': {
    kind: 'failed',
    message: {
      ru: 'API-сервер кластера {cluster} не открыл соединение с командой в поде {pod} (контейнер {container}) за {seconds} с — ожидание прервано, запустилась ли команда, неизвестно.',
      en: 'The API server of cluster {cluster} did not open the connection to the command in pod {pod} (container {container}) within {seconds} s; the bot stopped waiting, and whether the command started is unknown.',
    },
  },
  // The four below belong to provisioning on a cluster (src/platforms/kubernetes/provision.ts).
  'kubernetes-provision-nothing-made': {
    kind: 'failed',
    message: {
      ru: 'Создать {instance} не удалось: {firstRu} Этот запуск ничего не создал.',
      en: 'Provisioning {instance} failed: {firstEn} This run created nothing.',
    },
  },
  'kubernetes-provision-taken-meanwhile': {
    kind: 'failed',
    message: {
      ru: '{name} появился в пространстве имён {namespace} после проверки имён, и создал его не этот запуск: применение бота попало в него, но он не удалён.',
      en: '{name} appeared in namespace {namespace} after the names were checked and was not created by this run: the bot’s apply went to it, but it is not deleted.',
    },
  },
  'kubernetes-provision-cancelled': {
    kind: 'failed',
    message: { ru: 'Запуск отменён.', en: 'The run was cancelled.' },
  },
  'kubernetes-provision-internal': {
    kind: 'failed',
    message: {
      ru: 'Запуск остановила внутренняя ошибка.',
      en: 'An internal error stopped the run.',
    },
  },
} satisfies Record<string, ErrorText>;
