import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser } from './index.ts';
import { call, sync, v3 } from './raw-client.ts';

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes');
  hs.createRoom(anna, { encrypted: true, members: [bot] });
});

afterEach(async () => {
  await hs.close();
});

const deviceKeys = (user: FakeMatrixUser) => ({
  user_id: user.userId,
  device_id: user.deviceId,
  algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
  keys: { [`curve25519:${user.deviceId}`]: 'c-key', [`ed25519:${user.deviceId}`]: 'e-key' },
  signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: 'sig' } },
});

describe('key relay', () => {
  it('stores, queries and claims keys, and counts one-time keys in /sync', async () => {
    const before = await sync(hs, anna);
    const upload = await call(hs, bot, 'POST', v3('/keys/upload'), {
      device_keys: deviceKeys(bot),
      one_time_keys: {
        'signed_curve25519:AAAAAQ': { key: 'k1' },
        'signed_curve25519:AAAAAg': { key: 'k2' },
      },
      fallback_keys: { 'signed_curve25519:AAAAAw': { key: 'fb', fallback: true } },
    });
    expect(upload.json).toEqual({ one_time_key_counts: { signed_curve25519: 2 } });
    const changed = await sync(hs, anna, { since: before.body.next_batch });
    expect(changed.body.device_lists.changed).toContain(bot.userId);

    const query = await call(hs, anna, 'POST', v3('/keys/query'), {
      device_keys: { [bot.userId]: [] },
    });
    expect(query.json['device_keys']).toEqual({
      [bot.userId]: { [bot.deviceId]: deviceKeys(bot) },
    });

    const claim = (): Promise<{ json: Record<string, unknown> }> =>
      call(hs, anna, 'POST', v3('/keys/claim'), {
        one_time_keys: { [bot.userId]: { [bot.deviceId]: 'signed_curve25519' } },
      });
    const claimed = [await claim(), await claim(), await claim()].map(
      (r) =>
        (r.json['one_time_keys'] as Record<string, Record<string, object>>)[bot.userId]?.[
          bot.deviceId
        ],
    );
    expect(claimed).toEqual([
      { 'signed_curve25519:AAAAAQ': { key: 'k1' } },
      { 'signed_curve25519:AAAAAg': { key: 'k2' } },
      { 'signed_curve25519:AAAAAw': { key: 'fb', fallback: true } },
    ]);
    const own = await sync(hs, bot);
    expect(own.body.device_one_time_keys_count).toEqual({});
  });

  it('refuses to reuse a one-time key id for another key', async () => {
    await call(hs, bot, 'POST', v3('/keys/upload'), {
      one_time_keys: { 'signed_curve25519:A': { key: 'x' } },
    });
    const again = await call(hs, bot, 'POST', v3('/keys/upload'), {
      one_time_keys: { 'signed_curve25519:A': { key: 'other' } },
    });
    expect([again.status, again.json['errcode']]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('relays to-device messages once per transaction, until acknowledged', async () => {
    const first = await sync(hs, bot);
    const message = { messages: { [bot.userId]: { '*': { secret: 'olm blob' } } } };
    await call(hs, anna, 'PUT', v3('/sendToDevice/m.room.encrypted/t1'), message);
    await call(hs, anna, 'PUT', v3('/sendToDevice/m.room.encrypted/t1'), message);
    const got = await sync(hs, bot, { since: first.body.next_batch });
    expect(got.body.to_device.events).toEqual([
      { sender: anna.userId, type: 'm.room.encrypted', content: { secret: 'olm blob' } },
    ]);
    // Not acknowledged yet: the same since token gets it again.
    const repeat = await sync(hs, bot, { since: first.body.next_batch });
    expect(repeat.body.to_device.events).toHaveLength(1);
    const after = await sync(hs, bot, { since: got.body.next_batch });
    expect(after.body.to_device.events).toEqual([]);
    const again = await sync(hs, bot, { since: first.body.next_batch });
    expect(again.body.to_device.events).toEqual([]);
  });

  it('has no key backup', async () => {
    const res = await call(hs, bot, 'GET', v3('/room_keys/version'));
    expect([res.status, res.json['errcode']]).toEqual([404, 'M_NOT_FOUND']);
  });
});
