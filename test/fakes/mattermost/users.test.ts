/**
 * The fake's users and channels endpoints against the API v4 reference: what the bot's name
 * lookups get from a real server, errors included.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMattermost } from './index.ts';

let fake: FakeMattermost;
beforeEach(async () => {
  fake = await new FakeMattermost().start();
});
afterEach(async () => {
  await fake.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${fake.bot.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

describe('fake Mattermost: users and channels', () => {
  it('GET /users/{id}: the user without secrets, 404 for nobody, 400 for a malformed id', async () => {
    const anna = fake.data.addUser('anna');
    anna.locale = 'ru';
    const found = await call('GET', `/api/v4/users/${anna.id}`);
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ id: anna.id, username: 'anna', locale: 'ru', email: '' });
    expect(JSON.stringify(found.json)).not.toContain(anna.token);
    expect((await call('GET', `/api/v4/users/${'z'.repeat(26)}`)).status).toBe(404);
    expect((await call('GET', '/api/v4/users/not-an-id')).status).toBe(400);
  });

  it('POST /users/ids: those found, unknown ids left out; an empty list is a 400', async () => {
    const anna = fake.data.addUser('anna');
    const found = await call('POST', '/api/v4/users/ids', [anna.id, 'z'.repeat(26)]);
    expect(found.status).toBe(200);
    expect(found.json).toEqual([expect.objectContaining({ id: anna.id, locale: 'en' })]);
    expect((await call('POST', '/api/v4/users/ids', [])).status).toBe(400);
    expect((await call('POST', '/api/v4/users/ids', { ids: [anna.id] })).status).toBe(400);
  });

  it('GET /channels/{id}: a private channel only for its members', async () => {
    const anna = fake.data.addUser('anna');
    const open = fake.data.addChannel('town', [anna], 'O');
    const closed = fake.data.addChannel('secret', [anna], 'P');
    const seen = await call('GET', `/api/v4/channels/${open.id}`);
    expect(seen.json).toMatchObject({ display_name: 'town', type: 'O' });
    expect((await call('GET', `/api/v4/channels/${closed.id}`)).status).toBe(403);
    expect((await call('GET', `/api/v4/channels/${'z'.repeat(26)}`)).status).toBe(404);
  });
});
