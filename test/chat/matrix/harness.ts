/**
 * The bot's Matrix front end wired to the FakeHomeserver of test/fakes/matrix: the real
 * adapter (matrix-js-sdk client, SQLite sync store, outbox) and a bot with real SQLite stores
 * on a state file that survives `restart()`, with the test commands of
 * test/helpers/chat-bot.ts (`crunch`, `wipe`, `echo`) and `dump <lines>` (long output).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { MatrixAdapter, type MatrixTiming } from '../../../src/chat/matrix/adapter.ts';
import { PeopleDirectory } from '../../../src/chat/people/directory.ts';
import type { MatrixSettings } from '../../../src/chat/matrix/types.ts';
import type { AlertsPort } from '../../../src/core/alerts.ts';
import type { Bot, BotDeps } from '../../../src/core/bot.ts';
import type { Catalog, ServiceDefinition } from '../../../src/core/catalog.ts';
import { defineCommand } from '../../../src/core/command.ts';
import { createLogger } from '../../../src/core/logger.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { openDatabase } from '../../../src/store/database.ts';
import {
  FakeHomeserver,
  type ClientEvent,
  type FakeMatrixUser,
  type FakeRoom,
} from '../../fakes/matrix/index.ts';
import { chatBot, chatCatalog, crunch, echo, wipe } from '../../helpers/chat-bot.ts';
import { waitFor } from '../../helpers/wait.ts';

export { wiped } from '../../helpers/chat-bot.ts';
export { waitFor } from '../../helpers/wait.ts';

/** Output of `lines` lines: too long for one event, so it becomes a file. */
const dump = defineCommand({
  name: 'dump',
  summary: { ru: 'тест', en: 'test' },
  args: [
    {
      name: 'lines',
      description: { ru: 'x', en: 'x' },
      schema: z
        .string()
        .regex(/^\d{1,5}$/)
        .transform(Number),
    },
  ],
  options: [],
  run: (_ctx, input) =>
    Promise.resolve({
      message: {
        severity: 'info',
        title: 'dump',
        code: {
          content: Array.from(
            { length: input.lines },
            (_, i) => `line ${i} ${'x'.repeat(30)}`,
          ).join('\n'),
        },
      },
    }),
});

export interface Harness {
  readonly hs: FakeHomeserver;
  readonly adapter: MatrixAdapter;
  /** The bot of the current start (a new one after `restart`). */
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly botUser: FakeMatrixUser;
  readonly admin: FakeMatrixUser;
  readonly operator: FakeMatrixUser;
  readonly stranger: FakeMatrixUser;
  /** A room the bot, the admin, the operator and the stranger have joined. */
  readonly ops: FakeRoom;
  readonly logs: string[];
  /** Resolves once the client has done its first sync. */
  ready(): Promise<void>;
  /** The bot's visible messages in a room (edits applied), oldest first. */
  botMessages(room: FakeRoom): ClientEvent[];
  /** Waits for a bot message whose body matches. */
  botSays(room: FakeRoom, match: RegExp, timeoutMs?: number): Promise<ClientEvent>;
  restart(whileStopped?: () => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The alert commands' port (the alert tests give one). */
  readonly alerts?: AlertsPort;
  readonly timing?: MatrixTiming;
  readonly settings?: Partial<MatrixSettings>;
  /** The state file to use (another front end's, to share it as one `pes serve` does). */
  readonly statePath?: string;
  /** Changes to the catalog (e.g. services on a cluster beside the two Docker ones). */
  readonly catalog?: (base: Catalog) => Catalog;
  /** The platform per service; absent: one that only knows status. */
  readonly platform?: (service: ServiceDefinition) => Platform;
  /** More of the bot's parts on its state database; `ready` gets each adapter built. */
  readonly deps?: (db: DatabaseSync) => Partial<BotDeps>;
  readonly ready?: (adapter: MatrixAdapter) => void;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const hs = await new FakeHomeserver().start();
  const botUser = hs.addUser('pes', { displayName: 'PES' });
  const admin = hs.addUser('anna');
  const operator = hs.addUser('oleg');
  const stranger = hs.addUser('sam');
  const ops = hs.createRoom(admin, { name: 'ops', members: [botUser, operator, stranger] });
  const dir = mkdtempSync(join(tmpdir(), 'pes-mx-'));
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const base = chatCatalog({
    admin: `matrix:${admin.userId}`,
    operator: `matrix:${operator.userId}`,
    operatorCommands: ['status', 'echo', 'crunch', 'dump'],
    secrets: [botUser.accessToken],
  });
  const catalog = options.catalog?.(base) ?? base;
  const settings: MatrixSettings = {
    homeserverUrl: hs.url,
    userId: botUser.userId,
    accessToken: botUser.accessToken,
    deviceId: botUser.deviceId,
    allowedInviters: [admin.userId],
    allowedRooms: [],
    rooms: [],
    ...options.settings,
  };
  const timing: MatrixTiming = {
    retryBaseMs: 50,
    progressIntervalMs: 2000,
    pollTimeoutMs: 2000,
    ...options.timing,
  };
  const path = options.statePath ?? join(dir, 'pes.db');
  let db = openDatabase(path);
  let bot: Bot | undefined;
  const build = (): MatrixAdapter => {
    const extra = [crunch, wipe, echo, dump];
    // As src/app.ts wires it: one directory of names for the bot and the adapter.
    const people = new PeopleDirectory({ log });
    bot = chatBot({
      db,
      catalog,
      log,
      extra,
      alerts: options.alerts,
      people,
      platform: options.platform,
      deps: options.deps?.(db),
    });
    const made = new MatrixAdapter({ settings, bot, db, log, timing, people });
    options.ready?.(made);
    return made;
  };
  let adapter = build();
  adapter.start();
  const botMessages = (room: FakeRoom): ClientEvent[] => hs.messagesBy(room, botUser);
  return {
    hs,
    get adapter() {
      return adapter;
    },
    get bot() {
      return bot as Bot;
    },
    get db() {
      return db;
    },
    botUser,
    admin,
    operator,
    stranger,
    ops,
    logs,
    ready: () => waitFor(() => adapter.prepared, 'the first sync'),
    botMessages,
    botSays: async (room, match, timeoutMs = 10_000) => {
      let found: ClientEvent | undefined;
      await waitFor(
        () => {
          found = botMessages(room).find((e) => match.test(String(e.content['body'])));
          return found !== undefined;
        },
        `a bot message matching ${String(match)}`,
        timeoutMs,
      );
      return found as ClientEvent;
    },
    restart: async (whileStopped) => {
      await adapter.stop();
      await whileStopped?.();
      db.close();
      db = openDatabase(path);
      adapter = build();
      adapter.start();
    },
    close: async () => {
      await adapter.stop();
      await hs.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
