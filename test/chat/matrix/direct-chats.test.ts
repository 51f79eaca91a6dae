/**
 * Which Matrix rooms are direct chats (any message is a command) and which are rooms (only
 * `!pes`): direct exactly when the bot's `m.direct` account data lists the room or the
 * accepted invitation said `is_direct` (Client-Server API, "Direct Messaging"); the number of
 * members does not count. Accepting an `is_direct` invitation adds the room to the bot's
 * `m.direct` under the inviter, as Element does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../fakes/matrix/raw-client.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

const body = (e: { content: Record<string, unknown> }): string => String(e.content['body']);

describe('matrix direct chats', () => {
  it('adds an is_direct invitation to its m.direct under the inviter, keeping what was there', async () => {
    // What another session of the bot's account (or Element) had marked before.
    h.hs.setAccountData(h.botUser, 'm.direct', { [h.operator.userId]: ['!old:pes.test'] });
    // Two at once: m.direct is one map, so the second update must not undo the first.
    const first = h.hs.createRoom(h.admin, { direct: true, invite: [h.botUser] });
    const second = h.hs.createRoom(h.admin, { direct: true, invite: [h.botUser] });
    await waitFor(() => {
      const direct = h.hs.accountData(h.botUser, 'm.direct');
      const rooms = direct?.[h.admin.userId];
      return Array.isArray(rooms) && rooms.length === 2;
    }, 'both direct chats in the bot m.direct');
    const direct = h.hs.accountData(h.botUser, 'm.direct') ?? {};
    expect(direct[h.operator.userId]).toEqual(['!old:pes.test']);
    expect([...(direct[h.admin.userId] as string[])].sort()).toEqual(
      [first.roomId, second.roomId].sort(),
    );
    h.hs.say(h.admin, second, 'whoami');
    await h.botSays(second, /@anna:pes\.test/);
  });

  it('takes only !pes in a two-person room that is not a direct chat', async () => {
    const pair = h.hs.createRoom(h.admin, { name: 'pair', invite: [h.botUser] });
    await waitFor(() => h.hs.membership(pair, h.botUser) === 'join', 'the bot to join');
    h.hs.say(h.admin, pair, 'whoami');
    h.hs.say(h.admin, pair, '!pes echo after the plain one');
    await h.botSays(pair, /after the plain one/);
    await h.adapter.settled();
    expect(h.botMessages(h.ops)).toEqual([]);
    expect(h.botMessages(pair).map(body)).toEqual([expect.stringContaining('after the plain one')]);
    expect(h.hs.accountData(h.botUser, 'm.direct')).toBeUndefined();
  });

  it('takes any message in a room its m.direct lists, though the invitation did not say so', async () => {
    const room = h.hs.createRoom(h.admin, { name: 'marked', members: [h.operator] });
    // Marked by another session of the bot's account, through the client API.
    const put = await call(
      h.hs,
      h.botUser,
      'PUT',
      `/_matrix/client/v3/user/${encodeURIComponent(h.botUser.userId)}/account_data/m.direct`,
      { [h.admin.userId]: [room.roomId] },
    );
    expect(put.status).toBe(200);
    // The invitation comes in a sync after the account data: the room is direct when joined.
    h.hs.invite(h.admin, room, h.botUser);
    await waitFor(() => h.hs.membership(room, h.botUser) === 'join', 'the bot to join');
    h.hs.say(h.operator, room, 'echo plain words');
    await h.botSays(room, /plain words/);
  });
});
