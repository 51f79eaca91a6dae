/**
 * A real `pes serve` (a child process) against the fake Mattermost: its /metrics says the
 * WebSocket is up once the adapter has connected and down when the connection is cut, and
 * counts a slash command that went through the real HTTP route and the bot.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMattermost, type FakeChannel, type FakeUser } from '../fakes/mattermost/index.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe, type Serving } from '../helpers/serve.ts';
import { parseExposition, token, type Scrape } from './bed.ts';

const slashToken = 'slash-token-for-metrics-0123';
let fake: FakeMattermost;
let admin: FakeUser;
let ops: FakeChannel;
let serving: Serving;
let w: { dir: string; config: string };
let base: string;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  admin = fake.data.addUser('anna');
  ops = fake.data.addChannel('ops', [fake.bot, admin]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  w = tempWorkdir(
    [
      'locale: en',
      'state: { path: state/pes.db }',
      `server: { host: 127.0.0.1, port: ${port}, metricsToken: "\${PES_TEST_METRICS}" }`,
      'docker: { host: "unix:///nonexistent/docker.sock" }',
      'services:',
      '  web:',
      '    containers: { compose: { project: p, service: web } }',
      'roles:',
      `  admin: { members: ['mattermost:${admin.id}'], commands: ['*'] }`,
      'mattermost:',
      `  url: ${fake.url}`,
      '  botToken: "${PES_TEST_MM_TOKEN}"',
      '  slashTokens: ["${PES_TEST_SLASH}"]',
      `  teams: [${fake.data.teamId}]`,
      `  channels: [${ops.id}]`,
      '',
    ].join('\n'),
  );
  serving = startServe(w, {
    PES_TEST_METRICS: token,
    PES_TEST_MM_TOKEN: fake.bot.token,
    PES_TEST_SLASH: slashToken,
  });
}, 60_000);

afterAll(async () => {
  serving.child.kill('SIGTERM');
  await serving.exited;
  await fake.close();
  rmSync(w.dir, { recursive: true, force: true });
});

async function scrape(): Promise<Scrape | undefined> {
  try {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return res.status === 200 ? parseExposition(await res.text()) : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

/** Scrapes until `series` has `value` (as Prometheus would see it change), or fails. */
async function until(series: string, value: number, timeoutMs = 60_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  let last: Scrape | undefined;
  while (Date.now() < deadline) {
    last = await scrape();
    if (last?.samples.get(series) === value) return last;
    await sleep(50);
  }
  throw new Error(
    `${series} never became ${value}; last: ${String(last?.samples.get(series))}; the bot said: ${serving.output()}`,
  );
}

describe('pes serve /metrics with Mattermost', () => {
  const connected = 'pes_messenger_connected{messenger="mattermost"}';

  it('says the WebSocket is up once connected, down when cut, up again after', async () => {
    await until(connected, 1);
    fake.dropSockets(true);
    await until(connected, 0);
    fake.acceptSockets();
    await until(connected, 1);
  }, 120_000);

  it('counts and times a slash command that went through the bot', async () => {
    const series = 'pes_commands_total{command="help",outcome="ok"}';
    const before = (await until(connected, 1)).samples.get(series) ?? 0;
    const answer = await fake.slash(`${base}/mattermost/command`, slashToken, admin, ops, 'help');
    expect(answer.status).toBe(200);
    const after = await until(series, before + 1);
    expect(after.samples.get('pes_command_duration_seconds_count{command="help"}')).toBe(
      before + 1,
    );
  }, 120_000);
});
