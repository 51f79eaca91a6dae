import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser, type FakeRoom } from './index.ts';
import { call, sync, v3, type SyncEvent } from './raw-client.ts';

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;
let room: FakeRoom;

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes');
  room = hs.createRoom(anna, { members: [bot] });
});

afterEach(async () => {
  await hs.close();
});

const bodies = (events: SyncEvent[] | undefined): unknown[] =>
  (events ?? []).filter((e) => e.type === 'm.room.message').map((e) => e.content['body']);

describe('stop and restart', () => {
  it('keeps port, tokens, rooms, transactions and sync positions across a restart', async () => {
    const sent = await call(hs, bot, 'PUT', v3('/rooms/{}/send/m.room.message/t1', room.roomId), {
      msgtype: 'm.text',
      body: 'before',
    });
    const first = await sync(hs, bot);
    const port = hs.port;
    await hs.stop();
    expect(hs.running).toBe(false);
    await expect(fetch(`${hs.url}/_matrix/client/versions`)).rejects.toThrow();
    // While the server is down people keep talking (as on another front end).
    hs.say(anna, room, 'while down');
    await hs.start();
    expect(hs.port).toBe(port);
    const resumed = await sync(hs, bot, { since: first.body.next_batch });
    expect(resumed.status).toBe(200);
    expect(bodies(resumed.body.rooms.join[room.roomId]?.timeline.events)).toEqual(['while down']);
    const retried = await call(
      hs,
      bot,
      'PUT',
      v3('/rooms/{}/send/m.room.message/t1', room.roomId),
      {
        msgtype: 'm.text',
        body: 'before',
      },
    );
    expect(retried.json['event_id']).toBe(sent.json['event_id']);
    expect(hs.messagesBy(room, bot)).toHaveLength(1);
  });

  it('cuts pending long polls on restart and on dropSyncs', async () => {
    const first = await sync(hs, bot);
    const polling = sync(hs, bot, { since: first.body.next_batch, timeout: '20000' });
    await waitUntil(() => hs.pendingSyncCount === 1);
    expect(hs.dropSyncs()).toBe(1);
    await expect(polling).rejects.toThrow();
    expect(hs.pendingSyncCount).toBe(0);

    // Settled at once so the rejection during the restart counts as handled.
    const again = sync(hs, bot, { since: first.body.next_batch, timeout: '20000' }).then(
      () => 'answered',
      () => 'cut',
    );
    await waitUntil(() => hs.pendingSyncCount === 1);
    const started = performance.now();
    await hs.restart(100);
    expect(await again).toBe('cut');
    expect(performance.now() - started).toBeLessThan(2000);
    // A client that reconnects with its token resumes where it was.
    hs.say(anna, room, 'after');
    const resumed = await sync(hs, bot, { since: first.body.next_batch });
    expect(bodies(resumed.body.rooms.join[room.roomId]?.timeline.events)).toEqual(['after']);
  });
});

describe('syncedPast', () => {
  it('waits for a /sync whose since token covers the position', async () => {
    const first = await sync(hs, bot);
    hs.say(anna, room, 'new');
    await expect(hs.syncedPast(bot, hs.state.position, 100)).rejects.toThrow(/did not sync past/);
    const waiting = hs.syncedPast(bot);
    const next = await sync(hs, bot, { since: first.body.next_batch });
    await sync(hs, bot, { since: next.body.next_batch });
    await waiting;
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
