import { describe, expect, it } from 'vitest';
import type { MattermostClient } from '../../../src/chat/mattermost/client.ts';
import { MattermostPeopleSource } from '../../../src/chat/people/mattermost-source.ts';

const ivan = 'a'.repeat(26);
const odd = 'b'.repeat(26);

/** The two calls the source makes, answering as POST /api/v4/users/ids does. */
function client(users: readonly { id: string; username: string; locale?: string }[]) {
  const stub: Pick<MattermostClient, 'getProfilesByIds' | 'getChannel'> = {
    getProfilesByIds: (() =>
      Promise.resolve(users)) as unknown as MattermostClient['getProfilesByIds'],
    getChannel: () => Promise.reject(new Error('not asked')),
  };
  return stub;
}

describe('Mattermost people source', () => {
  it('shows a username exactly as the server has it, underscore included', async () => {
    const source = new MattermostPeopleSource(
      client([
        { id: ivan, username: 'ivan_petrov', locale: 'ru' },
        // Not a username Mattermost gives: left out, so the id is shown instead.
        { id: odd, username: 'Anna **Admin**' },
      ]),
    );
    const people = await source.people([ivan, odd]);
    expect(people.get(ivan)).toEqual({ name: '@ivan_petrov', locale: 'ru' });
    expect(people.has(odd)).toBe(false);
  });
});
