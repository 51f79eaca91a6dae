/**
 * Paginated room reads, after https://spec.matrix.org/v1.13/client-server-api/:
 * #get_matrixclientv3roomsroomidmessages (`from` optional since v1.3, `dir` b|f, `limit`
 * default 10, `filter`; `end` left out when there is nothing more),
 * #get_matrixclientv3roomsroomidcontexteventid,
 * #get_matrixclientv1roomsroomidrelationseventid (and `/{relType}`, `/{relType}/{eventType}`;
 * `dir` default b, `next_batch` while more remain) and #get_matrixclientv1roomsroomidthreads
 * (roots by latest activity, `include` all|participated). Tokens are the fake's stream
 * positions `s<N>`: "before or at N" going backwards, "after N" going forwards, as in /sync.
 */
import { invalidParam, notFound } from './errors.ts';
import { eventFilter, matches } from './filter.ts';
import { ok, type RequestContext, type Route } from './http.ts';
import type { Room, StoredEvent } from './room.ts';
import { joinedRoom, visibleUntil } from './room-access.ts';
import { viewEvent } from './views.ts';

const v3 = '/_matrix/client/(?:v3|r0)';

export function parseToken(token: string | null, fallback: number): number {
  if (token === null || token === '') return fallback;
  const m = /^s(\d+)$/.exec(token);
  if (m === null) throw invalidParam(`Unknown pagination token ${token}`);
  return Number(m[1]);
}

function limitOf(ctx: RequestContext, fallback: number): number {
  const raw = ctx.url.searchParams.get('limit');
  if (raw === null) return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 0) throw invalidParam('limit must be a positive integer');
  return Math.min(limit, 1000);
}

/** One page of `events` (stream order) from token `from` in direction `dir`. */
function page(
  events: readonly StoredEvent[],
  from: number,
  to: number | undefined,
  dir: 'b' | 'f',
  limit: number,
): { chunk: StoredEvent[]; end: number | undefined } {
  const candidates =
    dir === 'b'
      ? events.filter((s) => s.stream <= from && (to === undefined || s.stream > to)).reverse()
      : events.filter((s) => s.stream > from && (to === undefined || s.stream <= to));
  const chunk = candidates.slice(0, limit);
  const last = chunk.at(-1);
  if (candidates.length <= limit || last === undefined) return { chunk, end: undefined };
  return { chunk, end: dir === 'b' ? last.stream - 1 : last.stream };
}

function view(ctx: RequestContext, room: Room) {
  const context = {
    now: ctx.hs.now(),
    device: `${ctx.device.userId}|${ctx.device.deviceId}`,
    userId: ctx.device.userId,
    roomId: true,
    room,
  };
  return (s: StoredEvent) => viewEvent(s, context);
}

function direction(ctx: RequestContext, fallback: 'b' | 'f'): 'b' | 'f' {
  const dir = ctx.url.searchParams.get('dir') ?? fallback;
  if (dir !== 'b' && dir !== 'f') throw invalidParam('dir must be b or f');
  return dir;
}

export const paginationRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: new RegExp(`^${v3}/rooms/([^/]+)/messages$`),
    endpoint: 'messages',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const until = visibleUntil(ctx, room);
      const dir = direction(ctx, 'b');
      const q = ctx.url.searchParams;
      const from = Math.min(parseToken(q.get('from'), dir === 'b' ? until : 0), until);
      const to = q.get('to') === null ? undefined : parseToken(q.get('to'), 0);
      const filter = eventFilter(q.get('filter'));
      const events = room.events.filter((s) => s.stream <= until && matches(filter, s.event));
      const result = page(events, from, to, dir, limitOf(ctx, filter.limit ?? 10));
      return ok({
        start: `s${from}`,
        ...(result.end === undefined ? {} : { end: `s${result.end}` }),
        chunk: result.chunk.map(view(ctx, room)),
      });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/rooms/([^/]+)/context/([^/]+)$`),
    endpoint: 'context',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const until = visibleUntil(ctx, room);
      const target = room.find(ctx.params[1] ?? '');
      if (target === undefined || target.stream > until) throw notFound('Event not found');
      const limit = limitOf(ctx, 10);
      const visible = room.events.filter((s) => s.stream <= until);
      const before = visible.filter((s) => s.stream < target.stream).slice(-Math.floor(limit / 2));
      const after = visible.filter((s) => s.stream > target.stream).slice(0, Math.ceil(limit / 2));
      const toView = view(ctx, room);
      return ok({
        event: toView(target),
        events_before: [...before].reverse().map(toView),
        events_after: after.map(toView),
        start: `s${(before[0]?.stream ?? target.stream) - 1}`,
        end: `s${after.at(-1)?.stream ?? target.stream}`,
        state: room.stateBefore(target.stream).map(toView),
      });
    },
  },
  {
    method: 'GET',
    path: /^\/_matrix\/client\/v1\/rooms\/([^/]+)\/relations\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/,
    endpoint: 'relations',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const until = visibleUntil(ctx, room);
      const [, eventId = '', relType = '', eventType = ''] = ctx.params;
      const parent = room.find(eventId);
      if (parent === undefined || parent.stream > until) throw notFound('Event not found');
      const dir = direction(ctx, 'b');
      const q = ctx.url.searchParams;
      const related = room
        .relationsOf(
          eventId,
          relType === '' ? undefined : relType,
          eventType === '' ? undefined : eventType,
        )
        .filter((s) => s.stream <= until);
      const from = parseToken(q.get('from'), dir === 'b' ? until : 0);
      const to = q.get('to') === null ? undefined : parseToken(q.get('to'), 0);
      const result = page(related, from, to, dir, limitOf(ctx, 50));
      return ok({
        chunk: result.chunk.map(view(ctx, room)),
        ...(result.end === undefined ? {} : { next_batch: `s${result.end}` }),
        ...(q.get('from') === null ? {} : { prev_batch: q.get('from') }),
      });
    },
  },
  {
    method: 'GET',
    path: /^\/_matrix\/client\/v1\/rooms\/([^/]+)\/threads$/,
    endpoint: 'threads',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const until = visibleUntil(ctx, room);
      const q = ctx.url.searchParams;
      const participated = q.get('include') === 'participated';
      const me = ctx.device.userId;
      const roots = room.events
        .filter((s) => s.stream <= until && s.redactedBy === undefined)
        .map((s) => ({ root: s, thread: room.relationsOf(s.event.event_id, 'm.thread') }))
        .filter((t) => t.thread.length > 0)
        .filter(
          (t) =>
            !participated ||
            t.root.event.sender === me ||
            t.thread.some((s) => s.event.sender === me),
        )
        .map((t) => ({ root: t.root, latest: t.thread.at(-1)?.stream ?? 0 }))
        .sort((a, b) => b.latest - a.latest);
      const from = parseToken(q.get('from'), Number.MAX_SAFE_INTEGER);
      const limit = limitOf(ctx, 10);
      const rest = roots.filter((r) => r.latest <= from);
      const chunk = rest.slice(0, limit);
      const more = rest[limit];
      return ok({
        chunk: chunk.map((r) => view(ctx, room)(r.root)),
        ...(more === undefined ? {} : { next_batch: `s${more.latest}` }),
      });
    },
  },
];
