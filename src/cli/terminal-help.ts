/**
 * What only the terminal has: its flags and the commands that are not chat commands
 * (`serve` runs the bot; `init` writes and `doctor` reads local files, sockets and programs of
 * this host, so they are not offered in chat). Shown by `pes --help` above the chat's own command list, and by
 * `pes serve --help` / `pes doctor --help`.
 */
import { localize, type Locale } from '../core/i18n.ts';

const texts = {
  usage: {
    ru: `Использование: pes [флаги] <команда> [аргументы]

Флаги (в любом месте строки):
  --config <путь>  файл конфигурации (иначе PES_CONFIG, config/pes.yaml, config/pes.example.yaml)
  --lang ru|en     язык ответов
  --json           ответ одной строкой JSON
  --yes, -y        подтвердить заранее (без вопроса)
  --help, -h       справка: pes --help, pes <команда> --help
  --version, -V    версия pes-bot

Только в терминале:
  serve            запустить бота (HTTP-сервер, мессенджеры, расписания)
  init [проект…]   записать первую конфигурацию из контейнеров Docker (config/pes.yaml)
  doctor           проверить настройку: конфигурацию, Docker, резервные копии, мессенджеры`,
    en: `Usage: pes [flags] <command> [arguments]

Flags (anywhere on the line):
  --config <path>  configuration file (else PES_CONFIG, config/pes.yaml, config/pes.example.yaml)
  --lang ru|en     language of the answers
  --json           the answer as one JSON line
  --yes, -y        confirm in advance (no question)
  --help, -h       help: pes --help, pes <command> --help
  --version, -V    the version of pes-bot

Terminal only:
  serve            run the bot (HTTP server, messengers, schedules)
  init [project…]  write a first configuration from Docker's containers (config/pes.yaml)
  doctor           check the setup: configuration, Docker, backups, messengers`,
  },
  serve: {
    ru: `pes serve — запустить бота: HTTP-сервер (server.host:server.port; /healthz, /readyz), Mattermost и Matrix из конфигурации, расписания резервных копий. На терминале — приглашение pes> для команд. Остановка: Ctrl+C или SIGTERM (второй сигнал — не ждать задач).`,
    en: `pes serve — run the bot: the HTTP server (server.host:server.port; /healthz, /readyz), Mattermost and Matrix as configured, the backup schedules. On a terminal it offers a pes> prompt for commands. Stop it with Ctrl+C or SIGTERM (a second signal stops without waiting for jobs).`,
  },
  init: {
    ru: `pes init [проект…] — записать первую конфигурацию (config/pes.yaml, или путь из --config) с сервисами, которые запускает Docker: по сервису на каждый сервис Compose (только названных проектов, если они указаны) и на каждый контейнер вне Compose. Существующий файл не перезаписывается. Дальше — pes doctor.`,
    en: `pes init [project…] — write a first configuration (config/pes.yaml, or the --config path) with the services Docker runs: one per Compose service (of the named projects only, when given) and one per container outside Compose. An existing file is never overwritten. Then run pes doctor.`,
  },
  doctor: {
    ru: `pes doctor — проверить всё, что названо в конфигурации: файл и секреты, базу состояния, Docker и селекторы сервисов, репозиторий резервных копий и программы, Mattermost, Matrix, Alertmanager. Одна строка на проверку, с подсказкой, что исправить. Код выхода 0 — всё в порядке, 1 — есть ошибки, 2 — конфигурация не читается.`,
    en: `pes doctor — check everything the configuration names: the file and its secrets, the state database, Docker and the services' selectors, the backup repository and programs, Mattermost, Matrix, Alertmanager. One line per check, with a hint at the fix. Exit code 0 when everything is fine, 1 when something failed, 2 when the configuration cannot be read.`,
  },
} as const;

/** The terminal-only commands, which `pes <name> --help` explains here. */
export const terminalCommands = ['serve', 'init', 'doctor'] as const;

export type TerminalCommand = (typeof terminalCommands)[number];

export function isTerminalCommand(word: string | undefined): word is TerminalCommand {
  return terminalCommands.some((name) => name === word);
}

export function terminalUsage(locale: Locale): string {
  return localize(texts.usage, locale);
}

export function terminalCommandHelp(name: TerminalCommand, locale: Locale): string {
  return localize(texts[name], locale);
}
