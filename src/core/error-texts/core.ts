import type { ErrorText } from './error-text.ts';

/** Errors of the invocation path, jobs, confirmations, audit, Docker access and configuration. */
export const coreErrorTexts = {
  'input-too-long': {
    kind: 'usage',
    message: {
      // «символов: N» agrees with any N, as a count in front would not (2401 символ).
      ru: 'Команда слишком длинная: символов — {length}, допустимо не больше {max}.',
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
    private: true,
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
  'job-cancelled-stopping': {
    kind: 'failed',
    message: {
      ru: 'Задача {id} отменена: бот останавливается.',
      en: 'Job {id} was cancelled: the bot is stopping.',
    },
    hint: {
      ru: 'Запустите команду снова, когда бот будет запущен.',
      en: 'Run the command again once the bot is back.',
    },
  },
  'bot-stopping': {
    kind: 'failed',
    private: true,
    message: {
      ru: 'Бот останавливается и не принимает новых команд.',
      en: 'The bot is stopping and takes no new commands.',
    },
    hint: {
      ru: 'Повторите команду, когда бот будет запущен снова.',
      en: 'Send the command again once the bot is back.',
    },
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
    // Names what is being decided (the command line that waits), not the `confirm` typed.
    message: {
      ru: '{actor} не может решить, выполнять ли «{command}» (подтверждение {code}).',
      en: '{actor} may not decide whether “{command}” runs (confirmation {code}).',
    },
    hint: { ru: 'Решить могут: {allowed}', en: 'Who may decide: {allowed}' },
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
  'state-unavailable': {
    kind: 'failed',
    message: {
      ru: 'Не удаётся открыть базу состояния {path}: {reason}.',
      en: 'Cannot open the state database {path}: {reason}.',
    },
    hint: {
      ru: 'Проверьте права на файл и свободное место; «database is locked» — другой процесс pes держит её дольше 15 с.',
      en: 'Check the file\'s permissions and free space; "database is locked" means another pes process has held it for over 15 s.',
    },
  },
  'init-config-exists': {
    kind: 'usage',
    message: {
      ru: 'Конфигурация {path} уже есть: pes init не перезаписывает её.',
      en: 'The configuration {path} already exists: pes init does not overwrite it.',
    },
    hint: {
      ru: 'Правьте её, или запишите новую рядом: pes init --config config/new.yaml',
      en: 'Edit it, or write a new one beside it: pes init --config config/new.yaml',
    },
  },
  'init-project-unknown': {
    kind: 'usage',
    message: {
      ru: 'В Docker нет проекта Compose «{project}»; есть: {known}.',
      en: 'Docker has no Compose project "{project}"; it has: {known}.',
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
