/**
 * People and rooms of a Matrix homeserver, for the directory: a person's display name from
 * GET /_matrix/client/v3/profile/{userId}/displayname (404 M_NOT_FOUND when they have none or
 * do not exist; client-server API v1.13, "Profiles"), a room's name from the `m.room.name`
 * state the bot's sync already holds. Matrix profiles carry no language.
 */
import { EventTimeline, MatrixError, type MatrixClient } from 'matrix-js-sdk';
import { cleanName, type PeopleSource, type Person } from './source.ts';

export type ProfileClient = Pick<MatrixClient, 'getProfileInfo' | 'getRoom'>;

function notFound(error: unknown): boolean {
  return (
    error instanceof MatrixError && (error.httpStatus === 404 || error.errcode === 'M_NOT_FOUND')
  );
}

export class MatrixPeopleSource implements PeopleSource {
  readonly #client: ProfileClient;

  constructor(client: ProfileClient) {
    this.#client = client;
  }

  async people(ids: readonly string[]): Promise<ReadonlyMap<string, Person>> {
    const found = new Map<string, Person>();
    // One request per person: the profile API has no batch form. A failure of one that is
    // not "not found" fails the lookup, so it is tried again later instead of kept as unknown.
    await Promise.all(
      ids.map(async (id) => {
        try {
          const profile = await this.#client.getProfileInfo(id, 'displayname');
          const name =
            typeof profile.displayname === 'string' ? cleanName(profile.displayname) : undefined;
          if (name !== undefined) found.set(id, { name });
        } catch (error) {
          if (!notFound(error)) throw error;
        }
      }),
    );
    return found;
  }

  room(id: string): Promise<string | undefined> {
    const event = this.#client
      .getRoom(id)
      ?.getLiveTimeline()
      .getState(EventTimeline.FORWARDS)
      ?.getStateEvents('m.room.name', '');
    const name: unknown = event?.getContent()['name'];
    return Promise.resolve(typeof name === 'string' ? cleanName(name) : undefined);
  }
}
