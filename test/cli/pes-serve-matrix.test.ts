/**
 * `pes serve` with a `matrix:` section, as a person starts it, against the fake homeserver:
 * the token and device id come from the environment, a job interrupted in a Matrix room is
 * reported there, `!pes whoami` is answered, and SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { pesBin, tempWorkdir } from '../helpers/cli.ts';

let hs: FakeHomeserver | undefined;

afterEach(async () => {
  await hs?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('pes serve with matrix', () => {
  it('answers in a Matrix room and reports a job interrupted there', async () => {
    hs = await new FakeHomeserver().start();
    const bot = hs.addUser('pes');
    const anna = hs.addUser('anna');
    const ops = hs.createRoom(anna, { name: 'ops', members: [bot] });
    const w = tempWorkdir(`
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
roles:
  admin: { members: ['matrix:${anna.userId}'], commands: ['*'] }
matrix:
  homeserverUrl: ${hs.url}
  userId: '${bot.userId}'
  accessToken: '\${PES_MATRIX_TOKEN}'
  deviceId: '\${PES_MATRIX_DEVICE}'
  allowedInviters: ['${anna.userId}']
`);
    const db = openDatabase(join(w.dir, 'state/pes.db'));
    const dead = new SqliteJobStore(db, { pid: 999_999, ownerToken: 'gone' });
    const job = dead.create({
      command: 'restart',
      text: 'restart moodle',
      actor: `matrix:${anna.userId}`,
      room: `matrix:${ops.roomId}`,
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    db.close();

    const child = spawn(process.execPath, [pesBin, '--config', w.config, 'serve'], {
      cwd: w.dir,
      env: {
        PATH: process.env['PATH'],
        PES_PORT: String(await freePort()),
        PES_MATRIX_TOKEN: bot.accessToken,
        PES_MATRIX_DEVICE: bot.deviceId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => out.includes('listening'), 'the server to listen');
      const said = (pattern: RegExp): boolean =>
        hs?.messagesBy(ops, bot).some((e) => pattern.test(String(e.content['body']))) ?? false;
      await waitFor(() => said(/restart moodle/), 'the interrupted job in the room');
      await waitFor(() => hs?.requests.some((r) => r.endpoint === 'sync') ?? false, 'a sync');
      // Said once the client is syncing: the first sync's history is not taken as commands.
      await sleep(500);
      hs.say(anna, ops, '!pes whoami');
      await waitFor(() => said(/@anna:pes\.test/), 'the answer to whoami');
      expect(out).not.toContain(bot.accessToken);
    } finally {
      child.kill('SIGTERM');
    }
    const stopping = Date.now();
    expect(await exited).toBe(0);
    // Stopped at once, not after the SDK's 80 s request timers.
    expect(Date.now() - stopping).toBeLessThan(5000);
  });
});
