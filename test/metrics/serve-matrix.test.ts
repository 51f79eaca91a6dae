/**
 * A real `pes serve` (a child process) against the fake homeserver: /metrics says the Matrix
 * sync is up once the client syncs, and down once the homeserver is gone.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, it } from 'vitest';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe, type Serving } from '../helpers/serve.ts';
import { parseExposition, token, type Scrape } from './bed.ts';

let hs: FakeHomeserver | undefined;
let serving: Serving | undefined;
let dir: string | undefined;

afterAll(async () => {
  serving?.child.kill('SIGTERM');
  await serving?.exited;
  await hs?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function scrape(base: string): Promise<Scrape | undefined> {
  try {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return res.status === 200 ? parseExposition(await res.text()) : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

async function until(base: string, series: string, value: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  let last: number | undefined;
  while (Date.now() < deadline) {
    last = (await scrape(base))?.samples.get(series);
    if (last === value) return;
    await sleep(50);
  }
  throw new Error(`${series} never became ${value}; last ${String(last)}: ${serving?.output()}`);
}

describe('pes serve /metrics with Matrix', () => {
  it('says the sync is up while the client syncs, down when the homeserver is gone', async () => {
    hs = await new FakeHomeserver().start();
    const bot = hs.addUser('pes');
    const anna = hs.addUser('anna');
    hs.createRoom(anna, { name: 'ops', members: [bot] });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const w = tempWorkdir(
      [
        'locale: en',
        'state: { path: state/pes.db }',
        `server: { host: 127.0.0.1, port: ${port}, metricsToken: "\${PES_TEST_METRICS}" }`,
        "docker: { host: 'unix:///nonexistent/pes/docker.sock' }",
        'matrix:',
        `  homeserverUrl: ${hs.url}`,
        `  userId: '${bot.userId}'`,
        "  accessToken: '${PES_MATRIX_TOKEN}'",
        "  deviceId: '${PES_MATRIX_DEVICE}'",
        `  allowedInviters: ['${anna.userId}']`,
        '',
      ].join('\n'),
    );
    dir = w.dir;
    serving = startServe(w, {
      PES_TEST_METRICS: token,
      PES_MATRIX_TOKEN: bot.accessToken,
      PES_MATRIX_DEVICE: bot.deviceId,
    });
    const series = 'pes_messenger_connected{messenger="matrix"}';
    await until(base, series, 1);
    await hs.close();
    hs = undefined;
    await until(base, series, 0);
  }, 240_000);
});
