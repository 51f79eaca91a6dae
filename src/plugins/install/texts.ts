/** What installing and removing plugins says, in Russian and English. */
import type { Text } from '../../core/i18n.ts';
import type { InstallStep } from './install-job.ts';

export const stepTexts: Readonly<Record<InstallStep, Text>> = {
  site: { ru: 'читаю сайт Moodle', en: 'reading the Moodle site' },
  backup: { ru: 'резервная копия {service}', en: 'backing up {service}' },
  maintenance: { ru: 'включаю режим обслуживания', en: 'turning maintenance mode on' },
  download: { ru: 'скачиваю {component}', en: 'downloading {component}' },
  check: {
    ru: 'проверяю пакет: MD5, распаковка, version.php',
    en: 'checking the package: MD5, unpacking, version.php',
  },
  copy: { ru: 'копирую в {folder}', en: 'copying into {folder}' },
  upgrade: { ru: 'admin/cli/upgrade.php', en: 'admin/cli/upgrade.php' },
  verify: { ru: 'проверяю установленную версию', en: 'reading the installed version back' },
  purge: { ru: 'сбрасываю кэши', en: 'purging caches' },
  undo: { ru: 'откатываю изменения', en: 'putting things back' },
  'maintenance-off': { ru: 'выключаю режим обслуживания', en: 'turning maintenance mode off' },
};

export const removeStepTexts: Partial<Record<InstallStep, Text>> = {
  upgrade: { ru: 'admin/cli/uninstall_plugins.php', en: 'admin/cli/uninstall_plugins.php' },
  copy: { ru: 'удаляю папку {folder}', en: 'removing the folder {folder}' },
};

export const installTexts = {
  describeInstall: {
    ru: 'Установить {name} (`{component}`) версии {release} ({version}) на {service} (Moodle {branch}).',
    en: 'Install {name} (`{component}`) version {release} ({version}) on {service} (Moodle {branch}).',
  },
  describeUpgrade: {
    ru: 'Обновить {name} (`{component}`) с версии {installed} до {release} ({version}) на {service} (Moodle {branch}).',
    en: 'Upgrade {name} (`{component}`) from version {installed} to {release} ({version}) on {service} (Moodle {branch}).',
  },
  describeSteps: {
    ru: 'Сначала резервная копия {service} (база, moodledata, код); на время установки сайт в режиме обслуживания; при сбое всё возвращается.',
    en: 'A backup of {service} (database, moodledata, code) first; the site is in maintenance mode during the install; on a failure everything is put back.',
  },
  describeRemove: {
    ru: 'Удалить плагин `{component}` (версия {version}) с {service}: его таблицы, настройки и файлы в Moodle удаляются (admin/cli/uninstall_plugins.php), затем его папка.',
    en: 'Remove the plugin `{component}` (version {version}) from {service}: its tables, settings and files in Moodle are deleted (admin/cli/uninstall_plugins.php), then its folder.',
  },
  describeRemoveSteps: {
    ru: 'Сначала резервная копия {service}; на время удаления сайт в режиме обслуживания.',
    en: 'A backup of {service} first; the site is in maintenance mode meanwhile.',
  },
  installed: { ru: '{component} {release} установлен', en: '{component} {release} installed' },
  installedText: {
    ru: 'Версия {version} на {service}; сайт был в режиме обслуживания {seconds}. Копия перед установкой: задание {job}.',
    en: 'Version {version} on {service}; the site was in maintenance mode for {seconds}. The backup taken before: job {job}.',
  },
  purgeProblem: {
    ru: '⚠ Кэши сбросить не удалось ({reason}): admin/cli/purge_caches.php',
    en: '⚠ Purging caches failed ({reason}): admin/cli/purge_caches.php',
  },
  removed: { ru: '{component} удалён', en: '{component} removed' },
  removedText: {
    ru: 'С {service}; сайт был в режиме обслуживания {seconds}. Копия перед удалением: задание {job}.',
    en: 'From {service}; the site was in maintenance mode for {seconds}. The backup taken before: job {job}.',
  },
  seconds: { ru: '{n} с', en: '{n} s' },
  // Said to the teachers who asked, and in the admins' room.
  toldInstalled: {
    ru: 'Плагин {name} по вашей заявке №{id} установлен на наш Moodle (версия {release}).',
    en: 'The plugin {name} you asked for (#{id}) is installed on our Moodle (version {release}).',
  },
  toldFailed: {
    ru: 'Плагин {name} по вашей заявке №{id} установить не удалось: {reason}. Moodle работает как прежде.',
    en: 'The plugin {name} you asked for (#{id}) could not be installed: {reason}. Moodle works as before.',
  },
  toldFailedUnclean: {
    ru: 'Плагин {name} по вашей заявке №{id} установить не удалось: {reason}. Администраторы уже знают и разбираются.',
    en: 'The plugin {name} you asked for (#{id}) could not be installed: {reason}. The admins know and are on it.',
  },
  adminsInstalled: {
    ru: '✅ Заявка №{id}: {component} {release} установлен.',
    en: '✅ Request #{id}: {component} {release} is installed.',
  },
  adminsFailed: {
    ru: '✖ Заявка №{id}: {line}',
    en: '✖ Request #{id}: {line}',
  },
  installing: {
    ru: 'Заявка №{id}: устанавливаю {component}…',
    en: 'Request #{id}: installing {component}…',
  },
} as const satisfies Record<string, Text>;
