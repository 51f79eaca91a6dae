/**
 * People and channels of a Mattermost server, for the directory: POST /api/v4/users/ids
 * (the users of the ids given; ids of nobody are left out of the answer) and
 * GET /api/v4/channels/{channel_id}, after the API v4 reference (https://api.mattermost.com/).
 * A person is shown as `@username`, the way Mattermost mentions them; the `locale` of their
 * profile picks the language of what only they see.
 */
import type { MattermostClient } from '../mattermost/client.ts';
import { cleanName, cleanUsername, type PeopleSource, type Person } from './source.ts';

/** Mattermost ids are 26 characters of [a-z0-9]; anything else is nobody's. */
const idPattern = /^[a-z0-9]{26}$/;

export class MattermostPeopleSource implements PeopleSource {
  readonly #client: Pick<MattermostClient, 'getProfilesByIds' | 'getChannel'>;

  constructor(client: Pick<MattermostClient, 'getProfilesByIds' | 'getChannel'>) {
    this.#client = client;
  }

  async people(ids: readonly string[]): Promise<ReadonlyMap<string, Person>> {
    const valid = ids.filter((id) => idPattern.test(id));
    if (valid.length === 0) return new Map();
    const users = await this.#client.getProfilesByIds([...valid]);
    const found = new Map<string, Person>();
    for (const user of Array.isArray(users) ? users : []) {
      if (typeof user.id !== 'string' || typeof user.username !== 'string') continue;
      const name = cleanUsername(user.username);
      if (name === undefined) continue;
      found.set(user.id, { name: `@${name}`, locale: user.locale });
    }
    return found;
  }

  async room(id: string): Promise<string | undefined> {
    if (!idPattern.test(id)) return undefined;
    const channel = await this.#client.getChannel(id);
    // A direct channel has no display name; its `name` is the two user ids.
    return typeof channel.display_name === 'string' ? cleanName(channel.display_name) : undefined;
  }
}
