import type { ErrorText } from './error-text.ts';

/** Errors of installing and removing Moodle plugins (src/plugins/install/). */
export const pluginInstallErrorTexts = {
  'plugin-installer-absent': {
    kind: 'usage',
    message: {
      ru: 'Установка плагинов через бота не включена: нужен раздел plugins в конфигурации и запущенный бот (pes serve или терминал).',
      en: 'Installing plugins through the bot is not enabled: it needs the plugins section of the config and the bot running (pes serve or the terminal).',
    },
  },
  'plugin-install-how': {
    kind: 'usage',
    message: {
      ru: 'Установка — отдельная команда с сервисом Moodle: plugin-install <сервис> {component}{version}',
      en: 'Installing is a command of its own, with the Moodle service: plugin-install <service> {component}{version}',
    },
  },
  'plugin-remove-how': {
    kind: 'usage',
    message: {
      ru: 'Удаление — отдельная команда с сервисом Moodle: plugin-remove <сервис> {component}',
      en: 'Removing is a command of its own, with the Moodle service: plugin-remove <service> {component}',
    },
  },
  'plugin-install-not-service': {
    kind: 'usage',
    message: {
      ru: 'Плагины ставятся только на сервис {moodle} (plugins.service), а не на {service}.',
      en: 'Plugins are installed only on the service {moodle} (plugins.service), not on {service}.',
    },
  },
  'plugin-install-no-version': {
    kind: 'usage',
    message: {
      ru: 'В каталоге нет версии {version} плагина {component} для нашего Moodle {branch}.',
      en: 'The directory has no version {version} of {component} for our Moodle {branch}.',
    },
  },
  'plugin-install-type-unknown': {
    kind: 'usage',
    message: {
      ru: 'Moodle на сервисе {service} не знает тип плагинов «{type}» (lib/components.json).',
      en: 'The Moodle of service {service} has no plugin type "{type}" (lib/components.json).',
    },
  },
  'plugin-install-not-running': {
    kind: 'failed',
    message: {
      ru: 'Moodle ({service}) не запущен: нет работающего контейнера. Ничего не изменено.',
      en: 'Moodle ({service}) is not running: no running container. Nothing was changed.',
    },
  },
  'plugin-install-not-newer': {
    kind: 'usage',
    message: {
      ru: 'На сайте уже {component} версии {installed}; пакет ({version}) не новее. Ничего не изменено.',
      en: 'The site already has {component} version {installed}; the package ({version}) is not newer. Nothing was changed.',
    },
  },
  'plugin-install-folder-exists': {
    kind: 'failed',
    message: {
      ru: 'Папка {folder} уже есть, но это не установленный плагин (нет version.php): бот её не трогает.',
      en: 'The folder {folder} exists but is not an installed plugin (no version.php): the bot leaves it alone.',
    },
  },
  'plugin-not-installed': {
    kind: 'usage',
    message: {
      ru: 'Плагина {component} на сайте нет. Ничего не изменено.',
      en: 'The plugin {component} is not on the site. Nothing was changed.',
    },
  },
  'plugin-request-not-approved': {
    kind: 'usage',
    message: {
      ru: 'Заявка №{id} на {component} не одобрена (она {stateRu}): ставить по ней нельзя.',
      en: 'Request #{id} for {component} is not approved (it is {stateEn}): nothing is installed for it.',
    },
  },
  'plugin-download-failed': {
    kind: 'failed',
    message: {
      ru: 'Не удалось скачать {url}: {reason}',
      en: 'Could not download {url}: {reason}',
    },
  },
  'plugin-download-too-big': {
    kind: 'failed',
    message: {
      ru: 'Пакет {url} больше {max} МБ: скачивание прервано.',
      en: 'The package {url} is larger than {max} MB: the download was stopped.',
    },
  },
  'plugin-step-failed': {
    kind: 'failed',
    message: {
      ru: '{what} завершился с кодом {exit}: {output}',
      en: '{what} exited with {exit}: {output}',
    },
  },
  'plugin-version-mismatch': {
    kind: 'failed',
    message: {
      ru: 'После обновления Moodle сообщает версию {component} «{found}», а в пакете {version}.',
      en: 'After the upgrade Moodle reports {component} version "{found}", the package has {version}.',
    },
  },
  'plugin-install-failed': {
    kind: 'failed',
    message: {
      ru: 'Плагин {component} не установлен: {reasonRu}. {undoneRu}',
      en: 'The plugin {component} was not installed: {reasonEn}. {undoneEn}',
    },
  },
  'plugin-installed-maintenance-on': {
    kind: 'failed',
    message: {
      ru: 'Плагин {component} установлен (версия {version}), но выключить режим обслуживания НЕ удалось ({reason}): admin/cli/maintenance.php --disable',
      en: 'The plugin {component} is installed (version {version}), but maintenance mode could NOT be turned off ({reason}): admin/cli/maintenance.php --disable',
    },
  },
  'plugin-install-no-database-backup': {
    kind: 'usage',
    message: {
      ru: 'Резервная копия {service} не содержит базу данных, а без неё неудачную установку не откатить: добавьте базу в databases сервиса или укажите plugins.databaseVolume. Ничего не изменено.',
      en: 'The backup of {service} holds no database, and a failed install cannot be rolled back without it: add the database to the service’s databases or set plugins.databaseVolume. Nothing was changed.',
    },
  },
  'plugin-install-upgrade-pending': {
    kind: 'usage',
    message: {
      ru: 'На {service} ожидает обновление Moodle (admin/cli/upgrade.php --is-pending): установка запустила бы его заодно. Сначала завершите обновление. Ничего не изменено.',
      en: 'A Moodle upgrade is pending on {service} (admin/cli/upgrade.php --is-pending): the install would run it as a side effect. Finish that upgrade first. Nothing was changed.',
    },
  },
  'plugin-install-maintenance-already': {
    kind: 'usage',
    message: {
      ru: '{service} уже в режиме обслуживания (его включил администратор): бот не трогает сайт, пока режим не выключен. Ничего не изменено.',
      en: '{service} is already in maintenance mode (an admin turned it on): the bot does not touch the site until it is off. Nothing was changed.',
    },
  },
  'plugin-install-pod-user': {
    kind: 'usage',
    message: {
      ru: 'Под {service} работает от uid {uid}, а не от пользователя веб-сервера {user} (uid {webUid}): файлы, созданные от другого пользователя, веб-сервер не сможет менять. Ничего не изменено.',
      en: "The pod of {service} runs as uid {uid}, not as the web server's user {user} (uid {webUid}): files made as another user could not be changed by the web server. Nothing was changed.",
    },
    hint: {
      ru: 'Запустите под Moodle от пользователя веб-сервера (securityContext.runAsUser: {webUid}) или укажите plugins.webUser.',
      en: "Run Moodle's pod as the web server's user (securityContext.runAsUser: {webUid}), or set plugins.webUser.",
    },
  },
  'plugin-uninstall-refused': {
    kind: 'failed',
    message: {
      ru: 'Moodle не удалил {component}: {output}',
      en: 'Moodle did not uninstall {component}: {output}',
    },
  },
  'plugin-remove-failed': {
    kind: 'failed',
    message: {
      ru: 'Плагин {component} не удалён: {reasonRu}. {undoneRu}',
      en: 'The plugin {component} was not removed: {reasonEn}. {undoneEn}',
    },
  },
} satisfies Record<string, ErrorText>;
