/**
 * The fake's REST API, after the Mattermost API v4 reference (https://api.mattermost.com/):
 * `Authorization: Bearer <token>`; POST /api/v4/posts (201), POST /api/v4/posts/ephemeral,
 * PUT /api/v4/posts/{id}/patch, POST /api/v4/files (multipart, 201 with file_infos),
 * GET /api/v4/channels/{id}/posts?since=… (posts changed after `since`), GET /api/v4/users/me,
 * GET /api/v4/users/me/teams/{id}/channels, POST /api/v4/channels/direct, GET /api/v4/users/{id},
 * POST /api/v4/users/ids (a read: the users of the ids given, unknown ids left out),
 * GET /api/v4/channels/{id} (server/channels/api4/user.go getUser, getUsersByIds;
 * channel.go getChannel). Errors are
 * Mattermost's JSON error objects, except a 429 from the rate limiter, which is text/plain
 * "limit exceeded" with Retry-After and X-RateLimit-* headers (the server's throttled
 * middleware, server/channels/app/ratelimit.go). That limiter wraps the server's whole HTTP
 * handler (server/channels/app/server.go: `handler = rateLimiter.RateLimitHandler(handler)`),
 * so it counts every request whatever its method: GETs and the WebSocket upgrade too.
 * Ephemeral posts need the `create_post_ephemeral` permission, which accounts lack unless an
 * admin grants it (server/channels/api4/post.go, createEphemeralPost).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeSocketServer } from './websocket.ts';
import {
  newId,
  publicPost,
  publicUser,
  type FakeData,
  type FakePost,
  type FakeUser,
} from './state.ts';

/** What the next write request suffers, for fault injection. */
export type Fault = 'http-500' | 'created-then-502' | 'created-then-drop';

export interface Limiter {
  readonly perSecond: number;
  readonly burst: number;
}

export interface Edit {
  readonly postId: string;
  readonly at: number;
  readonly text: string;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function error(res: ServerResponse, status: number, id: string, message: string): void {
  json(res, status, { id, message, detailed_error: '', request_id: newId(), status_code: status });
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The text a person sees in a post: its message and its attachments' titles and texts. */
export function visibleText(post: { message: string; props: Record<string, unknown> }): string {
  const attachments = Array.isArray(post.props['attachments'])
    ? (post.props['attachments'] as { title?: string; text?: string }[])
    : [];
  return [post.message, ...attachments.flatMap((a) => [a.title ?? '', a.text ?? ''])]
    .filter(Boolean)
    .join('\n');
}

export class FakeRest {
  readonly #data: FakeData;
  readonly #sockets: FakeSocketServer;
  readonly faults: Fault[] = [];
  limiter: Limiter | undefined;
  /** How long the users endpoints take to answer: a slow server, for lookups' time limits. */
  usersDelayMs = 0;
  #tokens = 0;
  #refilled = Date.now();
  readonly edits: Edit[] = [];
  /** Every request, `METHOD /path` with its status, in order. */
  readonly log: {
    readonly route: string;
    readonly status: number;
    readonly at: number;
    /** For a 429: the Retry-After it gave, in ms. */
    readonly retryAfterMs?: number;
  }[] = [];

  constructor(data: FakeData, sockets: FakeSocketServer) {
    this.#data = data;
    this.#sockets = sockets;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method ?? ''} ${url.pathname}`;
    res.on('finish', () => {
      const retryAfter = res.getHeader('retry-after');
      this.log.push({
        route,
        status: res.statusCode,
        at: Date.now(),
        ...(retryAfter === undefined ? {} : { retryAfterMs: Number(retryAfter) * 1000 }),
      });
    });
    // Before anything else, as the server's middleware does: every request counts.
    if (this.#limited(res)) return;
    const auth = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const user = auth === undefined ? undefined : this.#data.userByToken(auth);
    if (user === undefined) {
      error(res, 401, 'api.context.session_expired.app_error', 'Invalid or expired session.');
      return;
    }
    const hasBody = req.method === 'POST' || req.method === 'PUT';
    // POST /users/ids only reads: faults are meant for the requests that change something.
    const write = hasBody && url.pathname !== '/api/v4/users/ids';
    const fault = write ? this.faults.shift() : undefined;
    if (fault === 'http-500') {
      error(res, 500, 'app.internal', 'internal error');
      return;
    }
    const payload = hasBody ? await body(req) : Buffer.alloc(0);
    if (
      this.usersDelayMs > 0 &&
      url.pathname.startsWith('/api/v4/users/') &&
      url.pathname !== '/api/v4/users/me'
    ) {
      await new Promise((resolve) => setTimeout(resolve, this.usersDelayMs));
    }
    const sent = await this.#route(req, url, user, payload, res, fault);
    if (!sent) error(res, 404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
  }

  /**
   * The WebSocket upgrade goes through the same limiter; a refused upgrade gets the 429 on
   * the raw socket.
   */
  limitedUpgrade(): { readonly retryAfter: string } | undefined {
    const refusal = this.#take();
    if (refusal === undefined) return undefined;
    this.log.push({
      route: 'GET /api/v4/websocket',
      status: 429,
      at: Date.now(),
      retryAfterMs: refusal * 1000,
    });
    return { retryAfter: String(refusal) };
  }

  /** A token bucket like the server's rate limiter: 429 with the time to wait. */
  #limited(res: ServerResponse): boolean {
    const limit = this.limiter;
    if (limit === undefined) return false;
    const wait = this.#take();
    if (wait === undefined) {
      res.setHeader('x-ratelimit-limit', String(limit.perSecond));
      res.setHeader('x-ratelimit-remaining', String(Math.floor(this.#tokens)));
      return false;
    }
    // Set one by one, so that the request log can read Retry-After back.
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('retry-after', String(wait));
    res.setHeader('x-ratelimit-limit', String(limit.perSecond));
    res.setHeader('x-ratelimit-remaining', '0');
    res.setHeader('x-ratelimit-reset', String(wait));
    res.writeHead(429);
    res.end('limit exceeded\n');
    return true;
  }

  /** Takes a token: undefined when there was one, else the seconds to wait. */
  #take(): number | undefined {
    const limit = this.limiter;
    if (limit === undefined) return undefined;
    const now = Date.now();
    this.#tokens = Math.min(
      limit.burst,
      this.#tokens + ((now - this.#refilled) / 1000) * limit.perSecond,
    );
    this.#refilled = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / limit.perSecond));
  }

  /** Empties the bucket: the next request is limited (a client that just used it up). */
  drainBucket(): void {
    this.#tokens = 0;
    this.#refilled = Date.now();
  }

  /** Resets the bucket to full, e.g. when a test turns the limiter on. */
  fillBucket(): void {
    this.#tokens = this.limiter?.burst ?? 0;
    this.#refilled = Date.now();
  }

  async #route(
    req: IncomingMessage,
    url: URL,
    user: FakeUser,
    payload: Buffer,
    res: ServerResponse,
    fault: Fault | undefined,
  ): Promise<boolean> {
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && path === '/api/v4/users/me') {
      json(res, 200, { id: user.id, username: user.username, is_bot: user.isBot });
    } else if (req.method === 'POST' && path === '/api/v4/posts') {
      this.#createPost(
        user,
        JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
        res,
        fault,
      );
    } else if (req.method === 'POST' && path === '/api/v4/users/ids') {
      this.#usersByIds(payload, res);
    } else if (req.method === 'GET' && (m = /^\/api\/v4\/users\/([^/]+)$/.exec(path)) !== null) {
      this.#user(m[1] ?? '', res);
    } else if (req.method === 'GET' && (m = /^\/api\/v4\/channels\/([^/]+)$/.exec(path)) !== null) {
      this.#channel(user, m[1] ?? '', res);
    } else if (req.method === 'POST' && path === '/api/v4/posts/ephemeral') {
      this.#createEphemeral(user, payload, res);
    } else if (req.method === 'POST' && path === '/api/v4/channels/direct') {
      this.#createDirect(user, payload, res);
    } else if (
      req.method === 'PUT' &&
      (m = /^\/api\/v4\/posts\/(\w+)\/patch$/.exec(path)) !== null
    ) {
      this.#patchPost(
        user,
        m[1] ?? '',
        JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
        res,
      );
    } else if (req.method === 'POST' && path === '/api/v4/files') {
      await this.#upload(req, payload, res);
    } else if (
      req.method === 'GET' &&
      (m = /^\/api\/v4\/channels\/(\w+)\/posts$/.exec(path)) !== null
    ) {
      const since = Number(url.searchParams.get('since') ?? 0);
      const posts = this.#data.channelPosts(m[1] ?? '').filter((p) => p.update_at > since);
      posts.reverse();
      json(res, 200, {
        order: posts.map((p) => p.id),
        posts: Object.fromEntries(posts.map((p) => [p.id, publicPost(p)])),
        next_post_id: '',
        prev_post_id: '',
      });
    } else if (
      req.method === 'GET' &&
      (m = /^\/api\/v4\/users\/me\/teams\/(\w+)\/channels$/.exec(path)) !== null
    ) {
      const team = m[1] ?? '';
      const mine = [...this.#data.channels.values()].filter(
        (c) => c.members.has(user.id) && (c.team_id === team || c.type === 'D' || c.type === 'G'),
      );
      json(
        res,
        200,
        mine.map((c) => ({
          id: c.id,
          name: c.name,
          display_name: c.display_name,
          type: c.type,
          team_id: c.team_id,
          total_msg_count: 0,
        })),
      );
    } else {
      return false;
    }
    return true;
  }

  /** GET /api/v4/users/{user_id}: 400 for a malformed id, 404 for nobody's. */
  #user(id: string, res: ServerResponse): void {
    if (!/^[a-z0-9]{26}$/.test(id)) {
      error(
        res,
        400,
        'api.context.invalid_url_param.app_error',
        'Invalid or missing user_id in request URL.',
      );
      return;
    }
    const found = this.#data.users.get(id);
    if (found === undefined) {
      error(res, 404, 'app.user.missing_account.const', 'Unable to find the user.');
      return;
    }
    json(res, 200, publicUser(found));
  }

  /** POST /api/v4/users/ids: a JSON array of ids; the users found, in no promised order. */
  #usersByIds(payload: Buffer, res: ServerResponse): void {
    let ids: unknown;
    try {
      ids = JSON.parse(payload.toString('utf8'));
    } catch {
      error(res, 400, 'api.context.invalid_body_param.app_error', 'Invalid or missing body.');
      return;
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string')) {
      error(
        res,
        400,
        'api.context.invalid_body_param.app_error',
        'Invalid or missing user_ids in request body.',
      );
      return;
    }
    const found = [...new Set(ids as string[])]
      .map((id) => this.#data.users.get(id))
      .filter((u): u is FakeUser => u !== undefined);
    json(res, 200, found.map(publicUser));
  }

  /** GET /api/v4/channels/{channel_id}: a private channel only for its members. */
  #channel(user: FakeUser, id: string, res: ServerResponse): void {
    if (!/^[a-z0-9]{26}$/.test(id)) {
      error(
        res,
        400,
        'api.context.invalid_url_param.app_error',
        'Invalid or missing channel_id in request URL.',
      );
      return;
    }
    const channel = this.#data.channels.get(id);
    if (channel === undefined) {
      error(res, 404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      return;
    }
    if (channel.type !== 'O' && !channel.members.has(user.id)) {
      error(
        res,
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
      return;
    }
    json(res, 200, {
      id: channel.id,
      create_at: 0,
      update_at: 0,
      delete_at: 0,
      team_id: channel.team_id,
      type: channel.type,
      display_name: channel.display_name,
      name: channel.name,
      header: '',
      purpose: '',
      last_post_at: 0,
      total_msg_count: 0,
      creator_id: '',
    });
  }

  /** In createEphemeralPost's order: body, user_id, post, then the permission. */
  #createEphemeral(user: FakeUser, payload: Buffer, res: ServerResponse): void {
    let b: { user_id?: unknown; post?: unknown };
    try {
      b = JSON.parse(payload.toString('utf8')) as typeof b;
    } catch {
      error(res, 400, 'api.context.invalid_body_param.app_error', 'Invalid or missing body.');
      return;
    }
    if (typeof b.user_id !== 'string' || b.user_id === '') {
      error(res, 400, 'api.context.invalid_body_param.app_error', 'Invalid or missing user_id.');
      return;
    }
    if (b.post === null || typeof b.post !== 'object') {
      error(res, 400, 'api.context.invalid_body_param.app_error', 'Invalid or missing post.');
      return;
    }
    if (!user.permissions.has('create_post_ephemeral')) {
      error(
        res,
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
      return;
    }
    const post = b.post as Record<string, unknown>;
    this.#data.ephemerals.push({ userId: b.user_id, post });
    json(res, 201, { id: newId(), ...post, user_id: user.id, create_at: this.#data.now() });
  }

  /** POST /api/v4/channels/direct with the two user ids: the channel, made if new (201). */
  #createDirect(user: FakeUser, payload: Buffer, res: ServerResponse): void {
    const ids = JSON.parse(payload.toString('utf8')) as unknown;
    const [a, b]: readonly unknown[] = Array.isArray(ids) ? (ids as unknown[]) : [];
    const first = typeof a === 'string' ? this.#data.users.get(a) : undefined;
    const second = typeof b === 'string' ? this.#data.users.get(b) : undefined;
    if (!Array.isArray(ids) || ids.length !== 2 || first === undefined || second === undefined) {
      error(res, 400, 'api.context.invalid_body_param.app_error', 'Invalid or missing user_ids.');
      return;
    }
    if (first.id !== user.id && second.id !== user.id) {
      error(
        res,
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
      return;
    }
    const channel = this.#data.directChannel(first, second);
    json(res, 201, {
      id: channel.id,
      name: channel.name,
      display_name: channel.display_name,
      type: channel.type,
      team_id: channel.team_id,
    });
  }

  #createPost(
    user: FakeUser,
    b: Record<string, unknown>,
    res: ServerResponse,
    fault: Fault | undefined,
  ): void {
    const channel = this.#data.channels.get(
      typeof b['channel_id'] === 'string' ? b['channel_id'] : '',
    );
    if (channel === undefined || !channel.members.has(user.id)) {
      error(
        res,
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
      return;
    }
    const message = typeof b['message'] === 'string' ? b['message'] : '';
    const rootId = typeof b['root_id'] === 'string' ? b['root_id'] : '';
    const root = rootId === '' ? undefined : this.#data.post(rootId);
    if (
      rootId !== '' &&
      (root === undefined || root.root_id !== '' || root.channel_id !== channel.id)
    ) {
      error(res, 400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
      return;
    }
    if (message.length > 16383) {
      error(res, 400, 'model.post.is_valid.msg.app_error', 'Invalid Message.');
      return;
    }
    const post = this.addPost(user, channel.id, message, {
      rootId,
      props: (b['props'] as Record<string, unknown> | undefined) ?? {},
      fileIds: Array.isArray(b['file_ids']) ? (b['file_ids'] as string[]) : [],
    });
    if (fault === 'created-then-502') {
      error(res, 502, 'proxy', 'bad gateway');
    } else if (fault === 'created-then-drop') {
      res.socket?.destroy();
    } else {
      json(res, 201, publicPost(post));
    }
  }

  /** Stores a post and tells the WebSocket clients (`posted`). */
  addPost(
    user: FakeUser,
    channelId: string,
    message: string,
    extra: { rootId?: string; props?: Record<string, unknown>; fileIds?: string[] } = {},
  ): FakePost {
    const now = this.#data.now();
    const post: FakePost = {
      id: newId(),
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
      user_id: user.id,
      channel_id: channelId,
      root_id: extra.rootId ?? '',
      message,
      type: '',
      props: extra.props ?? {},
      file_ids: extra.fileIds ?? [],
    };
    this.#data.posts.push(post);
    this.#sockets.posted(post);
    return post;
  }

  #patchPost(user: FakeUser, id: string, b: Record<string, unknown>, res: ServerResponse): void {
    const post = this.#data.post(id);
    if (post === undefined) {
      error(res, 404, 'app.post.get.app_error', 'Unable to get the post.');
      return;
    }
    if (post.user_id !== user.id) {
      error(
        res,
        403,
        'api.context.permissions.app_error',
        'You do not have the appropriate permissions.',
      );
      return;
    }
    if (typeof b['message'] === 'string') post.message = b['message'];
    if (b['props'] !== undefined) post.props = b['props'] as Record<string, unknown>;
    if (Array.isArray(b['file_ids'])) post.file_ids = b['file_ids'] as string[];
    post.edit_at = post.update_at = this.#data.now();
    this.edits.push({ postId: id, at: Date.now(), text: visibleText(post) });
    this.#sockets.edited(post);
    json(res, 200, publicPost(post));
  }

  async #upload(req: IncomingMessage, payload: Buffer, res: ServerResponse): Promise<void> {
    // The WHATWG multipart parser of Node's fetch, so the form is read as the real server would
    // (its deprecation is about untrusted input in production servers; this is a test fake).
    const request = new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: new Uint8Array(payload),
    });
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const form = await request.formData();
    const field = form.get('channel_id');
    const channelId = typeof field === 'string' ? field : '';
    const infos = [];
    for (const entry of form.getAll('files')) {
      if (typeof entry === 'string') continue;
      const file = { id: newId(), name: entry.name, content: await entry.text(), channelId };
      this.#data.files.set(file.id, file);
      infos.push({
        id: file.id,
        name: file.name,
        size: file.content.length,
        channel_id: channelId,
      });
    }
    json(res, 201, { file_infos: infos, client_ids: [] });
  }
}
