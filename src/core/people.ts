/**
 * How people and rooms are shown to a person: by name where the messenger has one
 * (`@anna` in Mattermost, a Matrix display name, a room's display name), else by id. The
 * core keeps ids in its records and asks this port only when it writes for a person; the
 * messengers' lookups live in src/chat/people.
 */
import { UserError } from './errors.ts';

export interface People {
  /**
   * The name of every actor id given (ids without a name map to themselves). Never throws
   * and never waits long: a lookup that fails or is slow leaves the id.
   */
  names(actorIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** The same for rooms (`mattermost:<channel id>`, `matrix:!room:server`, `terminal`). */
  roomNames(roomIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** A local (terminal) user is known by their own user name; anyone else by their id. */
function shownId(id: string): string {
  return id.startsWith('local:') ? id.slice('local:'.length) : id;
}

function identity(ids: readonly string[]): Promise<ReadonlyMap<string, string>> {
  return Promise.resolve(new Map(ids.map((id) => [id, id])));
}

/** No messenger to ask: everyone is shown by id, a terminal user by their user name. */
export const idsOnly: People = {
  names: (ids) => Promise.resolve(new Map(ids.map((id) => [id, shownId(id)]))),
  roomNames: identity,
};

/** One actor's name, or the id. */
export async function nameOf(people: People, actorId: string): Promise<string> {
  return (await people.names([actorId])).get(actorId) ?? actorId;
}

/**
 * A busy refusal names the job's owner by id (the job runner reads it from its record in a
 * transaction, where nothing may wait on a messenger); this swaps in the name before a
 * person reads it. Any other error is returned as it is.
 */
export async function nameBusyHolder(error: unknown, people: People): Promise<unknown> {
  if (!(error instanceof UserError) || error.code !== 'service-busy') return error;
  const actor = error.params['actor'];
  if (typeof actor !== 'string') return error;
  return new UserError('service-busy', { ...error.params, actor: await nameOf(people, actor) });
}
