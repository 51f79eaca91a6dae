/**
 * The Alertmanager API v2 over global fetch (docs/FIELD-NOTES.md "Alertmanager"):
 * `POST /api/v2/silences` → `{silenceID}`, `GET /api/v2/silences`,
 * `DELETE /api/v2/silence/{id}` (singular; an unknown id answers 500, not 404, so the list is
 * consulted to tell "unknown" from a real failure), `GET /api/v2/alerts`.
 */
import type { ActiveAlert, AlertmanagerApi, NewSilence, Silence } from '../core/alerts.ts';
import { UserError } from '../core/errors.ts';

export type { ActiveAlert, Matcher, NewSilence, Silence } from '../core/alerts.ts';

type Fetch = typeof fetch;

export class AlertmanagerClient implements AlertmanagerApi {
  readonly #url: string;
  readonly #fetch: Fetch;
  readonly #timeoutMs: number;

  constructor(url: string, options: { fetch?: Fetch; timeoutMs?: number } = {}) {
    this.#url = url.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async createSilence(silence: NewSilence): Promise<string> {
    const body = await this.#json<{ silenceID: string }>('POST', '/api/v2/silences', {
      matchers: silence.matchers,
      startsAt: silence.startsAt.toISOString(),
      endsAt: silence.endsAt.toISOString(),
      createdBy: silence.createdBy,
      comment: silence.comment,
    });
    return body.silenceID;
  }

  silences(): Promise<Silence[]> {
    return this.#json<Silence[]>('GET', '/api/v2/silences');
  }

  /** Expires a silence; UserError `silence-unknown` when Alertmanager has no such id. */
  async expireSilence(id: string): Promise<void> {
    const res = await this.#request('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
    if (res.ok) return;
    const known = (await this.silences()).some((s) => s.id === id);
    if (!known) throw new UserError('silence-unknown', { id });
    throw this.#failed(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }

  /** Active alerts, optionally filtered with Alertmanager matchers (`alertname="X"`). */
  alerts(filters: readonly string[] = []): Promise<ActiveAlert[]> {
    const query = new URLSearchParams({ active: 'true', silenced: 'true', inhibited: 'true' });
    for (const f of filters) query.append('filter', f);
    return this.#json<ActiveAlert[]>('GET', `/api/v2/alerts?${query.toString()}`);
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#request(method, path, body);
    if (!res.ok) throw this.#failed(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  }

  async #request(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await this.#fetch(`${this.#url}${path}`, {
        method,
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw this.#failed(error instanceof Error ? error.message : String(error));
    }
  }

  #failed(reason: string): UserError {
    return new UserError('alertmanager-failed', { url: this.#url, reason });
  }
}
