/**
 * The metrics as `pes serve` wires them, in this process: a bot with real SQLite stores in a
 * file, the Metrics registry fed by the core, the /metrics route on a real HTTP server, and a
 * parser of what a scrape returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { commands } from '../../commands/index.ts';
import { AlertCounters } from '../../src/alerts/counters.ts';
import { serviceArg } from '../../src/core/args.ts';
import { Bot } from '../../src/core/bot.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import { defineCommand } from '../../src/core/command.ts';
import { UserError } from '../../src/core/errors.ts';
import type { InvocationSink } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { Registry as CommandRegistry } from '../../src/core/registry.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { startHttpServer } from '../../src/server/http.ts';
import { metricsRoute } from '../../src/server/metrics-route.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { fakePlatform } from '../helpers/bot.ts';
import { service, testCatalog } from '../helpers/catalog.ts';

export const token = 'metrics-token-0123456789';

/** Mutating test commands: `touch` succeeds, `breaks` fails, both as jobs. */
const touch = defineCommand({
  name: 'touch',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  run: (_ctx, input) =>
    Promise.resolve({ message: { severity: 'success', text: `touched ${input.service}` } }),
});
const breaks = defineCommand({
  name: 'breaks',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  run: () => Promise.reject(new UserError('bot-stopping')),
});

export function metricsCatalog(): Catalog {
  return testCatalog({
    services: new Map([
      ['moodle', service('moodle', { backup: { schedule: '0 3 * * *', drill: '0 5 * * 0' } })],
      ['keycloak', service('keycloak')],
    ]),
  });
}

export interface MetricsBed {
  readonly db: DatabaseSync;
  readonly dbPath: string;
  readonly metrics: Metrics;
  readonly counters: AlertCounters;
  readonly ledger: SqliteBackupLedger;
  readonly url: string;
  /** Whether the fake Mattermost connection is up. */
  connected: boolean;
  invoke(text: string, actorId?: string): Promise<Outcome>;
  close(): Promise<void>;
}

const sink: InvocationSink = {
  reply: () => undefined,
  progress: () => undefined,
  confirm: { kind: 'refuse' },
};

export async function startMetricsBed(): Promise<MetricsBed> {
  const dir = mkdtempSync(join(tmpdir(), 'pes-metrics-'));
  const dbPath = join(dir, 'pes.db');
  const db = openDatabase(dbPath);
  const metrics = new Metrics('9.8.7');
  const catalog = metricsCatalog();
  const ledger = new SqliteBackupLedger(db);
  const bot = new Bot({
    catalog,
    registry: new CommandRegistry([...commands, touch, breaks]),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () =>
      fakePlatform({
        moodle: { service: 'moodle', state: 'up', containers: [] },
        keycloak: { service: 'keycloak', state: 'up', containers: [] },
      }),
    backupLedger: ledger,
    log: createLogger({ level: 'error', write: () => undefined }),
    metrics: metrics.bot,
  });
  const counters = new AlertCounters();
  const bed = {
    db,
    dbPath,
    metrics,
    counters,
    ledger,
    connected: false,
  } as { -readonly [K in keyof MetricsBed]: MetricsBed[K] };
  metrics.attach({
    db,
    catalog,
    alerts: counters,
    connections: { mattermost: () => bed.connected },
  });
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    onError: () => undefined,
    readiness: { check: () => Promise.resolve({}) },
    routes: [metricsRoute(token, metrics.registry)],
  });
  bed.url = `http://127.0.0.1:${server.port}/metrics`;
  bed.invoke = (text, actorId = 'local:root') =>
    bot.invoke({ actorId, room: { id: 'terminal' }, source: 'terminal', text }, sink);
  bed.close = async () => {
    await server.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return bed;
}

/** One sample of a scrape: the series (name and labels as written) and its value. */
export type Samples = ReadonlyMap<string, number>;

export interface Scrape {
  readonly text: string;
  readonly samples: Samples;
  /** Family name → its TYPE. */
  readonly types: ReadonlyMap<string, string>;
}

export function parseExposition(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1] ?? '', type[2] ?? '');
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, samples, types };
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return parseExposition(await res.text());
}
