/**
 * The plugins directory as requests use it: answers from the directory when it is up, and
 * from the state database when it is not, so an outage of download.moodle.org does not stop
 * teachers from asking (the card then says the facts are from the cache, and since when).
 */
import { UserError } from '../core/errors.ts';
import { DirectoryDown, newestFirst, type DirectoryHttp } from './directory-client.ts';
import type { DirectoryPlugin } from './directory-types.ts';

export interface CachedBody {
  readonly body: string;
  readonly fetchedAt: Date;
}

/** Where answers are kept (src/store/plugins-repo.ts). */
export interface DirectoryCacheStore {
  get(key: string): CachedBody | undefined;
  put(key: string, body: string, at: Date): void;
}

export interface Looked<T> {
  readonly value: T;
  /** Set when the answer came from the cache because the directory could not be asked. */
  readonly cachedAt: Date | undefined;
}

/** How long the whole list is used without asking again (it is large and changes slowly). */
const listFreshMs = 6 * 60 * 60 * 1000;

export class PluginDirectory {
  readonly #http: DirectoryHttp;
  readonly #cache: DirectoryCacheStore;
  readonly #now: () => Date;

  constructor(http: DirectoryHttp, cache: DirectoryCacheStore, now: () => Date = () => new Date()) {
    this.#http = http;
    this.#cache = cache;
    this.#now = now;
  }

  /**
   * A plugin and every version the directory knows of it (the list's, or pluginfo's newest
   * for `branch` when the list does not have it yet); undefined when the directory does not
   * know it. Throws plugin-directory-down when neither the directory nor the cache can say.
   */
  async plugin(
    component: string,
    branch: string | undefined,
  ): Promise<Looked<DirectoryPlugin | undefined>> {
    const key = `pluginfo:${component}:${branch ?? ''}`;
    let info: Looked<DirectoryPlugin | undefined>;
    try {
      const value = await this.#http.pluginfo(component, branch);
      this.#cache.put(key, JSON.stringify(value ?? null), this.#now());
      info = { value, cachedAt: undefined };
    } catch (error) {
      if (!(error instanceof DirectoryDown)) throw error;
      const kept = this.#cache.get(key);
      const listed = this.#listedFromCache(component);
      if (kept === undefined && listed === undefined) {
        throw new UserError('plugin-directory-down', { reason: error.message });
      }
      const value =
        kept === undefined
          ? listed?.value
          : ((JSON.parse(kept.body) as DirectoryPlugin | null) ?? undefined);
      info = { value, cachedAt: kept?.fetchedAt ?? listed?.cachedAt };
    }
    // The list has every version (which releases each supports); pluginfo only the newest
    // fitting one. Merge what is known.
    const fromList = await this.#listEntry(component);
    if (fromList === undefined) return info;
    const versions = new Map<number, DirectoryPlugin['versions'][number]>();
    for (const v of [...fromList.versions, ...(info.value?.versions ?? [])])
      versions.set(v.version, v);
    return {
      value: { name: fromList.name, component, versions: newestFirst([...versions.values()]) },
      cachedAt: info.cachedAt,
    };
  }

  /** Every plugin; from the cache while fresh or while the directory cannot be asked. */
  async list(): Promise<Looked<DirectoryPlugin[]>> {
    const kept = this.#cache.get('pluglist');
    if (kept !== undefined && this.#now().getTime() - kept.fetchedAt.getTime() < listFreshMs) {
      return { value: JSON.parse(kept.body) as DirectoryPlugin[], cachedAt: undefined };
    }
    try {
      const value = await this.#http.pluglist();
      this.#cache.put('pluglist', JSON.stringify(value), this.#now());
      return { value, cachedAt: undefined };
    } catch (error) {
      if (!(error instanceof DirectoryDown)) throw error;
      if (kept === undefined)
        throw new UserError('plugin-directory-down', { reason: error.message });
      return { value: JSON.parse(kept.body) as DirectoryPlugin[], cachedAt: kept.fetchedAt };
    }
  }

  async #listEntry(component: string): Promise<DirectoryPlugin | undefined> {
    try {
      return (await this.list()).value.find((p) => p.component === component);
    } catch (error) {
      if (error instanceof UserError) return undefined;
      throw error;
    }
  }

  #listedFromCache(component: string): Looked<DirectoryPlugin | undefined> | undefined {
    const kept = this.#cache.get('pluglist');
    if (kept === undefined) return undefined;
    const list = JSON.parse(kept.body) as DirectoryPlugin[];
    return { value: list.find((p) => p.component === component), cachedAt: kept.fetchedAt };
  }
}
