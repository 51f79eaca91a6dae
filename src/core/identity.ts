import type { Catalog } from './catalog.ts';

/** Where an invocation came from. */
export type Source = 'terminal' | 'mattermost' | 'matrix' | 'button' | 'schedule';

/**
 * A person (or the scheduler) with their roles. The id is namespaced by messenger so that a
 * Mattermost user can never pass for a local one: `mattermost:<user id>`,
 * `matrix:@user:server`, `local:<unix user>`.
 */
export interface Actor {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly string[];
}

export interface Room {
  /** `terminal`, `mattermost:<channel id>`, `matrix:!room:server`. */
  readonly id: string;
  readonly name?: string;
}

const actorPattern =
  /^(?:mattermost:[a-z0-9]{1,64}|matrix:@[^:\s]{1,255}:[A-Za-z0-9.:-]{1,255}|local:[A-Za-z0-9._-]{1,64}|system:[a-z-]{1,32})$/;

export function isActorId(id: string): boolean {
  return actorPattern.test(id);
}

/** Looks up the roles of an actor id; an unknown person has none, so may run nothing. */
export function identify(catalog: Catalog, id: string, displayName = id): Actor {
  const roles = catalog.roles.filter((role) => role.members.includes(id)).map((role) => role.name);
  return { id, displayName, roles };
}
