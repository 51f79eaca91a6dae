/** Plugin requests, their supporters and the plugins directory cache, in SQLite. */
import type { DatabaseSync } from 'node:sqlite';
import { isLocale } from '../core/i18n.ts';
import type { CachedBody, DirectoryCacheStore } from '../plugins/directory.ts';
import type {
  Asked,
  PluginFacts,
  PluginRequest,
  RequestState,
  RequestStore,
  Supporter,
} from '../plugins/requests.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orUndefined, systemClock, toIso, type Clock } from './values.ts';

const states: readonly RequestState[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'installed',
  'failed',
];

interface RequestRow {
  readonly id: number;
  readonly component: string;
  readonly name: string;
  readonly facts: string;
  readonly state: string;
  readonly approval: number | null;
  readonly created_at: string;
}

interface SupporterRow {
  readonly actor: string;
  readonly room: string;
  readonly locale: string;
  readonly reason: string;
  readonly at: string;
}

export class SqliteDirectoryCache implements DirectoryCacheStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(key: string): CachedBody | undefined {
    const row = this.#db
      .prepare('SELECT body, fetched_at FROM plugin_directory_cache WHERE key = ?')
      .get(key) as { body: string; fetched_at: string } | undefined;
    return row === undefined ? undefined : { body: row.body, fetchedAt: fromIso(row.fetched_at) };
  }

  put(key: string, body: string, at: Date): void {
    this.#db
      .prepare(
        `INSERT INTO plugin_directory_cache (key, body, fetched_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at`,
      )
      .run(key, body, toIso(at));
  }
}

export class SqliteRequestStore implements RequestStore {
  readonly #db: DatabaseSync;
  readonly #now: Clock;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
  }

  ask(facts: PluginFacts, supporter: Supporter): Asked {
    return immediate(this.#db, () => {
      const open = this.#db
        .prepare(
          `SELECT * FROM plugin_requests WHERE component = ? AND state IN ('pending', 'approved')`,
        )
        .get(facts.component) as RequestRow | undefined;
      let id: number;
      let how: Asked['how'];
      if (open === undefined) {
        const row = this.#db
          .prepare(
            `INSERT INTO plugin_requests (component, name, facts, state, created_at)
             VALUES (?, ?, ?, 'pending', ?) RETURNING id`,
          )
          .get(facts.component, facts.name, JSON.stringify(facts), toIso(this.#now())) as {
          id: number;
        };
        id = row.id;
        how = 'new';
      } else {
        id = open.id;
        const had = this.#db
          .prepare('SELECT 1 FROM plugin_request_supporters WHERE request = ? AND actor = ?')
          .get(id, supporter.actor);
        how = had === undefined ? 'joined' : 'again';
      }
      if (how !== 'again') {
        this.#db
          .prepare(
            `INSERT INTO plugin_request_supporters (request, actor, room, locale, reason, at)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            supporter.actor,
            supporter.room,
            supporter.locale,
            supporter.reason,
            toIso(supporter.at),
          );
      }
      const request = this.get(id);
      if (request === undefined) throw new Error(`plugin request ${id} vanished`);
      return { request, how };
    });
  }

  get(id: number): PluginRequest | undefined {
    const row = this.#db.prepare('SELECT * FROM plugin_requests WHERE id = ?').get(id) as
      RequestRow | undefined;
    return row === undefined ? undefined : this.#toRequest(row);
  }

  byApproval(approval: number): PluginRequest | undefined {
    const row = this.#db
      .prepare('SELECT * FROM plugin_requests WHERE approval = ?')
      .get(approval) as RequestRow | undefined;
    return row === undefined ? undefined : this.#toRequest(row);
  }

  list(filter: { state?: RequestState; actor?: string; limit?: number }): PluginRequest[] {
    const rows = this.#db
      .prepare(
        `SELECT r.* FROM plugin_requests r
         WHERE (?1 IS NULL OR r.state = ?1)
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM plugin_request_supporters s
                                      WHERE s.request = r.id AND s.actor = ?2))
         ORDER BY r.id DESC LIMIT ?3`,
      )
      .all(
        filter.state ?? null,
        filter.actor ?? null,
        filter.limit ?? 50,
      ) as unknown as RequestRow[];
    return rows.map((r) => this.#toRequest(r));
  }

  attachApproval(id: number, approval: number): void {
    this.#db.prepare('UPDATE plugin_requests SET approval = ? WHERE id = ?').run(approval, id);
  }

  setState(id: number, state: RequestState): void {
    this.#db.prepare('UPDATE plugin_requests SET state = ? WHERE id = ?').run(state, id);
  }

  #toRequest(row: RequestRow): PluginRequest {
    const supporters = (
      this.#db
        .prepare(
          'SELECT actor, room, locale, reason, at FROM plugin_request_supporters WHERE request = ? ORDER BY at, rowid',
        )
        .all(row.id) as unknown as SupporterRow[]
    ).map((s): Supporter => ({
      actor: s.actor,
      room: s.room,
      locale: isLocale(s.locale) ? s.locale : 'ru',
      reason: s.reason,
      at: fromIso(s.at),
    }));
    return {
      id: row.id,
      component: row.component,
      name: row.name,
      facts: JSON.parse(row.facts) as PluginFacts,
      state: oneOf(states, row.state, 'plugin request state'),
      approval: orUndefined(row.approval),
      createdAt: fromIso(row.created_at),
      supporters,
    };
  }
}
