import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser, type FakeRoom } from './index.ts';
import { call, v3 } from './raw-client.ts';

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;
let room: FakeRoom;

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes', { displayName: 'PES' });
  room = hs.createRoom(anna, { name: 'ops', members: [bot] });
});

afterEach(async () => {
  await hs.close();
});

describe('discovery and authentication', () => {
  it('answers /versions without a token, listing v1.13', async () => {
    const res = await call(hs, undefined, 'GET', '/_matrix/client/versions');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json['versions']).toContain('v1.13');
    expect(res.json['unstable_features']).toEqual({});
  });

  it('refuses a missing token with 401 M_MISSING_TOKEN and an unknown one with M_UNKNOWN_TOKEN', async () => {
    const missing = await call(hs, undefined, 'GET', v3('/account/whoami'));
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ errcode: 'M_MISSING_TOKEN', error: 'Missing access token' });
    const stranger = { ...anna, accessToken: 'syt_not_a_token' };
    const unknown = await call(hs, stranger, 'GET', v3('/account/whoami'));
    expect(unknown.status).toBe(401);
    expect(unknown.json['errcode']).toBe('M_UNKNOWN_TOKEN');
    expect(unknown.json['soft_logout']).toBe(false);
  });

  it('accepts the token as a Bearer header and as the access_token parameter', async () => {
    const header = await call(hs, bot, 'GET', v3('/account/whoami'));
    expect(header.json).toEqual({ user_id: bot.userId, device_id: bot.deviceId, is_guest: false });
    const query = await call(hs, bot, 'GET', v3('/account/whoami'), undefined, {
      tokenInQuery: true,
    });
    expect(query.json['user_id']).toBe('@pes:pes.test');
  });

  it('answers unknown endpoints 404 M_UNRECOGNIZED, a wrong method 405, bad JSON 400 M_NOT_JSON', async () => {
    const unknown = await call(hs, bot, 'GET', '/_matrix/client/unstable/org.example/thing');
    expect([unknown.status, unknown.json['errcode']]).toEqual([404, 'M_UNRECOGNIZED']);
    const oauth = await call(hs, undefined, 'GET', '/_matrix/client/v1/auth_metadata');
    expect([oauth.status, oauth.json['errcode']]).toEqual([404, 'M_UNRECOGNIZED']);
    const method = await call(hs, bot, 'POST', v3('/account/whoami'), {});
    expect([method.status, method.json['errcode']]).toEqual([405, 'M_UNRECOGNIZED']);
    const response = await fetch(
      `${hs.url}${v3('/rooms/{}/send/m.room.message/t1', room.roomId)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${bot.accessToken}` },
        body: '{"body": ',
      },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_NOT_JSON');
    expect(hs.roomEvents(room).filter((e) => e.type === 'm.room.message')).toHaveLength(0);
  });

  it('serves the predefined push rules, with the user in the rules that name them', async () => {
    const res = await call(hs, bot, 'GET', v3('/pushrules/'));
    const global = res.json['global'] as Record<string, { rule_id: string; enabled: boolean }[]>;
    expect(global['override']?.map((r) => r.rule_id).slice(0, 3)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
    ]);
    expect(global['override']?.[0]?.enabled).toBe(false);
    expect(JSON.stringify(global['override']?.[2])).toContain(bot.userId);
    expect(global['content']?.[0]).toMatchObject({
      rule_id: '.m.rule.contains_user_name',
      pattern: 'pes',
    });
    expect(global['underride']?.map((r) => r.rule_id)).toContain('.m.rule.message');
  });

  it('lists the devices of the caller and names one', async () => {
    const second = hs.login(bot, 'SECONDDEV');
    const put = await call(hs, bot, 'PUT', v3('/devices/{}', 'SECONDDEV'), { display_name: 'ops' });
    expect(put.status).toBe(200);
    const list = await call(hs, second, 'GET', v3('/devices'));
    const devices = list.json['devices'] as { device_id: string; display_name: string | null }[];
    expect(devices.map((d) => [d.device_id, d.display_name])).toEqual([
      [bot.deviceId, null],
      ['SECONDDEV', 'ops'],
    ]);
    const missing = await call(hs, bot, 'GET', v3('/devices/{}', 'NOPE'));
    expect([missing.status, missing.json['errcode']]).toEqual([404, 'M_NOT_FOUND']);
  });

  it('logs in with a password on a new device and logs out', async () => {
    const login = await call(hs, undefined, 'POST', v3('/login'), {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'pes' },
      password: bot.password,
      device_id: 'BOTDEVICE2',
    });
    expect(login.status).toBe(200);
    expect(login.json['device_id']).toBe('BOTDEVICE2');
    const session = { ...bot, accessToken: String(login.json['access_token']) };
    expect((await call(hs, session, 'GET', v3('/account/whoami'))).json['device_id']).toBe(
      'BOTDEVICE2',
    );
    expect((await call(hs, session, 'POST', v3('/logout'), {})).status).toBe(200);
    expect((await call(hs, session, 'GET', v3('/account/whoami'))).status).toBe(401);
    const wrong = await call(hs, undefined, 'POST', v3('/login'), {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'pes' },
      password: 'wrong',
    });
    expect([wrong.status, wrong.json['errcode']]).toEqual([403, 'M_FORBIDDEN']);
  });
});

describe('sending with transaction ids', () => {
  const path = (txn: string) => v3('/rooms/{}/send/m.room.message/{}', room.roomId, txn);

  it('returns the same event id for a repeated txnId and stores the event once', async () => {
    const first = await call(hs, bot, 'PUT', path('txn-1'), { msgtype: 'm.notice', body: 'one' });
    const again = await call(hs, bot, 'PUT', path('txn-1'), { msgtype: 'm.notice', body: 'one' });
    expect(first.status).toBe(200);
    expect(again.json['event_id']).toBe(first.json['event_id']);
    expect(hs.messagesBy(room, bot).map((e) => e.content['body'])).toEqual(['one']);
    const other = await call(hs, bot, 'PUT', path('txn-2'), { msgtype: 'm.notice', body: 'two' });
    expect(other.json['event_id']).not.toBe(first.json['event_id']);
    expect(hs.messagesBy(room, bot)).toHaveLength(2);
  });

  it('scopes transaction ids to the device: another session of the same user posts anew', async () => {
    const second = hs.login(bot);
    const a = await call(hs, bot, 'PUT', path('same'), { msgtype: 'm.text', body: 'a' });
    const b = await call(hs, second, 'PUT', path('same'), { msgtype: 'm.text', body: 'b' });
    expect(a.json['event_id']).not.toBe(b.json['event_id']);
    expect(hs.messagesBy(room, bot)).toHaveLength(2);
  });

  it('keeps the event when the answer is lost, and a retry learns its id', async () => {
    hs.fail({ endpoint: 'send', kind: 'stored-then-drop', times: 1 });
    await expect(
      call(hs, bot, 'PUT', path('lost'), { msgtype: 'm.text', body: 'x' }),
    ).rejects.toThrow();
    hs.fail({ endpoint: 'send', kind: 'stored-then-502', times: 1 });
    const bad = await call(hs, bot, 'PUT', path('lost'), { msgtype: 'm.text', body: 'x' });
    expect(bad.status).toBe(502);
    const retry = await call(hs, bot, 'PUT', path('lost'), { msgtype: 'm.text', body: 'x' });
    expect(retry.status).toBe(200);
    const stored = hs.messagesBy(room, bot);
    expect(stored).toHaveLength(1);
    expect(retry.json['event_id']).toBe(stored[0]?.event_id);
  });

  it('refuses a 500 fault without storing anything', async () => {
    hs.fail({ endpoint: 'send', kind: 'http-500', times: 1 });
    const res = await call(hs, bot, 'PUT', path('t'), { msgtype: 'm.text', body: 'x' });
    expect([res.status, res.json['errcode']]).toEqual([500, 'M_UNKNOWN']);
    expect(hs.messagesBy(room, bot)).toHaveLength(0);
  });

  it('refuses a sender who is not joined (403) and an event over 65536 bytes (413)', async () => {
    const sam = hs.addUser('sam');
    const denied = await call(hs, sam, 'PUT', path('t'), { msgtype: 'm.text', body: 'hi' });
    expect([denied.status, denied.json['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    const huge = await call(hs, bot, 'PUT', path('big'), {
      msgtype: 'm.text',
      body: 'x'.repeat(100 * 1024),
    });
    expect([huge.status, huge.json['errcode']]).toEqual([413, 'M_TOO_LARGE']);
    expect(hs.roomEvents(room).filter((e) => e.type === 'm.room.message')).toHaveLength(0);
  });
});

describe('rate limiting', () => {
  const path = (txn: string) => v3('/rooms/{}/send/m.room.message/{}', room.roomId, txn);

  it('answers the next N sends 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After', async () => {
    hs.rateLimit({ endpoint: 'send', times: 2, retryAfterMs: 1500 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(hs, bot, 'PUT', path('storm'), { msgtype: 'm.text', body: 'x' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.json).toEqual({
          errcode: 'M_LIMIT_EXCEEDED',
          error: 'Too many requests',
          retry_after_ms: 1500,
        });
        expect(res.headers.get('retry-after')).toBe('2');
      }
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(hs.messagesBy(room, bot)).toHaveLength(1);
    expect(hs.count(429, 'send')).toBe(2);
  });

  it('can leave out the header, limit one user only, and never limits /sync with "*"', async () => {
    hs.rateLimit({
      endpoint: '*',
      times: 5,
      retryAfterMs: 100,
      omitHeader: true,
      userId: bot.userId,
    });
    const limited = await call(hs, bot, 'GET', v3('/joined_rooms'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect((await call(hs, anna, 'GET', v3('/joined_rooms'))).status).toBe(200);
    expect((await call(hs, bot, 'GET', v3('/sync'))).status).toBe(200);
  });
});

describe('rooms and state', () => {
  it('lists joined rooms, joins by invite, refuses to join uninvited, leaves', async () => {
    const sam = hs.addUser('sam');
    expect((await call(hs, bot, 'GET', v3('/joined_rooms'))).json).toEqual({
      joined_rooms: [room.roomId],
    });
    const denied = await call(hs, sam, 'POST', v3('/rooms/{}/join', room.roomId), {});
    expect([denied.status, denied.json['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    hs.invite(anna, room, sam);
    const joined = await call(hs, sam, 'POST', v3('/join/{}', room.roomId), {});
    expect(joined.json).toEqual({ room_id: room.roomId });
    expect(hs.membership(room, sam)).toBe('join');
    expect((await call(hs, sam, 'POST', v3('/rooms/{}/leave', room.roomId), {})).status).toBe(200);
    expect(hs.membership(room, sam)).toBe('leave');
  });

  it('sets and reads state, and answers 404 M_NOT_FOUND for missing state', async () => {
    const put = await call(hs, anna, 'PUT', v3('/rooms/{}/state/m.room.topic/', room.roomId), {
      topic: 'backups',
    });
    expect(put.status).toBe(200);
    const got = await call(hs, bot, 'GET', v3('/rooms/{}/state/m.room.topic', room.roomId));
    expect(got.json).toEqual({ topic: 'backups' });
    const missing = await call(hs, bot, 'GET', v3('/rooms/{}/state/m.room.avatar', room.roomId));
    expect([missing.status, missing.json['errcode']]).toEqual([404, 'M_NOT_FOUND']);
    const denied = await call(hs, bot, 'PUT', v3('/rooms/{}/state/m.room.name/', room.roomId), {
      name: 'mine',
    });
    expect([denied.status, denied.json['errcode']]).toEqual([403, 'M_FORBIDDEN']);
    const all = await call(hs, bot, 'GET', v3('/rooms/{}/state', room.roomId));
    expect(Array.isArray(all.json)).toBe(true);
  });

  it('lists members and joined members', async () => {
    const members = await call(hs, bot, 'GET', v3('/rooms/{}/members', room.roomId));
    const chunk = members.json['chunk'] as { state_key: string; content: { membership: string } }[];
    expect(chunk.map((m) => [m.state_key, m.content.membership]).sort()).toEqual([
      ['@anna:pes.test', 'join'],
      ['@pes:pes.test', 'join'],
    ]);
    const joined = await call(hs, bot, 'GET', v3('/rooms/{}/joined_members', room.roomId));
    expect(Object.keys(joined.json['joined'] as object).sort()).toEqual([
      '@anna:pes.test',
      '@pes:pes.test',
    ]);
  });

  it('creates direct and encrypted rooms as a client would', () => {
    const withSelf = hs.createRoom(anna, { members: [anna, bot] });
    expect(hs.eventsBy(withSelf, anna, 'm.room.member')).toHaveLength(2);
    const dm = hs.createRoom(anna, { direct: true, invite: [bot] });
    expect(hs.accountData(anna, 'm.direct')).toEqual({ [bot.userId]: [dm.roomId] });
    const invite = hs.roomEvents(dm).find((e) => e.state_key === bot.userId);
    expect(invite?.content).toMatchObject({ membership: 'invite', is_direct: true });
    const secret = hs.createRoom(anna, { encrypted: true, members: [bot] });
    expect(hs.stateContent(secret, 'm.room.encryption')).toMatchObject({
      algorithm: 'm.megolm.v1.aes-sha2',
    });
  });

  it('uploads and downloads media, and reports the upload limit', async () => {
    const upload = await fetch(`${hs.url}/_matrix/media/v3/upload?filename=out.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bot.accessToken}`, 'content-type': 'text/plain' },
      body: 'long output',
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    expect(content_uri).toMatch(/^mxc:\/\/pes\.test\/\w+$/);
    expect(hs.media(content_uri)?.body.toString()).toBe('long output');
    const download = await fetch(
      `${hs.url}/_matrix/client/v1/media/download/${content_uri.slice('mxc://'.length)}`,
      { headers: { authorization: `Bearer ${anna.accessToken}` } },
    );
    expect(download.headers.get('content-type')).toBe('text/plain');
    expect(await download.text()).toBe('long output');
    const config = await call(hs, bot, 'GET', '/_matrix/client/v1/media/config');
    expect(config.json['m.upload.size']).toBe(50 * 1024 * 1024);
  });
});
