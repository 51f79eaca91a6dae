/**
 * The fake's account-data endpoints against the Client-Server API v1.13,
 * #put_matrixclientv3useruseridaccount_datatype and #get_matrixclientv3useruseridaccount_datatype:
 * only the owner may read or write, a missing type is 404 M_NOT_FOUND, the body must be a
 * JSON object, types the server controls are 405, and a write reaches the next /sync.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser } from './index.ts';
import { call, v3 } from './raw-client.ts';

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes');
});

afterEach(async () => {
  await hs.close();
});

const path = (user: FakeMatrixUser, type: string): string =>
  v3('/user/{}/account_data/{}', user.userId, type);

describe('account data', () => {
  it('stores m.direct for its owner and gives it back, in /sync too', async () => {
    const missing = await call(hs, bot, 'GET', path(bot, 'm.direct'));
    expect(missing.status).toBe(404);
    expect(missing.json['errcode']).toBe('M_NOT_FOUND');
    const content = { [anna.userId]: ['!dm:pes.test'] };
    const put = await call(hs, bot, 'PUT', path(bot, 'm.direct'), content);
    expect(put.status).toBe(200);
    expect(put.json).toEqual({});
    expect((await call(hs, bot, 'GET', path(bot, 'm.direct'))).json).toEqual(content);
    const sync = await call(hs, bot, 'GET', v3('/sync'));
    expect(sync.json['account_data']).toEqual({ events: [{ type: 'm.direct', content }] });
  });

  it("refuses another user's account data with 403 M_FORBIDDEN", async () => {
    const put = await call(hs, bot, 'PUT', path(anna, 'm.direct'), {});
    expect(put.status).toBe(403);
    expect(put.json['errcode']).toBe('M_FORBIDDEN');
    const get = await call(hs, bot, 'GET', path(anna, 'm.direct'));
    expect(get.status).toBe(403);
  });

  it('refuses a body that is not a JSON object with 400', async () => {
    const put = await call(hs, bot, 'PUT', path(bot, 'm.direct'), ['!dm:pes.test']);
    expect(put.status).toBe(400);
    expect(put.json['errcode']).toBe('M_BAD_JSON');
  });

  it.each(['m.fully_read', 'm.push_rules'])(
    'refuses %s, which the server controls, with 405 M_BAD_JSON',
    async (type) => {
      const put = await call(hs, bot, 'PUT', path(bot, type), { event_id: '$x' });
      expect(put.status).toBe(405);
      expect(put.json['errcode']).toBe('M_BAD_JSON');
      expect(hs.accountData(bot, type)).toBeUndefined();
    },
  );
});
