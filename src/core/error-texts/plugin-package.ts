import type { ErrorText } from './error-text.ts';

/**
 * Errors of a downloaded Moodle plugin package: its MD5, its ZIP, and the checks Moodle's
 * own validator makes (lib/classes/update/validator.php in moodle/moodle). Each names what
 * was found and what was expected, in one line.
 */
export const pluginPackageErrorTexts = {
  // — the download —
  'plugin-download-md5-invalid': {
    kind: 'failed',
    message: {
      ru: 'Каталог плагинов дал контрольную сумму «{value}», а не MD5 (32 шестнадцатеричных знака): пакет не проверить.',
      en: 'The plugins directory gave the checksum "{value}", not an MD5 (32 hex digits): the package cannot be checked.',
    },
  },
  'plugin-download-md5-mismatch': {
    kind: 'failed',
    message: {
      ru: 'Скачанный пакет не совпадает с каталогом: MD5 {found}, а каталог называет {expected}.',
      en: 'The downloaded package does not match the directory: MD5 {found}, the directory says {expected}.',
    },
  },
  'plugin-download-empty': {
    kind: 'failed',
    message: {
      ru: 'Скачанный пакет пуст (MD5 пустого файла {found}): так же его отвергает установщик самого Moodle.',
      en: 'The downloaded package is empty (the empty file’s MD5 {found}): Moodle’s own installer refuses it too.',
    },
  },
  // — the ZIP —
  'plugin-zip-invalid': {
    kind: 'failed',
    message: {
      ru: 'Пакет плагина — не читаемый ZIP: {reason}',
      en: 'The plugin package is not a readable ZIP: {reason}',
    },
  },
  'plugin-zip-too-many-entries': {
    kind: 'failed',
    message: {
      ru: 'Записей в пакете плагина: {count}, а можно не больше {max}.',
      en: 'The plugin package has {count} entries, at most {max} are allowed.',
    },
  },
  'plugin-zip-too-large': {
    kind: 'failed',
    message: {
      ru: 'Пакет плагина распаковывается больше чем в {max} МБ: не распаковываю.',
      en: 'The plugin package unpacks to more than {max} MB: not unpacking it.',
    },
  },
  'plugin-zip-ratio': {
    kind: 'failed',
    message: {
      ru: 'Файл {path} в пакете сжат как {ratio}:1 (можно до {max}:1): похоже на ZIP-бомбу.',
      en: 'The file {path} in the package is compressed {ratio}:1 (at most {max}:1): it looks like a ZIP bomb.',
    },
  },
  'plugin-zip-unsafe-path': {
    kind: 'failed',
    message: {
      ru: 'Путь «{path}» в пакете выходит за папку плагина или недопустим: нужен относительный путь без «..», «\\», «:» и управляющих знаков.',
      en: 'The path "{path}" in the package leaves the plugin’s folder or is not allowed: expected a relative path without "..", "\\", ":" or control characters.',
    },
  },
  'plugin-zip-path-too-long': {
    kind: 'failed',
    message: {
      ru: 'Путь «{path}» в пакете слишком длинный (длина в байтах: {length}, можно до {max}).',
      en: 'The path "{path}" in the package is too long ({length} bytes, at most {max}).',
    },
  },
  'plugin-zip-link': {
    kind: 'failed',
    message: {
      ru: '«{path}» в пакете — символическая ссылка: в плагине допустимы только файлы и папки.',
      en: '"{path}" in the package is a symbolic link: a plugin may hold only files and folders.',
    },
  },
  'plugin-zip-special': {
    kind: 'failed',
    message: {
      ru: '«{path}» в пакете — не файл и не папка (тип {mode}): в плагине допустимы только файлы и папки.',
      en: '"{path}" in the package is neither a file nor a folder (type {mode}): a plugin may hold only files and folders.',
    },
  },
  'plugin-zip-duplicate': {
    kind: 'failed',
    message: {
      ru: 'В пакете дважды одно имя (без учёта регистра): «{path}» и «{other}».',
      en: 'The package holds one name twice (ignoring case): "{path}" and "{other}".',
    },
  },
  'plugin-zip-encrypted': {
    kind: 'failed',
    message: {
      ru: 'Файл {path} в пакете зашифрован: такой пакет не установить.',
      en: 'The file {path} in the package is encrypted: such a package cannot be installed.',
    },
  },
  'plugin-zip-method': {
    kind: 'failed',
    message: {
      ru: 'Файл {path} в пакете сжат методом {method}: поддерживаются только store (0) и deflate (8).',
      en: 'The file {path} in the package uses compression method {method}: only store (0) and deflate (8) are supported.',
    },
  },
  'plugin-zip-crc': {
    kind: 'failed',
    message: {
      ru: 'Файл {path} в пакете повреждён: контрольная сумма CRC-32 не сходится.',
      en: 'The file {path} in the package is damaged: its CRC-32 does not match.',
    },
  },
  'plugin-zip-roots': {
    kind: 'failed',
    message: {
      ru: 'В пакете должна быть ровно одна корневая папка {expected}, а в нём: {found}.',
      en: 'The package must hold exactly one root folder {expected}, it holds: {found}.',
    },
  },
  'plugin-zip-root-wrong': {
    kind: 'failed',
    message: {
      ru: 'Корневая папка пакета называется {found}, а должна называться {expected} (имя плагина без типа).',
      en: 'The package’s root folder is {found}, it must be called {expected} (the plugin’s name without its type).',
    },
  },
  // — Moodle's validator —
  'plugin-version-php-missing': {
    kind: 'failed',
    message: {
      ru: 'В пакете нет {expected}: без него Moodle плагин не установит.',
      en: 'The package has no {expected}: Moodle will not install a plugin without it.',
    },
  },
  'plugin-version-missing': {
    kind: 'failed',
    message: {
      ru: 'В version.php плагина нет $plugin->version (найдено: {found}).',
      en: 'The plugin’s version.php has no $plugin->version (found: {found}).',
    },
  },
  'plugin-version-malformed': {
    kind: 'failed',
    message: {
      ru: 'В version.php плагина не разобрать {field}: «{found}».',
      en: 'The plugin’s version.php has an unreadable {field}: "{found}".',
    },
  },
  'plugin-component-mismatch': {
    kind: 'failed',
    message: {
      ru: 'version.php называет компонент {found}, а ожидался {expected}.',
      en: 'version.php names the component {found}, expected {expected}.',
    },
  },
  'plugin-requires-newer': {
    kind: 'failed',
    message: {
      ru: 'Плагину нужен Moodle версии {requires} или новее, а на сайте {version} ({release}).',
      en: 'The plugin needs Moodle {requires} or newer, the site has {version} ({release}).',
    },
  },
  'plugin-branch-unsupported': {
    kind: 'failed',
    message: {
      ru: 'Плагин поддерживает Moodle с {from} по {to}, а на сайте {branch}.',
      en: 'The plugin supports Moodle {from} to {to}, the site runs {branch}.',
    },
  },
  'plugin-branch-incompatible': {
    kind: 'failed',
    message: {
      ru: 'Плагин несовместим с Moodle {incompatible} и новее, а на сайте {branch}.',
      en: 'The plugin is incompatible with Moodle {incompatible} and newer, the site runs {branch}.',
    },
  },
  'plugin-lang-missing': {
    kind: 'failed',
    message: {
      ru: 'В пакете нет английского языкового файла {expected}.',
      en: 'The package has no English language file {expected}.',
    },
  },
  'plugin-type-unknown': {
    kind: 'failed',
    message: {
      ru: 'Сайт не знает тип плагинов {type} (нет в его lib/components.json): известны {known}.',
      en: 'The site does not know the plugin type {type} (not in its lib/components.json): it knows {known}.',
    },
  },
  'plugin-dependency-missing': {
    kind: 'failed',
    message: {
      ru: 'Плагину нужен {dependency} версии {required} или новее, а на сайте его нет.',
      en: 'The plugin needs {dependency} version {required} or newer, which the site does not have.',
    },
  },
  'plugin-dependency-absent': {
    kind: 'failed',
    message: {
      ru: 'Плагину нужен {dependency} (любой версии), а на сайте его нет.',
      en: 'The plugin needs {dependency} (any version), which the site does not have.',
    },
  },
  'plugin-dependency-old': {
    kind: 'failed',
    message: {
      ru: 'Плагину нужен {dependency} версии {required} или новее, а на сайте {installed}.',
      en: 'The plugin needs {dependency} version {required} or newer, the site has {installed}.',
    },
  },
  'plugin-downgrade': {
    kind: 'failed',
    message: {
      ru: 'На сайте уже {component} версии {installed}, а пакет старше ({version}): Moodle не понижает версии.',
      en: 'The site already has {component} version {installed}, the package is older ({version}): Moodle does not downgrade.',
    },
  },
} satisfies Record<string, ErrorText>;
