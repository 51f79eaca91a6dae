import type { ErrorText } from './error-text.ts';

/** Errors of backups: commands, engines and sources. */
export const backupErrorTexts = {
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
      ru: 'У {service} нет источников для копирования{only} — ничего не сделано.',
      en: '{service} has nothing to back up{only}; nothing was done.',
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
      ru: 'Копирование {service} не удалось на {source}: {reason}. Ничто из этого запуска не считается копией.',
      en: 'Backup of {service} failed at {source}: {reason}. Nothing of this run counts as a backup.',
    },
  },
  'backup-retention-cut-short': {
    kind: 'failed',
    message: {
      // Quoted as the reason after "the backup is kept, but the retention policy could not
      // be applied:" (commands/backup.ts), which already says the new backup stays.
      ru: 'очистка старых копий {service} прервана отменой',
      en: 'the thinning out of old backups of {service} was cut short by the cancel',
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
  'backup-no-complete-snapshot': {
    kind: 'usage',
    message: {
      ru: 'У {service} нет копии, о которой известно, что она полная, — ничего не изменено. Новейший снимок {newest}: {stateRu}.',
      en: '{service} has no backup known to be complete; nothing was changed. The newest snapshot is {newest}: {stateEn}.',
    },
    hint: {
      ru: 'Восстановить его всё же (с предупреждением и вопросом): restore {service} {newest} --incomplete. Список: backups {service}',
      en: 'To restore it anyway (with a warning and a question): restore {service} {newest} --incomplete. The list: backups {service}',
    },
  },
  'backup-snapshot-not-complete': {
    kind: 'usage',
    message: {
      ru: 'Снимок {ids} сервиса {service}: {stateRu}; неизвестно, что он полный, — ничего не изменено.',
      en: 'Snapshot {ids} of {service}: {stateEn}; it is not known to be complete; nothing was changed.',
    },
    hint: {
      ru: 'Восстановить из него всё же (с предупреждением и вопросом): restore {service} {ref} --incomplete',
      en: 'To restore from it anyway (with a warning and a question): restore {service} {ref} --incomplete',
    },
  },
  'backup-cleanup-failed': {
    kind: 'failed',
    message: {
      ru: 'Снимки незавершённой копии {service} (задание {job}: {ids}) удалить не удалось: {reason}. Они помечены как неполные и не восстанавливаются; следующий запуск бота попробует удалить их снова.',
      en: 'The snapshots of the unfinished backup of {service} (job {job}: {ids}) could not be removed: {reason}. They are marked incomplete and never restored; the next start of the bot tries again.',
    },
  },
  'backup-also-failed': {
    kind: 'failed',
    message: {
      ru: '{firstRu} Кроме того: {alsoRu}',
      en: '{firstEn} Also: {alsoEn}',
    },
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
  'backup-restore-failed-running': {
    kind: 'failed',
    message: {
      ru: 'Восстановление {service} не удалось: {reasonRu}. Сервис не останавливался (то, что работает в его же поде или контейнерах, восстанавливается до остановки); этот источник мог восстановиться частично.',
      en: 'Restoring {service} failed: {reasonEn}. The service was never stopped (what runs in its own pod or containers is restored before the stop); that source may be partly restored.',
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
  'backup-repo-unreachable': {
    kind: 'failed',
    message: {
      ru: 'Репозиторий {engine} {repository} перестал отвечать.',
      en: 'The {engine} repository {repository} stopped answering.',
    },
    hint: {
      ru: 'Ничто из этого запуска не считается копией. Проверьте сервер репозитория и сеть до него; копирование, которое {seconds} с не продвигается, бот останавливает.',
      en: 'Nothing of this run counts as a backup. Check the repository’s server and the network to it; the bot stops a backup that gets no further for {seconds} s.',
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
  'backup-engine-helper-image-missing': {
    kind: 'failed',
    message: {
      ru: 'Образа {image}, в котором restic и borg работают рядом с томом, нет на Docker-хосте.',
      en: 'The image {image} in which restic and borg run next to a volume is not on the Docker host.',
    },
    hint: {
      ru: 'Загрузите его или укажите другой в backup.engineHelper.image: нужны restic, borg, GNU find и coreutils (они есть в образе бота).',
      en: "Load it or name another in backup.engineHelper.image: it needs restic, borg, GNU find and coreutils (the bot's own image has them).",
    },
  },
  'backup-engine-launcher-missing': {
    kind: 'failed',
    message: {
      ru: 'В образе {image} нет Node.js или программ бота в /app/src/backup (engine-launch.ts запускает restic/borg с настройками репозитория, tree-measure-cli.ts измеряет файлы тома); ничего не запущено.',
      en: "The image {image} has no Node.js or not the bot's programs in /app/src/backup (engine-launch.ts runs restic/borg with the repository settings, tree-measure-cli.ts measures the volume's files); nothing was run.",
    },
    hint: {
      ru: 'Используйте образ бота той же версии, что и сам бот (backup.engineHelper.image или образ кластера), или свой образ с node и каталогом /app/src/backup из него.',
      en: "Use the bot's image of the bot's own version (backup.engineHelper.image or the cluster's image), or an image of your own with node and /app/src/backup from it.",
    },
  },
  'backup-engine-helper-env': {
    kind: 'usage',
    message: {
      ru: 'Переменные {names} для restic/borg не передать во вспомогательный контейнер, не показав их в его описании (docker inspect); ничего не запущено.',
      en: 'The variables {names} for restic/borg cannot reach a helper container without showing in its description (docker inspect); nothing was run.',
    },
    hint: {
      ru: 'Запустите бота на хосте Docker от root, чтобы restic/borg читали том сами, или уберите эти переменные из настроек резервного копирования.',
      en: 'Run the bot as root on the Docker host, so that restic/borg read the volume themselves, or remove these variables from the backup settings.',
    },
  },
  'backup-hook-command-failed': {
    kind: 'failed',
    message: {
      ru: 'Команда «{command}» в контейнере {container} завершилась с кодом {code}: {reason}',
      en: 'The command "{command}" in the container {container} exited with {code}: {reason}',
    },
  },
  // — file-level snapshots —
  'backup-files-unreachable': {
    kind: 'failed',
    message: {
      ru: 'Снимок {source} хранит файлы тома, а файлы тома {volume} недоступны боту напрямую; ничего не изменено.',
      en: 'The snapshot of {source} holds the volume’s files, and the files of the volume {volume} are not reachable by the bot here; nothing was changed.',
    },
    hint: {
      ru: 'Нужен тот же хост, что у Docker (unix://), и права root.',
      en: 'It takes the Docker engine’s own host (unix://) and root rights.',
    },
  },
  // {path} (and {bracket}) come as code, one line, from printable-name.ts `codeName`: a name
  // from a snapshot, or typed by a person, shows as it is and cannot add markup.
  'backup-path-invalid': {
    kind: 'usage',
    message: {
      ru: 'Путь {path} недопустим: {reason}.',
      en: 'The path {path} is not allowed: {reason}.',
    },
  },
  'backup-path-not-found': {
    kind: 'usage',
    message: {
      ru: 'В снимке {snapshot} нет {path}; ничего не изменено.',
      en: 'The snapshot {snapshot} holds no {path}; nothing was changed.',
    },
    hint: {
      ru: 'Что в нём есть: backup files {service} {snapshot}',
      en: 'What it holds: backup files {service} {snapshot}',
    },
  },
  'backup-path-needs-files': {
    kind: 'usage',
    message: {
      ru: 'Снимок {snapshot} — один поток ({source}), а не файлы: --path, --to и backup files работают только со снимками файлов.',
      en: 'The snapshot {snapshot} is one stream ({source}), not files: --path, --to and backup files work on file-level snapshots only.',
    },
  },
  'backup-path-one-volume': {
    kind: 'usage',
    message: {
      ru: 'В копии {job} несколько томов ({sources}): укажите id снимка нужного тома.',
      en: 'The backup {job} holds several volumes ({sources}): give the id of the one volume’s snapshot.',
    },
  },
  'backup-path-unsafe': {
    kind: 'failed',
    message: {
      ru: 'В томе {volume} {path} лежит не в каталоге ({reason}); ничего не восстановлено.',
      en: 'In the volume {volume}, {path} does not lie in a directory ({reason}); nothing was restored.',
    },
  },
  'backup-target-invalid': {
    kind: 'usage',
    message: {
      ru: 'Том «{volume}» недопустим: буквы, цифры, _ . - (до 64), не том самого {service}.',
      en: 'The volume "{volume}" is not allowed: letters, digits, _ . - (up to 64), not a volume of {service} itself.',
    },
  },
  'backup-target-invalid-claim': {
    kind: 'usage',
    message: {
      ru: 'Имя «{volume}» недопустимо для PersistentVolumeClaim: строчные латинские буквы, цифры, - и . (DNS-1123, до 253), и это не том самого {service}; ничего не изменено.',
      en: 'The name "{volume}" is not allowed for a PersistentVolumeClaim: lowercase letters, digits, - and . (DNS-1123, up to 253), and not a volume of {service} itself; nothing was changed.',
    },
  },
  'backup-target-of-service': {
    kind: 'usage',
    message: {
      ru: 'Том «{volume}» принадлежит сервису {service}: восстанавливать в него через --to нельзя; ничего не изменено.',
      en: 'The volume "{volume}" belongs to the service {service}: --to cannot restore into it; nothing was changed.',
    },
  },
  'backup-target-repository': {
    kind: 'usage',
    message: {
      ru: 'В томе «{volume}» лежит репозиторий резервных копий: восстанавливать в него через --to нельзя; ничего не изменено.',
      en: 'The volume "{volume}" holds the backup repository: --to cannot restore into it; nothing was changed.',
    },
  },
  'backup-target-scratch': {
    kind: 'usage',
    message: {
      ru: 'Том «{volume}» — временный том проверки восстановления: восстанавливать в него через --to нельзя; ничего не изменено.',
      en: 'The volume "{volume}" is a scratch volume of a restore drill: --to cannot restore into it; nothing was changed.',
    },
  },
  'backup-target-not-empty': {
    kind: 'usage',
    message: {
      ru: 'В томе {volume} уже есть данные; ничего не изменено.',
      en: 'The volume {volume} already holds data; nothing was changed.',
    },
    hint: {
      ru: 'Чтобы заменить их, добавьте --force (будет второе подтверждение).',
      en: 'To replace them, add --force (a second confirmation follows).',
    },
  },
  'backup-volume-in-use': {
    kind: 'usage',
    message: {
      ru: 'Том {volume} используется контейнерами не из {service}: {containers}; ничего не изменено.',
      en: 'The volume {volume} is in use by containers outside {service}: {containers}; nothing was changed.',
    },
  },
  'backup-path-glob-invalid': {
    kind: 'usage',
    message: {
      ru: 'Шаблон {path} недопустим: {bracket} — неверный набор символов (диапазон пишется от меньшего символа к большему, как `[a-z]`); ничего не изменено.',
      en: 'The pattern {path} is not valid: {bracket} is not a valid character set (a range goes from the lower character to the higher, as in `[a-z]`); nothing was changed.',
    },
  },
  'backup-force-needs-to': {
    kind: 'usage',
    message: {
      ru: '--force действует только вместе с --to <том>; ничего не изменено.',
      en: '--force works only together with --to <volume>; nothing was changed.',
    },
  },
  // {path} comes as code from printable-name.ts `codeName`, each U+FFFD shown as `\ufffd`.
  // The listing gives U+FFFD for a byte that is not UTF-8 and for a real U+FFFD alike: the
  // text holds for both.
  'backup-path-not-utf8': {
    kind: 'usage',
    message: {
      ru: 'В имени {path} могут быть байты не в UTF-8 (каждый показан как `\\ufffd`, как и сам символ U+FFFD): через --path такие байты не передать restic и borg, поэтому имя с `\\ufffd` отдельно не восстанавливается; ничего не изменено.',
      en: 'The name {path} may hold bytes that are not UTF-8 (each shown as `\\ufffd`, as is the character U+FFFD itself): --path cannot pass such bytes to restic or borg, so a name with `\\ufffd` is not restored on its own; nothing was changed.',
    },
    hint: {
      ru: 'Восстановите папку, в которой оно лежит (--path с путём папки), или весь том (без --path).',
      en: 'Restore the folder that holds it (--path with the folder’s path) or the whole volume (without --path).',
    },
  },
} satisfies Record<string, ErrorText>;
