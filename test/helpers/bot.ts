/**
 * A bot wired with real SQLite stores in memory and two test commands: `touch` (mutating,
 * locks its service, runs until released) and `wipe` (destructive, needs a confirmation).
 */
import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { commands } from '../../commands/index.ts';
import { serviceArg } from '../../src/core/args.ts';
import type { BackupLedger, BackupService } from '../../src/core/backup.ts';
import { Bot } from '../../src/core/bot.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import { defineCommand, type AnyCommand } from '../../src/core/command.ts';
import type { Invocation, InvocationSink, ProgressUpdate } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import type { Platform, ServiceStatus } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import type { TemplateCatalog } from '../../src/core/templates.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { testCatalog } from './catalog.ts';

export interface TestBot {
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly jobs: SqliteJobStore;
  readonly audit: SqliteAuditLog;
  readonly confirmations: SqliteConfirmationStore;
  readonly wiped: string[];
  readonly logs: string[];
  /** Lets every running `touch` finish. */
  release(): void;
  run(
    actorId: string,
    text: string,
    extra?: Partial<Invocation> & { sink?: Partial<InvocationSink> },
  ): Promise<ReturnType<Bot['invoke']> extends Promise<infer O> ? O : never>;
  readonly replies: Message[];
  readonly progress: ProgressUpdate[];
}

/** A Platform that only knows status; every other verb fails loudly if a test reaches it. */
export function fakePlatform(statuses: Readonly<Record<string, ServiceStatus>>): Platform {
  const unused = (): Promise<never> => Promise.reject(new Error('not part of this fake'));
  return {
    name: 'fake',
    logs: unused,
    restart: unused,
    planScale: unused,
    scale: unused,
    planUpdate: unused,
    update: unused,
    planProvision: unused,
    provision: unused,
    planDeprovision: unused,
    deprovision: unused,
    readVolume: unused,
    writeVolume: unused,
    exec: unused,
    stopService: unused,
    startService: unused,
    createScratchVolume: unused,
    removeVolume: unused,
    status: (service) => {
      const status = statuses[service.name];
      return status === undefined
        ? Promise.reject(new Error(`no status for ${service.name}`))
        : Promise.resolve(status);
    },
  };
}

export function createTestBot(
  options: {
    catalog?: Catalog;
    platform?: Platform;
    now?: () => Date;
    /** For provision; none when absent. */
    templates?: TemplateCatalog;
    /** Test-only commands registered beside the real ones. */
    extraCommands?: readonly AnyCommand[];
    /** For backup, restore, verify; refused (backup-not-configured) when absent. */
    backups?: BackupService;
    backupLedger?: BackupLedger;
  } = {},
): TestBot {
  const db = openDatabase(':memory:');
  const clock = options.now ?? (() => new Date());
  const jobs = new SqliteJobStore(db, { now: clock });
  const audit = new SqliteAuditLog(db);
  const confirmations = new SqliteConfirmationStore(db, { now: clock });
  const wiped: string[] = [];
  const logs: string[] = [];
  let released = false;

  const touch = defineCommand({
    name: 'touch',
    summary: { ru: 'тест', en: 'test' },
    args: [serviceArg],
    options: [],
    mutating: { lock: 'service' },
    async run(ctx, input) {
      ctx.progress(0.4, 'touching s3cr3t-token-value');
      while (!released) {
        ctx.signal.throwIfAborted();
        await sleep(5);
      }
      return { message: { severity: 'success', text: `touched ${input.service}` } };
    },
  });
  const wipe = defineCommand({
    name: 'wipe',
    summary: { ru: 'тест', en: 'test' },
    args: [serviceArg],
    options: [
      {
        name: 'force',
        flags: '--force',
        description: { ru: 'x', en: 'x' },
        schema: z.boolean().optional(),
      },
    ],
    mutating: { lock: 'service' },
    describe: (_ctx, input) => Promise.resolve(`All data of ${input.service} will be deleted.`),
    run(_ctx, input) {
      wiped.push(input.service);
      return Promise.resolve({ message: { severity: 'success', text: `wiped ${input.service}` } });
    },
  });
  const all: AnyCommand[] = [...commands, touch, wipe, ...(options.extraCommands ?? [])];
  const replies: Message[] = [];
  const progress: ProgressUpdate[] = [];
  const bot = new Bot({
    catalog: options.catalog ?? testCatalog(),
    registry: new Registry(all),
    jobs,
    audit,
    confirmations,
    platform: () => options.platform ?? fakePlatform({}),
    ...(options.templates === undefined ? {} : { templates: options.templates }),
    ...(options.backups === undefined ? {} : { backups: options.backups }),
    ...(options.backupLedger === undefined ? {} : { backupLedger: options.backupLedger }),
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    now: clock,
    cancelPollMs: 10,
  });
  return {
    bot,
    db,
    jobs,
    audit,
    confirmations,
    wiped,
    logs,
    replies,
    progress,
    release: () => {
      released = true;
    },
    run: (actorId, text, extra = {}) => {
      const { sink, ...invocation } = extra;
      return bot.invoke(
        {
          actorId,
          room: { id: 'mattermost:ops' },
          source: 'mattermost',
          text,
          locale: 'en',
          ...invocation,
        },
        {
          reply: (m) => replies.push(m),
          progress: (p) => progress.push(p),
          confirm: { kind: 'pending' },
          ...sink,
        },
      );
    },
  };
}
