/**
 * The names of people and rooms, asked of the messenger they belong to and kept for a while.
 * A lookup never fails and never holds up an answer for long: whatever is not known within
 * `timeoutMs` is shown by id, and a lookup that arrives later fills the cache for the next
 * answer. The cache is in memory only: a name is not state that must survive a restart, a
 * restart costs one request per person, and a renamed person shows the new name after
 * `ttlMs`. Unknown people and failed lookups are kept for a shorter time, so a messenger
 * that is down does not add a wait to every command.
 */
import type { Locale } from '../../core/i18n.ts';
import type { Logger } from '../../core/logger.ts';
import type { People } from '../../core/people.ts';
import { supportedLocale } from './locale.ts';
import type { PeopleSource, Person } from './source.ts';
import { TtlCache } from './ttl-cache.ts';

export interface DirectoryOptions {
  /** How long an answer waits for a name (default 1 s). */
  readonly timeoutMs?: number;
  /** How long a name is kept (default 10 minutes). */
  readonly ttlMs?: number;
  /** How long "unknown" or "could not ask" is kept (default 1 minute). */
  readonly missTtlMs?: number;
  readonly now?: () => number;
  readonly log?: Logger;
}

/** The messengers whose ids the directory can look up: the prefix of an actor or room id. */
export type Messenger = 'mattermost' | 'matrix';

function split(id: string): { prefix: string; rest: string } {
  const colon = id.indexOf(':');
  return colon < 0
    ? { prefix: '', rest: id }
    : { prefix: id.slice(0, colon), rest: id.slice(colon + 1) };
}

/** How an id is shown when no name can be had: a Matrix user by their own user id. */
function fallback(id: string): string {
  const { prefix, rest } = split(id);
  return prefix === 'matrix' && rest.startsWith('@') ? rest : id;
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

const maxEntries = 5000;

export class PeopleDirectory implements People {
  readonly #sources = new Map<string, PeopleSource>();
  readonly #people: TtlCache<Person | undefined>;
  readonly #rooms: TtlCache<string | undefined>;
  /** Lookups under way, by id: a second answer waits for the same request. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #missTtlMs: number;
  readonly #log: Logger | undefined;

  constructor(options: DirectoryOptions = {}) {
    const now = options.now ?? Date.now;
    this.#people = new TtlCache(maxEntries, now);
    this.#rooms = new TtlCache(maxEntries, now);
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#missTtlMs = options.missTtlMs ?? 60_000;
    this.#log = options.log;
  }

  /** Lets the directory ask a messenger about the ids of its prefix. */
  use(messenger: Messenger, source: PeopleSource): void {
    this.#sources.set(messenger, source);
  }

  async names(actorIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    await this.#lookUp(actorIds);
    return new Map(actorIds.map((id) => [id, this.cachedName(id)]));
  }

  /** One person's name, or how their id is shown. */
  async name(actorId: string): Promise<string> {
    return (await this.names([actorId])).get(actorId) ?? fallback(actorId);
  }

  /**
   * What the messenger tells of one person: their name (undefined when none could be had)
   * and their own language, when the bot speaks it.
   */
  async person(actorId: string): Promise<{ name?: string; locale?: Locale }> {
    if (split(actorId).prefix === 'local') return { name: split(actorId).rest };
    await this.#lookUp([actorId]);
    const person = this.#people.get(actorId)?.value;
    const locale = supportedLocale(person?.locale);
    return {
      ...(person === undefined ? {} : { name: person.name }),
      ...(locale === undefined ? {} : { locale }),
    };
  }

  async roomNames(roomIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const wanted = [...new Set(roomIds)].filter(
      (id) => this.#sourceOf(id) !== undefined && this.#rooms.get(id) === undefined,
    );
    await this.#within(wanted.map((id) => this.#once(`room ${id}`, () => this.#fetchRoom(id))));
    return new Map(roomIds.map((id) => [id, this.#rooms.get(id)?.value ?? id]));
  }

  /** The name as far as already known, without asking: for what cannot wait. */
  cachedName(id: string): string {
    const { prefix, rest } = split(id);
    if (prefix === 'local') return rest;
    return this.#people.get(id)?.value?.name ?? fallback(id);
  }

  #sourceOf(id: string): PeopleSource | undefined {
    return this.#sources.get(split(id).prefix);
  }

  /** Asks each messenger once for the ids it has not told yet, and waits at most the timeout. */
  async #lookUp(actorIds: readonly string[]): Promise<void> {
    const byPrefix = new Map<string, string[]>();
    for (const id of new Set(actorIds)) {
      if (this.#sourceOf(id) === undefined || this.#people.get(id) !== undefined) continue;
      if (this.#pending.has(id)) continue;
      const { prefix } = split(id);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), id]);
    }
    for (const [prefix, ids] of byPrefix) this.#fetchPeople(prefix, ids);
    const waits = actorIds
      .map((id) => this.#pending.get(id))
      .filter((p): p is Promise<void> => p !== undefined);
    await this.#within(waits);
  }

  #fetchPeople(prefix: string, ids: readonly string[]): void {
    const source = this.#sources.get(prefix);
    if (source === undefined) return;
    const request = source
      .people(ids.map((id) => split(id).rest))
      .then(
        (found) => {
          for (const id of ids) {
            const person = found.get(split(id).rest);
            this.#people.set(id, person, person === undefined ? this.#missTtlMs : this.#ttlMs);
          }
        },
        (error: unknown) => {
          this.#log?.warn('names could not be looked up', { messenger: prefix, error });
          for (const id of ids) this.#people.set(id, undefined, this.#missTtlMs);
        },
      )
      .finally(() => {
        for (const id of ids) this.#pending.delete(id);
      });
    for (const id of ids) this.#pending.set(id, request);
  }

  async #fetchRoom(id: string): Promise<void> {
    const source = this.#sourceOf(id);
    if (source === undefined) return;
    try {
      const name = await source.room(split(id).rest);
      this.#rooms.set(id, name, name === undefined ? this.#missTtlMs : this.#ttlMs);
    } catch (error) {
      this.#log?.warn('a room name could not be looked up', { room: id, error });
      this.#rooms.set(id, undefined, this.#missTtlMs);
    }
  }

  #once(key: string, work: () => Promise<void>): Promise<void> {
    const running = this.#pending.get(key);
    if (running !== undefined) return running;
    const started = work().finally(() => this.#pending.delete(key));
    this.#pending.set(key, started);
    return started;
  }

  async #within(waits: readonly Promise<void>[]): Promise<void> {
    if (waits.length === 0) return;
    const timer = delay(this.#timeoutMs);
    await Promise.race([Promise.all(waits), timer.promise]);
    timer.cancel();
  }
}
