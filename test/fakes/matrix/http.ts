/**
 * The fake's HTTP layer: routing, authentication (https://spec.matrix.org/v1.13/client-server-api/#client-authentication:
 * `Authorization: Bearer <token>` or the deprecated `access_token` query parameter; 401
 * M_MISSING_TOKEN / M_UNKNOWN_TOKEN with `soft_logout`), JSON bodies (400 M_NOT_JSON), unknown
 * endpoints (404, or 405 for a known path with another method, both M_UNRECOGNIZED, spec
 * #common-error-codes), rate limiting (#rate-limiting: 429 M_LIMIT_EXCEEDED, `retry_after_ms`,
 * `Retry-After` in seconds) and injected faults. Every answer is `application/json` except media.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountRoutes } from './account-routes.ts';
import { MatrixHttpError } from './errors.ts';
import { keyRoutes } from './key-routes.ts';
import { mediaRoutes } from './media-routes.ts';
import { membershipRoutes } from './membership-routes.ts';
import { paginationRoutes } from './pagination-routes.ts';
import { roomRoutes } from './room-routes.ts';
import type { RoomOps } from './room-ops.ts';
import type { Device, HomeserverState } from './state.ts';
import { syncRoutes } from './sync.ts';
import type { Endpoint, FaultRule, JsonObject, RateLimitRule, RequestRecord } from './types.ts';

export interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly bytes?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export const ok = (json: unknown): Reply => ({ status: 200, json });

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The decoded path parameters, in order. */
  readonly params: readonly string[];
  /** The JSON body (an object; `{}` when there is none), or the raw bytes for media. */
  readonly body: JsonObject;
  readonly raw: Buffer;
  /** The authenticated device; always set on routes with `auth`. */
  readonly device: Device;
  readonly hs: HomeserverState;
  readonly ops: RoomOps;
  readonly http: FakeHttp;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: RegExp;
  readonly endpoint: Endpoint;
  /** Whether an access token is required; default true. */
  readonly auth?: boolean;
  /** Keep the body as bytes (media upload). */
  readonly raw?: boolean;
  readonly handle: (ctx: RequestContext) => Reply | Promise<Reply>;
}

/** The longest body the fake reads; a larger one gets 413 M_TOO_LARGE. */
const maxBody = 50 * 1024 * 1024;

export interface HttpOptions {
  timelineLimit: number | undefined;
  readonly maxSyncTimeoutMs: number;
}

type Counted<T> = T & { left: number };

export class FakeHttp {
  readonly #hs: HomeserverState;
  readonly #ops: RoomOps;
  readonly #routes: readonly Route[];
  readonly rateLimits: Counted<RateLimitRule>[] = [];
  readonly faults: Counted<FaultRule>[] = [];
  readonly log: RequestRecord[] = [];
  /** Pending long polls, so that `dropSyncs` can cut them. */
  readonly pendingSyncs = new Set<ServerResponse>();
  /** The highest `since` each device (`userId|deviceId`) has sent to `/sync`. */
  readonly syncedUpTo = new Map<string, number>();
  timelineLimit: number | undefined;
  readonly maxSyncTimeoutMs: number;

  constructor(hs: HomeserverState, ops: RoomOps, options: HttpOptions) {
    this.#hs = hs;
    this.#ops = ops;
    this.timelineLimit = options.timelineLimit;
    this.maxSyncTimeoutMs = options.maxSyncTimeoutMs;
    this.#routes = [
      ...accountRoutes,
      ...membershipRoutes,
      ...roomRoutes,
      ...paginationRoutes,
      ...syncRoutes,
      ...mediaRoutes,
      ...keyRoutes,
    ];
  }

  dropSyncs(): number {
    const count = this.pendingSyncs.size;
    for (const res of this.pendingSyncs) res.socket?.destroy();
    this.pendingSyncs.clear();
    return count;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    let endpoint: Endpoint = 'unknown';
    let userId: string | undefined;
    res.on('close', () => {
      this.log.push({
        method,
        path: url.pathname,
        endpoint,
        status: res.writableFinished ? res.statusCode : 0,
        userId,
        at: Date.now(),
      });
    });
    try {
      const found = this.#match(method, url.pathname);
      endpoint = found.route.endpoint;
      const device = found.route.auth === false ? undefined : this.#authenticate(req, url);
      userId = device?.userId;
      this.#rateLimit(found.route.endpoint, userId);
      const fault = this.#fault(found.route.endpoint);
      if (fault === 'http-500')
        throw new MatrixHttpError(500, 'M_UNKNOWN', 'Internal server error');
      const raw = await readBody(req);
      const body = found.route.raw === true ? {} : parseJson(raw);
      const reply = await found.route.handle({
        req,
        res,
        url,
        params: found.params,
        body,
        raw,
        device: device as Device,
        hs: this.#hs,
        ops: this.#ops,
        http: this,
      });
      if (fault === 'stored-then-drop') {
        res.socket?.destroy();
        return;
      }
      if (fault === 'stored-then-502') {
        throw new MatrixHttpError(502, 'M_UNKNOWN', 'Bad gateway');
      }
      send(res, reply);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof MatrixHttpError) {
        send(res, { status: error.status, json: error.body(), headers: error.headers });
      } else {
        throw error;
      }
    }
  }

  #match(method: string, path: string): { route: Route; params: string[] } {
    let pathKnown = false;
    for (const route of this.#routes) {
      const m = route.path.exec(path);
      if (m === null) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      return {
        route,
        params: m.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p))),
      };
    }
    throw pathKnown
      ? new MatrixHttpError(405, 'M_UNRECOGNIZED', 'Unrecognized request')
      : new MatrixHttpError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
  }

  #authenticate(req: IncomingMessage, url: URL): Device {
    const header = req.headers.authorization;
    const token =
      header === undefined
        ? url.searchParams.get('access_token')
        : (/^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? null);
    if (token === null) {
      throw new MatrixHttpError(401, 'M_MISSING_TOKEN', 'Missing access token');
    }
    const device = this.#hs.deviceByToken(token);
    if (device === undefined) {
      throw new MatrixHttpError(401, 'M_UNKNOWN_TOKEN', 'Unknown access token', {
        soft_logout: false,
      });
    }
    return device;
  }

  #rateLimit(endpoint: Endpoint, userId: string | undefined): void {
    const rule = this.rateLimits.find(
      (r) =>
        r.left > 0 &&
        (r.endpoint === endpoint || (r.endpoint === '*' && endpoint !== 'sync')) &&
        (r.userId === undefined || r.userId === userId),
    );
    if (rule === undefined) return;
    rule.left -= 1;
    throw new MatrixHttpError(
      429,
      'M_LIMIT_EXCEEDED',
      'Too many requests',
      { retry_after_ms: rule.retryAfterMs },
      rule.omitHeader === true
        ? {}
        : { 'retry-after': String(Math.ceil(rule.retryAfterMs / 1000)) },
    );
  }

  #fault(endpoint: Endpoint): FaultRule['kind'] | undefined {
    const rule = this.faults.find((f) => f.left > 0 && f.endpoint === endpoint);
    if (rule === undefined) return undefined;
    rule.left -= 1;
    return rule.kind;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  if (reply.bytes !== undefined) {
    res.writeHead(reply.status, { 'content-length': reply.bytes.length, ...reply.headers });
    res.end(reply.bytes);
    return;
  }
  const text = JSON.stringify(reply.json ?? {});
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new MatrixHttpError(413, 'M_TOO_LARGE', 'Request too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): JsonObject {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MatrixHttpError(400, 'M_NOT_JSON', 'Content not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MatrixHttpError(400, 'M_BAD_JSON', 'Content must be a JSON object.');
  }
  return parsed as JsonObject;
}
