/**
 * Wires the pieces together for one process: state, platforms, commands, the bot. Shared by
 * the one-shot terminal command and `pes serve`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { commands } from '../commands/index.ts';
import { Bot } from './core/bot.ts';
import { createLogger, makeRedactor, type Logger } from './core/logger.ts';
import type { Platform } from './core/platform.ts';
import { Registry } from './core/registry.ts';
import type { LoadedConfig } from './config/load.ts';
import { DockerPlatform } from './platforms/docker/docker-platform.ts';
import { SqliteAuditLog } from './store/audit-repo.ts';
import { SqliteConfirmationStore } from './store/confirmations-repo.ts';
import { openDatabase } from './store/database.ts';
import { SqliteJobStore } from './store/jobs-repo.ts';

export interface App {
  readonly config: LoadedConfig;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly docker: DockerPlatform;
  readonly log: Logger;
  close(): void;
}

export function createApp(
  config: LoadedConfig,
  options: { logLevel?: LoadedConfig['logLevel'] | 'silent' } = {},
): App {
  const secrets = [
    ...config.catalog.secrets,
    ...config.secrets.values(),
    ...config.databasePasswords.values(),
  ];
  const log = createLogger({
    level: options.logLevel ?? config.logLevel,
    redact: makeRedactor(secrets),
  });
  const db = openDatabase(config.statePath);
  const docker = new DockerPlatform({ host: config.docker.host });
  const bot = new Bot({
    catalog: config.catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    // Every service is on Docker for now; Kubernetes plugs in here by service.platform.
    platform: (): Platform => docker,
    log,
  });
  return { config, bot, db, docker, log, close: () => db.close() };
}
