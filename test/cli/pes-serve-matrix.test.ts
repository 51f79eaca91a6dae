/**
 * `pes serve` with a `matrix:` section, as a person starts it, against the fake homeserver:
 * the token and device id come from the environment, a job interrupted in a Matrix room is
 * reported there, `!pes whoami` is answered, and SIGTERM stops it cleanly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, leaveInterruptedJob, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

let hs: FakeHomeserver | undefined;

afterEach(async () => {
  await hs?.close();
});

/** A whole process starting a homeserver client: more time than the default. */
const waitLong = (check: () => boolean, what: string): Promise<void> =>
  waitFor(check, what, 15_000);

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
    leaveInterruptedJob(w.dir, { actor: `matrix:${anna.userId}`, room: `matrix:${ops.roomId}` });
    const { child, output, exited } = startServe(w, {
      PES_PORT: String(await freePort()),
      PES_MATRIX_TOKEN: bot.accessToken,
      PES_MATRIX_DEVICE: bot.deviceId,
    });
    try {
      await waitLong(() => output().includes('listening'), 'the server to listen');
      const said = (pattern: RegExp): boolean =>
        hs?.messagesBy(ops, bot).some((e) => pattern.test(String(e.content['body']))) ?? false;
      await waitLong(() => said(/restart moodle/), 'the interrupted job in the room');
      await waitLong(() => hs?.requests.some((r) => r.endpoint === 'sync') ?? false, 'a sync');
      // Said once the client is syncing: the first sync's history is not taken as commands.
      await sleep(500);
      hs.say(anna, ops, '!pes whoami');
      await waitLong(() => said(/@anna:pes\.test/), 'the answer to whoami');
      expect(output()).not.toContain(bot.accessToken);
    } finally {
      child.kill('SIGTERM');
    }
    const stopping = Date.now();
    expect(await exited).toBe(0);
    // Stopped at once, not after the SDK's 80 s request timers.
    expect(Date.now() - stopping).toBeLessThan(5000);
  });
});
