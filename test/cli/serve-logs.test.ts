/**
 * What `pes serve` writes, with Mattermost and Matrix front ends against the fakes: the
 * messenger libraries' own output (the Mattermost WebSocket client's `websocket connecting
 * to …`, `websocket error` and its `ErrorEvent {…}`, matrix-js-sdk's logger) reaches stderr
 * as JSON lines of the bot's log, and stdout holds only the start lines the README shows.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost/index.ts';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { pesBin, tempWorkdir } from '../helpers/cli.ts';
import { freePort } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

let mm: FakeMattermost | undefined;
let hs: FakeHomeserver | undefined;

afterEach(async () => {
  await mm?.close();
  await hs?.close();
});

const waitLong = (check: () => boolean, what: string): Promise<void> =>
  waitFor(check, what, 30_000);

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

function parseLine(line: string): LogLine | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (value === null || typeof value !== 'object') return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record['level'] !== 'string' || typeof record['msg'] !== 'string') return undefined;
    return record as LogLine;
  } catch {
    return undefined;
  }
}

describe('pes serve output', () => {
  it('sends the messenger libraries’ console output through the log, none to stdout', async () => {
    mm = await new FakeMattermost().start();
    const anna = mm.data.addUser('anna');
    mm.data.addChannel('ops', [mm.bot, anna]);
    hs = await new FakeHomeserver().start();
    const bot = hs.addUser('pes');
    const w = tempWorkdir(`
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
log: { level: debug }
mattermost:
  url: ${mm.url}
  botToken: '\${PES_MM_TOKEN}'
matrix:
  homeserverUrl: ${hs.url}
  userId: '${bot.userId}'
  accessToken: '\${PES_MATRIX_TOKEN}'
  deviceId: '\${PES_MATRIX_DEVICE}'
`);
    const child = spawn(process.execPath, [pesBin, '--config', w.config, 'serve'], {
      cwd: w.dir,
      env: {
        PATH: process.env['PATH'],
        PES_PORT: String(await freePort()),
        PES_MM_TOKEN: mm.bot.token,
        PES_MATRIX_TOKEN: bot.accessToken,
        PES_MATRIX_DEVICE: bot.deviceId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const logged = (pattern: RegExp): boolean =>
      stderr.split('\n').some((line) => pattern.test(parseLine(line)?.['text'] as string));
    try {
      const fake = mm;
      await waitLong(() => fake.sockets.connected === 1, 'the Mattermost WebSocket');
      await waitLong(() => hs?.requests.some((r) => r.endpoint === 'sync') ?? false, 'a sync');
      // A drop, then refused attempts: the client logs the close and each failed connect
      // (`websocket error` and the ErrorEvent itself), then the reconnection.
      fake.dropSockets(true);
      await waitLong(() => logged(/ErrorEvent/), 'the ErrorEvent in the log');
      fake.acceptSockets();
      await waitLong(() => fake.sockets.connected === 1, 'the WebSocket back');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const errLines = stderr.split('\n').filter((line) => line !== '');
    const raw = errLines.filter((line) => parseLine(line) === undefined);
    expect(raw).toEqual([]);
    const records = errLines.map((line) => parseLine(line) as LogLine);
    const fromConsole = records.filter((r) => r.msg === 'console');
    expect(fromConsole.some((r) => /websocket connecting to ws:/.test(String(r['text'])))).toBe(
      true,
    );
    expect(fromConsole.find((r) => /ErrorEvent/.test(String(r['text'])))?.level).toBe('debug');
    expect(records.some((r) => r.msg.startsWith('matrix-sdk'))).toBe(true);
    // Secrets stay out of every line.
    expect(stderr).not.toContain(mm.bot.token);
    expect(stderr).not.toContain(bot.accessToken);

    const outLines = stdout.split('\n').filter((line) => line !== '');
    expect(outLines[0]).toMatch(/^pes-bot listening on http:\/\/127\.0\.0\.1:\d+$/);
    for (const line of outLines.slice(1)) {
      expect(line).toMatch(/The bot is running; commands on services will fail|Docker engine/);
    }
    expect(stdout).not.toMatch(/websocket|ErrorEvent|matrix/i);
  });
});
