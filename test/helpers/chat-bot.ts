/**
 * What the chat front-end harnesses share (test/chat/matrix/harness.ts and
 * test/fakes/mattermost/harness.ts): the test commands `crunch <service> [steps]` (a job
 * that reports progress every 200 ms), `wipe <service>` (destructive: asks for a
 * confirmation) and `echo <words…>` (quick, read-only); a catalog of two services with an
 * admin and an operator; and the bot on real SQLite stores.
 */
import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { commands } from '../../commands/index.ts';
import { serviceArg } from '../../src/core/args.ts';
import type { AlertsPort } from '../../src/core/alerts.ts';
import { Bot, type BotDeps } from '../../src/core/bot.ts';
import type { Catalog, ServiceDefinition } from '../../src/core/catalog.ts';
import { defineCommand, type AnyCommand } from '../../src/core/command.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { People } from '../../src/core/people.ts';
import type { Platform } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { fakePlatform } from './bot.ts';
import { service } from './catalog.ts';

/** The services `wipe` ran on, in order (a test empties it when it needs to). */
export const wiped: string[] = [];

export const crunch = defineCommand({
  name: 'crunch',
  summary: { ru: 'тест', en: 'test' },
  args: [
    serviceArg,
    {
      name: 'steps',
      description: { ru: 'x', en: 'x' },
      schema: z
        .string()
        .regex(/^\d{1,2}$/)
        .transform(Number)
        .optional(),
    },
  ],
  options: [],
  mutating: { lock: 'service' },
  async run(ctx, input) {
    const steps = input.steps ?? 0;
    for (let i = 1; i <= steps; i++) {
      await sleep(200);
      ctx.progress(i / steps, `step ${i} of ${steps}`);
    }
    return {
      message: { severity: 'success', title: `crunched ${input.service}`, text: `${steps} steps` },
    };
  },
});

export const wipe = defineCommand({
  name: 'wipe',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  describe: (_ctx, input) => Promise.resolve(`All data of ${input.service} will be deleted.`),
  run: (_ctx, input) => {
    wiped.push(input.service);
    return Promise.resolve({ message: { severity: 'success', text: `wiped ${input.service}` } });
  },
});

export const echo = defineCommand({
  name: 'echo',
  summary: { ru: 'тест', en: 'test' },
  args: [
    {
      name: 'words',
      description: { ru: 'x', en: 'x' },
      variadic: true,
      schema: z.array(z.string()),
    },
  ],
  options: [],
  run: (_ctx, input) =>
    Promise.resolve({ message: { severity: 'info', text: input.words.join(' ') } }),
});

export interface ChatCatalogOptions {
  /** The admin's actor id (every command). */
  readonly admin: string;
  /** The operator's actor id, and what the operator may run. */
  readonly operator: string;
  readonly operatorCommands: readonly string[];
  readonly secrets: readonly string[];
}

/** moodle and keycloak, an admin and an operator, English, no room bindings. */
export function chatCatalog(o: ChatCatalogOptions): Catalog {
  return {
    locale: 'en',
    services: new Map([
      ['moodle', service('moodle')],
      ['keycloak', service('keycloak')],
    ]),
    roles: [
      { name: 'admin', members: [o.admin], commands: ['*'] },
      { name: 'operator', members: [o.operator], commands: [...o.operatorCommands] },
    ],
    rooms: [],
    secrets: [...o.secrets],
  };
}

export interface ChatBotOptions {
  readonly db: DatabaseSync;
  readonly catalog: Catalog;
  readonly log: Logger;
  /** Test commands beside the real ones. */
  readonly extra: readonly AnyCommand[];
  readonly alerts?: AlertsPort | undefined;
  /** Names of people and rooms (src/chat/people); ids when absent. */
  readonly people?: People | undefined;
  /** The platform per service; absent: one that only knows status. */
  readonly platform?: ((service: ServiceDefinition) => Platform) | undefined;
  /** More of the bot's parts (plugin requests, approvals), built on the same state. */
  readonly deps?: Partial<BotDeps> | undefined;
}

/** The real commands and `extra` on SQLite stores in `db`, on a platform that only knows status. */
export function chatBot(o: ChatBotOptions): Bot {
  return new Bot({
    catalog: o.catalog,
    registry: new Registry([...commands, ...o.extra]),
    jobs: new SqliteJobStore(o.db),
    audit: new SqliteAuditLog(o.db),
    confirmations: new SqliteConfirmationStore(o.db),
    platform: o.platform ?? (() => fakePlatform({})),
    ...(o.alerts === undefined ? {} : { alerts: o.alerts }),
    ...(o.people === undefined ? {} : { people: o.people }),
    ...o.deps,
    log: o.log,
  });
}
