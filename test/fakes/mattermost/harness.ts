/**
 * The bot's Mattermost front end wired to a FakeMattermost: the real adapter, outbox,
 * WebSocket client and HTTP routes on 127.0.0.1, a bot with real SQLite stores, the test
 * commands of test/helpers/chat-bot.ts (`crunch`, `wipe`, `echo`) and `nap` (read-only,
 * 400 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { MattermostAdapter, type AdapterTiming } from '../../../src/chat/mattermost/adapter.ts';
import type { MattermostSettings } from '../../../src/chat/mattermost/types.ts';
import { PeopleDirectory, type DirectoryOptions } from '../../../src/chat/people/directory.ts';
import type { AlertsPort } from '../../../src/core/alerts.ts';
import { Bot, type BotDeps } from '../../../src/core/bot.ts';
import type { Catalog, ServiceDefinition } from '../../../src/core/catalog.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { defineCommand } from '../../../src/core/command.ts';
import type { Locale } from '../../../src/core/i18n.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { startHttpServer, type Route } from '../../../src/server/http.ts';
import { commandPath, mattermostRoutes } from '../../../src/server/mattermost-routes.ts';
import { SqliteAuditLog } from '../../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { chatBot, chatCatalog, crunch, echo, wipe } from '../../helpers/chat-bot.ts';
import { FakeMattermost, type FakeChannel, type FakeUser } from './index.ts';

export { wiped } from '../../helpers/chat-bot.ts';
export { waitFor } from '../../helpers/wait.ts';

export const slashTokens = ['slash-token-team-a-0001', 'slash-token-team-b-0002'];
export const actionSecret = 'action-secret-for-tests-0123456789';

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
  /**
   * Whether the admin granted the bot `create_post_ephemeral`, as the README's setup says to
   * (default true); false tests what the bot does without it.
   */
  readonly ephemeralPermission?: boolean;
  /** The language configured for the `ops` channel (`rooms:` in the configuration). */
  readonly opsLocale?: Locale;
  /** The name lookup's time limit and cache times (src/chat/people/directory.ts). */
  readonly people?: DirectoryOptions;
  /** Changes to the catalog (e.g. services on a cluster beside the two Docker ones). */
  readonly catalog?: (base: Catalog) => Catalog;
  /** The platform per service; absent: one that only knows status. */
  readonly platform?: (service: ServiceDefinition) => Platform;
  /** More of the bot's parts on its state database; `ready` gets each adapter built. */
  readonly deps?: (db: DatabaseSync) => Partial<BotDeps>;
  readonly ready?: (adapter: MattermostAdapter) => void;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await new FakeMattermost().start();
  if (options.ephemeralPermission !== false) fake.data.grant(fake.bot, 'create_post_ephemeral');
  const admin = fake.data.addUser('anna');
  const operator = fake.data.addUser('oleg');
  const stranger = fake.data.addUser('sam');
  const ops = fake.data.addChannel('ops', [fake.bot, admin, operator, stranger]);
  const dir = mkdtempSync(join(tmpdir(), 'pes-mm-'));
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const base = chatCatalog({
    admin: `mattermost:${admin.id}`,
    operator: `mattermost:${operator.id}`,
    operatorCommands: ['status', 'echo', 'crunch', 'nap'],
    secrets: [...slashTokens, actionSecret, fake.bot.token],
  });
  const localized: Catalog =
    options.opsLocale === undefined
      ? base
      : {
          ...base,
          rooms: [{ name: 'ops', address: `mattermost:${ops.id}`, locale: options.opsLocale }],
        };
  const catalog = options.catalog?.(localized) ?? localized;
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
    const extra = [crunch, wipe, echo, nap];
    // As src/app.ts wires it: one directory for the bot and the adapter.
    const people = new PeopleDirectory({ log, ...options.people });
    const bot = chatBot({
      db,
      catalog,
      log,
      extra,
      alerts: options.alerts,
      people,
      platform: options.platform,
      deps: options.deps?.(db),
    });
    const made = new MattermostAdapter({ settings, bot, db, log, timing, people });
    options.ready?.(made);
    return { bot, adapter: made };
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
      // As `pes serve` stops (src/cli/serve-stop.ts): the jobs still running are cancelled
      // and waited for before the adapter stops and the database closes, so that none of
      // them posts progress into a closed database.
      const runner = built.bot.runner;
      runner.stop();
      await runner.settled(AbortSignal.timeout(10_000));
      runner.detach();
      await built.adapter.stop();
      await http.close();
      await fake.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
