/**
 * `pes init [project…]`: writes a first configuration (config/pes.yaml, or --config's path)
 * naming the services the Docker engine runs, so that the first `pes doctor` checks what this
 * host has instead of the example's services. It never overwrites a file, and writes only a
 * configuration the bot itself loads.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { UserError, exitCodes, isUserError } from '../core/errors.ts';
import { localeFromEnv, type Locale } from '../core/i18n.ts';
import { countText } from '../core/plural.ts';
import type { KnownCommand } from '../config/role-commands.ts';
import { connectDocker, requestDocker } from '../platforms/docker/client.ts';
import { composeLabels } from '../platforms/docker/discover.ts';
import { planServices, type ContainerSummary } from './plan.ts';
import { configText } from './yaml.ts';

export interface InitOptions {
  readonly flag: string | undefined;
  readonly projects: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly lang: Locale | undefined;
  readonly commands: readonly KnownCommand[];
  readonly out?: { write(text: string): unknown };
  readonly err?: { write(text: string): unknown };
  /** The time written into the file's header. */
  readonly now?: Date;
}

const written = {
  ru: {
    one: '✔ Записана конфигурация {path}: {count} сервис ({names}).',
    few: '✔ Записана конфигурация {path}: {count} сервиса ({names}).',
    many: '✔ Записана конфигурация {path}: {count} сервисов ({names}).',
    other: '✔ Записана конфигурация {path}: {count} сервиса ({names}).',
  },
  en: {
    one: '✔ Wrote the configuration {path}: {count} service ({names}).',
    other: '✔ Wrote the configuration {path}: {count} services ({names}).',
  },
} as const;

const writtenEmpty = {
  ru: '✔ Записана конфигурация {path}: Docker пока не запускает ни одного контейнера, сервисов нет — добавьте их в services.',
  en: '✔ Wrote the configuration {path}: Docker runs no container yet, so it names no service; add them under services.',
} as const;

const next = {
  ru: 'Дальше: ./pes doctor — проверить настройку, ./pes serve — запустить бота.',
  en: 'Next: ./pes doctor to check the setup, ./pes serve to run the bot.',
} as const;

export async function runInit(options: InitOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const locale = options.lang ?? localeFromEnv(options.env);
  const path = resolve(options.cwd, options.flag ?? join('config', 'pes.yaml'));
  const shown = relative(options.cwd, path).startsWith('..') ? path : relative(options.cwd, path);
  try {
    // Before the engine is asked anything: an existing file ends it here.
    if (existsSync(path)) throw new UserError('init-config-exists', { path });
    const connection = connectDocker({ env: options.env });
    const containers = await requestDocker(connection, (abortSignal) =>
      connection.docker.listContainers({ all: true, abortSignal }),
    );
    checkProjects(containers, options.projects);
    const services = planServices(containers, options.projects);
    const text = configText(services, {
      host: connection.host,
      now: options.now ?? new Date(),
      projects: options.projects,
    });
    writeChecked(path, text, options);
    const names = services.map((s) => s.name).join(', ');
    const line =
      services.length === 0
        ? writtenEmpty[locale].replace('{path}', shown)
        : countText(written, locale, services.length, { path: shown, names });
    out.write(`${line}\n${next[locale]}\n`);
    return exitCodes.ok;
  } catch (error) {
    if (!isUserError(error)) throw error;
    err.write(`pes: ${error.text(locale)}\n`);
    const hint = error.hint(locale);
    if (hint !== undefined) err.write(`${hint}\n`);
    return exitCodes[error.kind];
  }
}

/** A project asked for by name that the engine does not have is a typo, not an empty plan. */
function checkProjects(containers: readonly ContainerSummary[], projects: readonly string[]): void {
  const known = new Set(
    containers
      .map((c) => c.Labels[composeLabels.project])
      .filter((p): p is string => p !== undefined),
  );
  for (const project of projects) {
    if (!known.has(project)) {
      throw new UserError('init-project-unknown', {
        project,
        known: known.size === 0 ? '—' : [...known].sort().join(', '),
      });
    }
  }
}

/**
 * Loads the text as the bot would before it is written where the bot looks: a file that is
 * written is one the bot starts with. The final write refuses to replace a file that
 * appeared meanwhile (`wx`).
 */
function writeChecked(path: string, text: string, options: InitOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  const probe = join(dirname(path), `.pes-init-${process.pid}.yaml`);
  try {
    writeFileSync(probe, text, { flag: 'wx' });
    loadConfig({ flag: probe, env: options.env, cwd: options.cwd, commands: options.commands });
  } finally {
    rmSync(probe, { force: true });
  }
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError('init-config-exists', { path }, { cause: error });
    }
    throw error;
  }
}
