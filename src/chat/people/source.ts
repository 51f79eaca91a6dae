/** What a messenger tells about its people and rooms (src/chat/people/directory.ts asks). */

export interface Person {
  /** As a person of that messenger knows them: `@anna` in Mattermost, a Matrix display name. */
  readonly name: string;
  /** The language tag of their profile, as the messenger gives it (`ru`, `en`, `pt-br`). */
  readonly locale?: string | undefined;
}

export interface PeopleSource {
  /**
   * Those of `ids` (without the `mattermost:`/`matrix:` prefix) the messenger knows; the rest
   * are unknown. Throws when the messenger cannot be asked.
   */
  people(ids: readonly string[]): Promise<ReadonlyMap<string, Person>>;
  /** A room's display name; undefined when it has none. Throws when it cannot be asked. */
  room(id: string): Promise<string | undefined>;
}

/**
 * A name as it may be shown in a post or a table: without control characters or the marks
 * of the posts' markdown (a display name is typed by its owner), at most 64 characters.
 */
export function cleanName(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f`*_~[\]<>|\\]/g, '').trim();
  if (clean === '') return undefined;
  return clean.length > 64 ? `${clean.slice(0, 63)}…` : clean;
}

/**
 * A Mattermost username as it is: lowercase letters, digits, ".", "-" and "_" are all it may
 * hold (https://docs.mattermost.com/configure/user-management-configuration-settings.html),
 * and none of them is markup inside an @mention, so `ivan_petrov` stays `ivan_petrov` and
 * never reads as another user. Anything else is not a username the server gave.
 */
export function cleanUsername(name: string): string | undefined {
  return /^[a-z0-9._-]{1,64}$/u.test(name) ? name : undefined;
}
