/**
 * The bot's Mattermost front end wired to a FakeMattermost: the real adapter, outbox,
 * WebSocket client and HTTP routes on 127.0.0.1, a bot with real SQLite stores, and three
 * test commands: `crunch <service> [steps]` (a job that reports progress), `wipe <service>`
 * (destructive: needs a confirmation), `echo <words…>` (quick, read-only) and `nap` (read-only,
 * 400 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { commands } from '../../../commands/index.ts';
import { MattermostAdapter, type AdapterTiming } from '../../../src/chat/mattermost/adapter.ts';
import type { MattermostSettings } from '../../../src/chat/mattermost/types.ts';
import { serviceArg } from '../../../src/core/args.ts';
import type { AlertsPort } from '../../../src/core/alerts.ts';
import { Bot } from '../../../src/core/bot.ts';
import { defineCommand } from '../../../src/core/command.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Registry } from '../../../src/core/registry.ts';
import { startHttpServer, type Route } from '../../../src/server/http.ts';
import { commandPath, mattermostRoutes } from '../../../src/server/mattermost-routes.ts';
import { SqliteAuditLog } from '../../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { SqliteJobStore } from '../../../src/store/jobs-repo.ts';
import { fakePlatform } from '../../helpers/bot.ts';
import { service } from '../../helpers/catalog.ts';
import { FakeMattermost, type FakeChannel, type FakeUser } from './index.ts';

export const slashTokens = ['slash-token-team-a-0001', 'slash-token-team-b-0002'];
export const actionSecret = 'action-secret-for-tests-0123456789';

const crunch = defineCommand({
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

const wipe = defineCommand({
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

const echo = defineCommand({
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

/** A read-only command that takes a while (for the acknowledgement path). */
const nap = defineCommand({
  name: 'nap',
  summary: { ru: 'тест', en: 'test' },
  args: [],
  options: [],
  run: async () => {
    await sleep(400);
    return { message: { severity: 'info', text: 'rested' } };
  },
});

export const wiped: string[] = [];

export interface Harness {
  readonly fake: FakeMattermost;
  readonly adapter: MattermostAdapter;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  /** The state database's file (for what `pes serve` runs beside it, e.g. the checkpointer). */
  readonly dbPath: string;
  readonly audit: SqliteAuditLog;
  readonly confirmations: SqliteConfirmationStore;
  readonly admin: FakeUser;
  readonly operator: FakeUser;
  readonly stranger: FakeUser;
  readonly ops: FakeChannel;
  readonly commandUrl: string;
  readonly baseUrl: string;
  readonly logs: string[];
  /** Restarts the bot (a new process) on the same state file and the same fake server. */
  restart(whileStopped?: () => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly timing?: AdapterTiming;
  readonly settings?: Partial<MattermostSettings>;
  readonly extraRoutes?: readonly Route[];
  /** Do not start the adapter (for tests that only use the HTTP routes). */
  readonly noStart?: boolean;
  /** The alert commands' port (the alert tests give one). */
  readonly alerts?: AlertsPort;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await new FakeMattermost().start();
  const admin = fake.data.addUser('anna');
  const operator = fake.data.addUser('oleg');
  const stranger = fake.data.addUser('sam');
  const ops = fake.data.addChannel('ops', [fake.bot, admin, operator, stranger]);
  const dir = mkdtempSync(join(tmpdir(), 'pes-mm-'));
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const catalog = {
    locale: 'en' as const,
    services: new Map([
      ['moodle', service('moodle')],
      ['keycloak', service('keycloak')],
    ]),
    roles: [
      { name: 'admin', members: [`mattermost:${admin.id}`], commands: ['*'] },
      {
        name: 'operator',
        members: [`mattermost:${operator.id}`],
        commands: ['status', 'echo', 'crunch', 'nap'],
      },
    ],
    rooms: [],
    secrets: [...slashTokens, actionSecret, fake.bot.token],
  };
  let adapter: MattermostAdapter | undefined;
  const routes = mattermostRoutes({
    slash: (form, token) => (adapter as MattermostAdapter).slash(form, token),
    action: (body) => (adapter as MattermostAdapter).action(body),
  });
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    readiness: { check: () => Promise.resolve({}) },
    onError: (error) => log.error('http', { error }),
    routes: [...routes, ...(options.extraRoutes ?? [])],
  });
  const baseUrl = `http://127.0.0.1:${http.port}`;
  const settings: MattermostSettings = {
    url: fake.url,
    botToken: fake.bot.token,
    slashTokens,
    actionSecret,
    publicUrl: baseUrl,
    teams: [fake.data.teamId],
    channels: [ops.id],
    ...options.settings,
  };
  const timing: AdapterTiming = {
    minRetryMs: 100,
    jitterMs: 100,
    retryBaseMs: 50,
    progressIntervalMs: 2000,
    ...options.timing,
  };
  let db = openDatabase(join(dir, 'pes.db'));
  const build = (): { bot: Bot; adapter: MattermostAdapter } => {
    const bot = new Bot({
      catalog,
      registry: new Registry([...commands, crunch, wipe, echo, nap]),
      jobs: new SqliteJobStore(db),
      audit: new SqliteAuditLog(db),
      confirmations: new SqliteConfirmationStore(db),
      platform: () => fakePlatform({}),
      ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
      log,
    });
    return { bot, adapter: new MattermostAdapter({ settings, bot, db, log, timing }) };
  };
  let built = build();
  adapter = built.adapter;
  if (options.noStart !== true) adapter.start();
  const harness = {
    fake,
    get adapter() {
      return built.adapter;
    },
    get bot() {
      return built.bot;
    },
    get db() {
      return db;
    },
    get audit() {
      return new SqliteAuditLog(db);
    },
    get confirmations() {
      return new SqliteConfirmationStore(db);
    },
    admin,
    operator,
    stranger,
    ops,
    commandUrl: `${baseUrl}${commandPath}`,
    baseUrl,
    dbPath: join(dir, 'pes.db'),
    logs,
    restart: async (whileStopped?: () => void | Promise<void>) => {
      await built.adapter.stop();
      await whileStopped?.();
      db.close();
      db = openDatabase(join(dir, 'pes.db'));
      built = build();
      adapter = built.adapter;
      built.adapter.start();
    },
    close: async () => {
      await built.adapter.stop();
      await http.close();
      await fake.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Polls until `check` holds. */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
