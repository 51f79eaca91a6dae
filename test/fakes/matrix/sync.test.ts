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
  room = hs.createRoom(anna, { name: 'ops', members: [bot] });
});

afterEach(async () => {
  await hs.close();
});

const bodies = (events: SyncEvent[]): unknown[] =>
  events.filter((e) => e.type === 'm.room.message').map((e) => e.content['body']);

describe('/sync', () => {
  it('gives an initial snapshot, then only what happened after the since token', async () => {
    hs.say(anna, room, 'one');
    const first = await sync(hs, bot);
    expect(first.status).toBe(200);
    const joined = first.body.rooms.join[room.roomId];
    expect(bodies(joined?.timeline.events ?? [])).toEqual(['one']);
    const names = [...(joined?.state.events ?? []), ...(joined?.timeline.events ?? [])].filter(
      (e) => e.type === 'm.room.name',
    );
    expect(names[0]?.content).toEqual({ name: 'ops' });
    expect(joined?.timeline.events.every((e) => e.room_id === undefined)).toBe(true);

    hs.say(anna, room, 'two');
    hs.say(anna, room, 'three');
    const next = await sync(hs, bot, { since: first.body.next_batch });
    const timeline = next.body.rooms.join[room.roomId]?.timeline;
    expect(bodies(timeline?.events ?? [])).toEqual(['two', 'three']);
    expect(timeline?.limited).toBe(false);
    expect(next.body.rooms.join[room.roomId]?.state.events).toEqual([]);

    const same = await sync(hs, bot, { since: next.body.next_batch, timeout: '0' });
    expect(same.body.rooms.join).toEqual({});
    expect(same.body.next_batch).toBe(next.body.next_batch);
  });

  it('long-polls until an event arrives, and no longer', async () => {
    const first = await sync(hs, bot);
    const started = performance.now();
    const pending = sync(hs, bot, { since: first.body.next_batch, timeout: '10000' });
    setTimeout(() => hs.say(anna, room, 'wake up'), 150);
    const woke = await pending;
    const ms = performance.now() - started;
    expect(bodies(woke.body.rooms.join[room.roomId]?.timeline.events ?? [])).toEqual(['wake up']);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(2000);

    const quiet = performance.now();
    const empty = await sync(hs, bot, { since: woke.body.next_batch, timeout: '300' });
    expect(performance.now() - quiet).toBeGreaterThanOrEqual(290);
    expect(empty.body.rooms.join).toEqual({});
  });

  it('marks a timeline limited and gives a prev_batch that /messages continues from', async () => {
    const first = await sync(hs, bot);
    hs.timelineLimit = 3;
    hs.setState(anna, room, 'm.room.topic', '', { topic: 'in the gap' });
    for (let i = 1; i <= 6; i++) hs.say(anna, room, `m${i}`);
    const next = await sync(hs, bot, { since: first.body.next_batch });
    const joined = next.body.rooms.join[room.roomId];
    expect(joined?.timeline.limited).toBe(true);
    expect(bodies(joined?.timeline.events ?? [])).toEqual(['m4', 'm5', 'm6']);
    // The state that changed in the gap comes in `state`, so the client's view stays right.
    expect(joined?.state.events.map((e) => [e.type, e.content])).toEqual([
      ['m.room.topic', { topic: 'in the gap' }],
    ]);
    const before = await call(
      hs,
      bot,
      'GET',
      v3(`/rooms/{}/messages?dir=b&limit=3&from=${joined?.timeline.prev_batch ?? ''}`, room.roomId),
    );
    const chunk = before.json['chunk'] as SyncEvent[];
    expect(chunk.map((e) => e.content['body'])).toEqual(['m3', 'm2', 'm1']);
    expect(chunk.every((e) => e.room_id === room.roomId)).toBe(true);
    const older = await call(
      hs,
      bot,
      'GET',
      v3(`/rooms/{}/messages?dir=b&limit=1&from=${String(before.json['end'])}`, room.roomId),
    );
    expect((older.json['chunk'] as SyncEvent[])[0]?.type).toBe('m.room.topic');
    // Filling the gap exactly: back from prev_batch down to the old since token.
    const gap = await call(
      hs,
      bot,
      'GET',
      v3(
        `/rooms/{}/messages?dir=b&limit=50&from=${joined?.timeline.prev_batch ?? ''}&to=${first.body.next_batch}`,
        room.roomId,
      ),
    );
    expect((gap.json['chunk'] as SyncEvent[]).map((e) => e.content['body'] ?? e.type)).toEqual([
      'm3',
      'm2',
      'm1',
      'm.room.topic',
    ]);
    expect(gap.json['end']).toBeUndefined();
  });

  it('honours the timeline limit of a stored or an inline filter, and full_state', async () => {
    for (let i = 1; i <= 4; i++) hs.say(anna, room, `m${i}`);
    const made = await call(hs, bot, 'POST', v3('/user/{}/filter', bot.userId), {
      room: { timeline: { limit: 2 } },
    });
    const filterId = String(made.json['filter_id']);
    const stored = await call(hs, bot, 'GET', v3('/user/{}/filter/{}', bot.userId, filterId));
    expect(stored.json).toEqual({ room: { timeline: { limit: 2 } } });
    const byId = await sync(hs, bot, { filter: filterId });
    expect(bodies(byId.body.rooms.join[room.roomId]?.timeline.events ?? [])).toEqual(['m3', 'm4']);
    expect(byId.body.rooms.join[room.roomId]?.timeline.limited).toBe(true);
    const inline = await sync(hs, bot, {
      filter: JSON.stringify({ room: { timeline: { limit: 1 } } }),
    });
    expect(bodies(inline.body.rooms.join[room.roomId]?.timeline.events ?? [])).toEqual(['m4']);
    const full = await sync(hs, bot, { since: byId.body.next_batch, full_state: 'true' });
    const state = full.body.rooms.join[room.roomId]?.state.events ?? [];
    expect(state.map((e) => e.type)).toContain('m.room.create');
    const bad = await sync(hs, bot, { filter: '99' });
    expect(bad.status).toBe(400);
  });

  it('gives transaction_id only to the device that sent the event', async () => {
    await call(hs, bot, 'PUT', v3('/rooms/{}/send/m.room.message/{}', room.roomId, 'my-txn'), {
      msgtype: 'm.notice',
      body: 'mine',
    });
    const own = await sync(hs, bot);
    const mine = own.body.rooms.join[room.roomId]?.timeline.events.at(-1);
    expect(mine?.unsigned?.['transaction_id']).toBe('my-txn');
    const other = await sync(hs, hs.login(bot));
    const theirs = other.body.rooms.join[room.roomId]?.timeline.events.at(-1);
    expect(theirs?.content['body']).toBe('mine');
    expect(theirs?.unsigned?.['transaction_id']).toBeUndefined();
  });

  it('puts invites under rooms.invite with stripped state, and a left room under rooms.leave', async () => {
    const first = await sync(hs, bot);
    const dm = hs.createRoom(anna, { direct: true, invite: [bot], name: 'private' });
    const invited = await sync(hs, bot, { since: first.body.next_batch });
    const stripped = invited.body.rooms.invite[dm.roomId]?.invite_state.events ?? [];
    const own = stripped.find(
      (e) => e['type'] === 'm.room.member' && e['state_key'] === bot.userId,
    );
    expect(own).toEqual({
      type: 'm.room.member',
      state_key: bot.userId,
      sender: anna.userId,
      content: { membership: 'invite', displayname: 'pes', is_direct: true },
    });
    expect(stripped.every((e) => !('event_id' in e))).toBe(true);
    expect(stripped.map((e) => e['type'])).toContain('m.room.name');

    await call(hs, bot, 'POST', v3('/rooms/{}/join', dm.roomId), {});
    const joined = await sync(hs, bot, { since: invited.body.next_batch });
    expect(joined.body.rooms.invite).toEqual({});
    const fresh = joined.body.rooms.join[dm.roomId];
    // A room joined since the token comes with its full state, as on an initial sync.
    expect(
      [...(fresh?.state.events ?? []), ...(fresh?.timeline.events ?? [])].map((e) => e.type),
    ).toContain('m.room.create');

    hs.kick(anna, room, bot, 'bye');
    const left = await sync(hs, bot, { since: joined.body.next_batch });
    const leave = left.body.rooms.leave[room.roomId]?.timeline.events.at(-1);
    expect(leave?.content).toEqual({ membership: 'leave', reason: 'bye' });
    expect(left.body.rooms.join[room.roomId]).toBeUndefined();
  });

  it('carries account data, typing and receipts', async () => {
    const first = await sync(hs, bot);
    const message = hs.say(anna, room, 'read me');
    await call(hs, bot, 'PUT', v3('/user/{}/account_data/{}', bot.userId, 'org.example.x'), {
      a: 1,
    });
    await call(
      hs,
      bot,
      'POST',
      v3('/rooms/{}/receipt/m.read/{}', room.roomId, message.event_id),
      {},
    );
    hs.typing(anna, room, true);
    const next = await sync(hs, bot, { since: first.body.next_batch });
    expect(next.body.account_data.events).toEqual([{ type: 'org.example.x', content: { a: 1 } }]);
    const ephemeral = next.body.rooms.join[room.roomId]?.ephemeral?.events ?? [];
    expect(ephemeral.find((e) => e['type'] === 'm.typing')?.['content']).toEqual({
      user_ids: [anna.userId],
    });
    const receipt = ephemeral.find((e) => e['type'] === 'm.receipt')?.['content'] as Record<
      string,
      Record<string, Record<string, { ts: number }>>
    >;
    expect(receipt[message.event_id]?.['m.read']?.[bot.userId]?.ts).toBeGreaterThan(0);
  });

  it('refuses a malformed since token with 400 and a bad access token with 401', async () => {
    expect((await sync(hs, bot, { since: 'garbage' })).status).toBe(400);
    expect((await sync(hs, { ...bot, accessToken: 'nope' })).status).toBe(401);
  });
});
