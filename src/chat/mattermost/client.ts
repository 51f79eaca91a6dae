/**
 * The bot account's REST client: @mattermost/client's Client4 with its fetch replaced by one
 * the adapter controls. Client4 keeps only the parsed body of a failed response, and a 429
 * from Mattermost has a text/plain body ("limit exceeded"), so its error carries no status:
 * the status and the rate-limit headers are read here, from the response itself.
 */
import mm from '@mattermost/client';
import type { Options } from '@mattermost/types/client4';

export type Fetch = typeof fetch;

/** A response that was not 2xx. `retryAfterMs` comes from Retry-After or X-RateLimit-Reset. */
export class MattermostHttpError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, retryAfterMs: number | undefined) {
    super(message);
    this.name = 'MattermostHttpError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * How long a 429 asks to wait (Retry-After, else X-RateLimit-Reset, else a second), or
 * undefined for any other error. Mattermost's limiter counts every request, GETs included.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof MattermostHttpError) || error.status !== 429) return undefined;
  return Math.min(maxRetryAfterMs, error.retryAfterMs ?? 1000);
}

/** A longer Retry-After is capped: a wrong header must not stop the bot for hours. */
const maxRetryAfterMs = 60_000;

/** No HTTP answer. `maybeDelivered`: the request may have reached the server (not for a refused connection). */
export class MattermostNetworkError extends Error {
  readonly maybeDelivered: boolean;

  constructor(message: string, maybeDelivered: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'MattermostNetworkError';
    this.maybeDelivered = maybeDelivered;
  }
}

export interface RateLimit {
  readonly remaining: number | undefined;
  /** When the window resets, from X-RateLimit-Reset (seconds from now). */
  readonly resetAt: Date | undefined;
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export function parseRateLimit(headers: Headers, now: Date): RateLimit {
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  return {
    remaining: remaining !== null && /^\d+$/.test(remaining) ? Number(remaining) : undefined,
    resetAt:
      reset !== null && /^\d+$/.test(reset)
        ? new Date(now.getTime() + Number(reset) * 1000)
        : undefined,
  };
}

function refused(error: unknown): boolean {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === 'ECONNREFUSED';
}

export interface ClientOptions {
  readonly url: string;
  readonly token: string;
  readonly fetch?: Fetch;
  /** A request that takes longer is abandoned (its outcome is then unknown). */
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

export class MattermostClient extends mm.Client4 {
  /** The rate-limit headers of the last response. */
  rateLimit: RateLimit = { remaining: undefined, resetAt: undefined };
  readonly #fetch: Fetch;
  readonly #timeoutMs: number;
  readonly #now: () => Date;

  constructor(options: ClientOptions) {
    super();
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#now = options.now ?? (() => new Date());
    this.setUrl(options.url.replace(/\/+$/, ''));
    this.setToken(options.token);
    this.setIncludeCookies(false);
    this.setUserAgent('pes-bot');
  }

  protected override doFetch = async <T>(url: string, options: Options): Promise<T> => {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        ...this.getOptions(options),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const what = error instanceof Error ? error.message : String(error);
      throw new MattermostNetworkError(
        `${options.method ?? 'get'} ${url}: ${what}`,
        !refused(error),
        error,
      );
    }
    const now = this.#now();
    this.rateLimit = parseRateLimit(response.headers, now);
    const body = await response.text();
    if (!response.ok) {
      const wait =
        parseRetryAfter(response.headers.get('retry-after'), now) ??
        (this.rateLimit.resetAt === undefined
          ? undefined
          : Math.max(0, this.rateLimit.resetAt.getTime() - now.getTime()));
      throw new MattermostHttpError(
        response.status,
        `${response.status} ${url}: ${body.slice(0, 200)}`,
        wait,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    return (type.startsWith('application/json') && body !== '' ? JSON.parse(body) : body) as T;
  };
}
