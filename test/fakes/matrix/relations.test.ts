import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser, type FakeRoom } from './index.ts';
import { call, type SyncEvent } from './raw-client.ts';

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

const v1 = (path: string): string => `/_matrix/client/v1${path}`;
const enc = encodeURIComponent;

describe('relations', () => {
  it('builds reactions, edits, threads and replies as clients send them', () => {
    const root = hs.say(bot, room, 'Confirm wipe?', {
      html: '<b>Confirm</b> wipe?',
      mentions: { user_ids: [anna.userId] },
    });
    expect(root.content).toEqual({
      msgtype: 'm.text',
      body: 'Confirm wipe?',
      format: 'org.matrix.custom.html',
      formatted_body: '<b>Confirm</b> wipe?',
      'm.mentions': { user_ids: [anna.userId] },
    });
    const reaction = hs.react(anna, room, root, '✅');
    expect(reaction.content).toEqual({
      'm.relates_to': { rel_type: 'm.annotation', event_id: root.event_id, key: '✅' },
    });
    const edit = hs.edit(bot, room, root, 'Confirmed by anna');
    expect(edit.content).toEqual({
      msgtype: 'm.text',
      body: '* Confirmed by anna',
      'm.new_content': { msgtype: 'm.text', body: 'Confirmed by anna' },
      'm.relates_to': { rel_type: 'm.replace', event_id: root.event_id },
    });
    const first = hs.threadReply(anna, room, root, 'in thread');
    const second = hs.threadReply(bot, room, root, 'also in thread');
    expect(second.content['m.relates_to']).toEqual({
      rel_type: 'm.thread',
      event_id: root.event_id,
      is_falling_back: true,
      'm.in_reply_to': { event_id: first.event_id },
    });
    const reply = hs.say(anna, room, 'yes', { replyTo: root });
    expect(reply.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: root.event_id } });
  });

  it('applies only edits by the original sender, and lists visible messages once', () => {
    const root = hs.say(bot, room, 'progress 0%');
    hs.edit(bot, room, root, 'progress 50%');
    hs.edit(anna, room, root, 'hijacked');
    hs.edit(bot, room, root, 'done');
    expect(hs.edits(room, root).map((e) => e.content['body'])).toEqual([
      '* progress 50%',
      '* done',
    ]);
    expect(hs.currentContent(room, root)['body']).toBe('done');
    expect(hs.messagesBy(room, bot).map((e) => e.content['body'])).toEqual(['done']);
  });

  it('serves /relations by type with pagination, and aggregations on /event', async () => {
    const root = hs.say(bot, room, 'root');
    hs.react(anna, room, root, '✅');
    hs.react(bot, room, root, '❌');
    hs.edit(bot, room, root, 'root, edited');
    const t1 = hs.threadReply(anna, room, root, 't1');
    const t2 = hs.threadReply(anna, room, root, 't2');
    const all = await call(
      hs,
      bot,
      'GET',
      v1(`/rooms/${enc(room.roomId)}/relations/${enc(root.event_id)}`),
    );
    expect((all.json['chunk'] as SyncEvent[]).map((e) => e.type)).toEqual([
      'm.room.message',
      'm.room.message',
      'm.room.message',
      'm.reaction',
      'm.reaction',
    ]);
    const reactions = await call(
      hs,
      bot,
      'GET',
      v1(
        `/rooms/${enc(room.roomId)}/relations/${enc(root.event_id)}/m.annotation/m.reaction?limit=1`,
      ),
    );
    const page = reactions.json['chunk'] as SyncEvent[];
    expect(page.map((e) => (e.content['m.relates_to'] as { key: string }).key)).toEqual(['❌']);
    const rest = await call(
      hs,
      bot,
      'GET',
      v1(
        `/rooms/${enc(room.roomId)}/relations/${enc(root.event_id)}/m.annotation?from=${String(reactions.json['next_batch'])}`,
      ),
    );
    expect((rest.json['chunk'] as SyncEvent[]).map((e) => e.sender)).toEqual([anna.userId]);
    expect(rest.json['next_batch']).toBeUndefined();

    const event = await call(
      hs,
      anna,
      'GET',
      `/_matrix/client/v3/rooms/${enc(room.roomId)}/event/${enc(root.event_id)}`,
    );
    const relations = (
      event.json['unsigned'] as { 'm.relations': Record<string, Record<string, unknown>> }
    )['m.relations'];
    expect(relations['m.thread']?.['count']).toBe(2);
    expect((relations['m.thread']?.['latest_event'] as SyncEvent).event_id).toBe(t2.event_id);
    expect(relations['m.thread']?.['current_user_participated']).toBe(true);
    expect((relations['m.replace'] as unknown as SyncEvent).content['body']).toBe('* root, edited');

    const threads = await call(hs, bot, 'GET', v1(`/rooms/${enc(room.roomId)}/threads`));
    expect((threads.json['chunk'] as SyncEvent[]).map((e) => e.event_id)).toEqual([root.event_id]);
    expect(t1.event_id).not.toBe(t2.event_id);
  });

  it('redacts: the event loses its content, gains redacted_because, and leaves the relations', async () => {
    const root = hs.say(bot, room, 'root');
    const reaction = hs.react(anna, room, root, '✅');
    const res = await call(
      hs,
      anna,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(room.roomId)}/redact/${enc(reaction.event_id)}/r1`,
      { reason: 'oops' },
    );
    expect(res.status).toBe(200);
    const redacted = hs.event(room, reaction.event_id);
    expect(redacted?.content).toEqual({});
    expect((redacted?.unsigned?.['redacted_because'] as SyncEvent).event_id).toBe(
      res.json['event_id'],
    );
    expect(hs.relations(room, root, 'm.annotation')).toEqual([]);
    // The bot (power level 0) may not redact what the room's creator wrote.
    const annas = hs.say(anna, room, 'mine');
    const denied = await call(
      hs,
      bot,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(room.roomId)}/redact/${enc(annas.event_id)}/r2`,
      {},
    );
    expect([denied.status, denied.json['errcode']]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('waits for an event that arrives later', async () => {
    setTimeout(() => hs.say(bot, room, 'late'), 50);
    const event = await hs.waitForEvent(room, (e) => e.content['body'] === 'late', 2000);
    expect(event.sender).toBe(bot.userId);
    await expect(hs.waitForEvent(room, (e) => e.content['body'] === 'never', 100)).rejects.toThrow(
      /no matching event/,
    );
  });
});
