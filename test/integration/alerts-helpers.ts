/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1, routing to the bot's
 * receiver; and the bot's alert path wired onto the Mattermost test harness.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alertsSection } from '../../src/alerts/config-schema.ts';
import { resolveAlerts, type AlertsConfig } from '../../src/alerts/config.ts';
import { AlertsHub } from '../../src/alerts/port.ts';
import type { MatrixAdapter } from '../../src/chat/matrix/adapter.ts';
import { wireAlerts, type AlertsWiring } from '../../src/alerts/wire.ts';
import { sendJson } from '../../src/server/body.ts';
import type { Route } from '../../src/server/http.ts';
import {
  actionSecret,
  slashTokens,
  startHarness,
  type Harness,
} from '../fakes/mattermost/harness.ts';
import { createLogger } from '../../src/core/logger.ts';

export const alertToken = 'alertmanager-token-for-tests-0123';
export const alertmanagerBinary = 'prometheus-alertmanager';

/**
 * Fails (never skips) when Alertmanager is missing: scripts/test-env.sh installs Debian's
 * prometheus-alertmanager, so its absence means a broken test environment.
 */
export function requireAlertmanager(): void {
  if (spawnSync(alertmanagerBinary, ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `${alertmanagerBinary} does not run: run the tests through \`npm test\` ` +
        '(scripts/test-env.sh installs prometheus-alertmanager).',
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Alertmanager {
  readonly url: string;
  post(alerts: readonly Record<string, unknown>[]): Promise<void>;
  silences(): Promise<{ id: string; status: { state: string } }[]>;
  alerts(): Promise<{ labels: Record<string, string>; status: { state: string } }[]>;
  stop(): Promise<void>;
}

export async function startAlertmanager(receiverUrl: string): Promise<Alertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'pes-am-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = [
    'route:',
    '  receiver: pes',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: pes',
    '    webhook_configs:',
    `      - url: ${JSON.stringify(receiverUrl)}`,
    '        send_resolved: true',
    '        http_config:',
    '          authorization:',
    '            type: Bearer',
    `            credentials: ${JSON.stringify(alertToken)}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const child: ChildProcess = spawn(
    alertmanagerBinary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      // No gossip: a lone instance on loopback (docs/FIELD-NOTES.md "Alertmanager").
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager did not start: ${stderr}`);
    }
    await sleep(100);
  }
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${url}${path}`, init);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    url,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`post alerts: ${res.status} ${await res.text()}`);
    },
    silences: () => json('/api/v2/silences'),
    alerts: () => json('/api/v2/alerts?silenced=true&inhibited=true&active=true'),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AlertBot {
  readonly harness: Harness;
  /** The bot's alerts port: point it at the Alertmanager a test started. */
  readonly hub: AlertsHub;
  readonly receiverUrl: string;
  readonly wiring: () => AlertsWiring | undefined;
  /** Wires the alert path onto the harness's current state (after a restart, again). */
  wire(options?: {
    deliver?: boolean;
    alertmanagerUrl?: string;
    stormThreshold?: number;
    /** Alerts go to these rooms rather than to the harness's channel. */
    rooms?: readonly string[];
    /** Delivers to `matrix:` rooms through this adapter. */
    matrix?: MatrixAdapter;
  }): AlertsWiring;
  close(): Promise<void>;
}

export function alertsConfig(
  channelId: string,
  options: { alertmanagerUrl?: string; stormThreshold?: number; rooms?: readonly string[] } = {},
): AlertsConfig {
  const { rooms, ...rest } = options;
  const section = alertsSection.parse({
    ...rest,
    // Every alert to all these rooms (a Mattermost channel and a Matrix room, say).
    ...(rooms === undefined ? {} : { routes: [{ match: {}, rooms }] }),
    token: '${PES_ALERTS_TOKEN}',
    defaultRoom: `mattermost:${channelId}`,
    runbooks: [{ match: { alertname: 'MoodleDown' }, label: 'Restart', command: 'restart moodle' }],
  });
  const env = { PES_ALERTS_TOKEN: alertToken };
  const { settings } = resolveAlerts(section, { configPath: 'test', configDir: '.', env });
  if (settings === undefined) throw new Error('no alerts settings');
  return settings;
}

/** The Mattermost harness with the alert receiver mounted at /alertmanager. */
export async function startAlertBot(): Promise<AlertBot> {
  let current: AlertsWiring | undefined;
  const route: Route = {
    methods: ['POST'],
    path: '/alertmanager',
    handle: async (req, res) => {
      const handler = current?.routes[0];
      if (handler === undefined) {
        sendJson(res, 503, { error: 'not-ready' });
        req.resume();
        return;
      }
      await handler.handle(req, res);
    },
  };
  const hub = new AlertsHub(undefined);
  const harness = await startHarness({ extraRoutes: [route], alerts: hub });
  const log = createLogger({ level: 'debug', write: (line) => harness.logs.push(line) });
  const bot: AlertBot = {
    harness,
    hub,
    receiverUrl: `${harness.baseUrl}/alertmanager`,
    wiring: () => current,
    wire(options = {}) {
      current = wireAlerts({
        config: alertsConfig(harness.ops.id, {
          ...(options.alertmanagerUrl === undefined
            ? {}
            : { alertmanagerUrl: options.alertmanagerUrl }),
          ...(options.stormThreshold === undefined
            ? {}
            : { stormThreshold: options.stormThreshold }),
          ...(options.rooms === undefined ? {} : { rooms: options.rooms }),
        }),
        ...(options.matrix === undefined ? {} : { matrix: options.matrix }),
        db: harness.db,
        bot: harness.bot,
        mattermost: harness.adapter,
        mattermostSettings: {
          url: harness.fake.url,
          botToken: harness.fake.bot.token,
          slashTokens,
          actionSecret,
          publicUrl: harness.baseUrl,
          teams: [],
          channels: [harness.ops.id],
        },
        hub,
        log,
      });
      if (options.deliver !== false) current.delivery?.start();
      return current;
    },
    async close() {
      await current?.delivery?.stop();
      await harness.close();
    },
  };
  return bot;
}
