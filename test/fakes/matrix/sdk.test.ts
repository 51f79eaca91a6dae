/**
 * The fake driven by the real client the bot uses (matrix-js-sdk 43): start-up reaches
 * PREPARED with no request the fake does not know (other than unstable MSC probes, which a
 * real server also answers 404 M_UNRECOGNIZED), messages flow both ways, a 429 storm is
 * retried by the SDK with the same transaction id, and a homeserver restart is survived.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser, type FakeRoom } from './index.ts';
import { silenceSdkRootLogger, startSdkClient } from './sdk-client.ts';

silenceSdkRootLogger();

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;
let room: FakeRoom;
let client: MatrixClient | undefined;

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes', { displayName: 'PES' });
  room = hs.createRoom(anna, { name: 'ops', members: [bot] });
});

afterEach(async () => {
  client?.stopClient();
  client = undefined;
  await hs.close();
});

async function startBot(): Promise<{ c: MatrixClient; bodies: string[]; states: string[] }> {
  const bodies: string[] = [];
  const states: string[] = [];
  const c = await startSdkClient(hs, bot, {
    created: (created) => {
      client = created;
    },
    onEvent: (event) => {
      const content: Record<string, unknown> = event.getContent();
      const body = content['body'];
      if (event.getType() === 'm.room.message' && typeof body === 'string') bodies.push(body);
    },
    onSync: (state) => states.push(state),
  });
  return { c, bodies, states };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('matrix-js-sdk against the fake', () => {
  it('starts without unknown requests and exchanges messages through the long poll', async () => {
    hs.say(anna, room, 'before start');
    const { c, bodies } = await startBot();
    const unknown = hs.requests.filter(
      (r) => r.endpoint === 'unknown' && !r.path.startsWith('/_matrix/client/unstable/'),
    );
    expect(unknown).toEqual([]);
    expect(hs.requests.filter((r) => r.status >= 400 && r.endpoint !== 'unknown')).toEqual([]);
    expect(bodies).toEqual(['before start']);
    expect(c.getRoom(room.roomId)?.name).toBe('ops');

    hs.say(anna, room, '!pes status');
    await until(() => bodies.includes('!pes status'), 'the message through /sync');
    const sent = await c.sendMessage(room.roomId, { msgtype: MsgType.Notice, body: 'all green' });
    expect(hs.event(room, sent.event_id)?.content).toEqual({
      msgtype: 'm.notice',
      body: 'all green',
    });
  });

  it('tells when the client has handled everything said so far', async () => {
    const { bodies } = await startBot();
    for (let i = 1; i <= 20; i++) {
      hs.say(anna, room, `line ${i}`);
      await hs.syncedPast(bot);
      expect(bodies.at(-1)).toBe(`line ${i}`);
    }
  });

  it('retries a 429 storm with the same transaction id and posts once', async () => {
    const { c } = await startBot();
    hs.rateLimit({ endpoint: 'send', times: 3, retryAfterMs: 50, omitHeader: true });
    const sent = await c.sendMessage(room.roomId, { msgtype: MsgType.Notice, body: 'once' });
    const sends = hs.requests.filter((r) => r.endpoint === 'send');
    expect(sends.map((r) => r.status)).toEqual([429, 429, 429, 200]);
    expect(new Set(sends.map((r) => r.path)).size).toBe(1);
    expect(hs.messagesBy(room, bot).map((e) => e.event_id)).toEqual([sent.event_id]);
  });

  it('honours Retry-After in whole seconds', async () => {
    const { c } = await startBot();
    hs.rateLimit({ endpoint: 'send', times: 1, retryAfterMs: 1000 });
    const started = performance.now();
    await c.sendMessage(room.roomId, { msgtype: MsgType.Notice, body: 'later' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(hs.messagesBy(room, bot)).toHaveLength(1);
  });

  it('resumes after a homeserver restart and gets what was said meanwhile', async () => {
    const { bodies } = await startBot();
    await hs.restart(200);
    hs.say(anna, room, 'said while restarting');
    await until(
      () => bodies.includes('said while restarting'),
      'the message after the restart',
      20_000,
    );
    expect(bodies.filter((b) => b === 'said while restarting')).toHaveLength(1);
  });
});
