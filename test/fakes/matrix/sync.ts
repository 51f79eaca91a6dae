/**
 * `GET /_matrix/client/v3/sync` after https://spec.matrix.org/v1.13/client-server-api/#get_matrixclientv3sync
 * and #syncing:
 * - no `since`: every joined room with its latest `timeline.limit` events and the state at the
 *   start of that timeline; current invites with stripped `invite_state`;
 * - with `since`: what happened after the token; a room joined since then is sent as on an
 *   initial sync; `state` holds the state changes between `since` and the start of the timeline
 *   when the timeline is `limited` (all of it with `full_state=true`); rooms left since then
 *   go under `rooms.leave` with their timeline up to the leave;
 * - `timeline.prev_batch` is a token for `/messages` (dir=b) just before the first event;
 * - `timeout`: when nothing happened the request waits until something does or the timeout
 *   passes (then an empty response with a `next_batch`);
 * - ephemeral `m.typing` / `m.receipt`, global and per-room `account_data`;
 * - end-to-end encryption relay (#extensions-to-sync): `to_device` (deleted once a later
 *   `since` acknowledges them), `device_lists.changed/left`, `device_one_time_keys_count`,
 *   `device_unused_fallback_key_types`.
 * Events in /sync leave out `room_id`; `unsigned.transaction_id` goes only to the sending device.
 */
import { timelineFilter, syncFilter, matches } from './filter.ts';
import { ok, type RequestContext, type Route } from './http.ts';
import { parseToken } from './pagination-routes.ts';
import type { Room, StoredEvent } from './room.ts';
import type { JsonObject } from './types.ts';
import { strippedState, viewEvent, type ViewContext } from './views.ts';

interface SyncParams {
  readonly since: number | undefined;
  readonly fullState: boolean;
  readonly limit: number;
  readonly filter: JsonObject;
}

const defaultTimelineLimit = 10;

export const syncRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: /^\/_matrix\/client\/(?:v3|r0)\/sync$/,
    endpoint: 'sync',
    handle: async (ctx) => {
      const q = ctx.url.searchParams;
      const since = q.get('since') === null ? undefined : parseToken(q.get('since'), 0);
      const filter = syncFilter(ctx.hs, ctx.device.userId, q.get('filter'));
      const asked = timelineFilter(filter).limit ?? defaultTimelineLimit;
      const params: SyncParams = {
        since: since === undefined ? undefined : Math.min(since, ctx.hs.position),
        fullState: q.get('full_state') === 'true',
        limit: Math.min(asked, ctx.http.timelineLimit ?? Number.MAX_SAFE_INTEGER),
        filter,
      };
      const timeout = Math.min(
        Math.max(Number(q.get('timeout') ?? 0) || 0, 0),
        ctx.http.maxSyncTimeoutMs,
      );
      const deadline = Date.now() + timeout;
      acknowledgeToDevice(ctx, params.since);
      noteProgress(ctx, params.since);
      for (;;) {
        const body = build(ctx, params);
        if (params.since === undefined || params.fullState || !isEmpty(body)) return ok(body);
        const left = deadline - Date.now();
        if (left <= 0 || ctx.res.destroyed) return ok(body);
        await waitForChange(ctx, left);
      }
    },
  },
];

/** Waits for a stream change, the timeout, or the client going away. */
async function waitForChange(ctx: RequestContext, ms: number): Promise<void> {
  const change = ctx.hs.changed();
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  ctx.http.pendingSyncs.add(ctx.res);
  try {
    await Promise.race([
      change.promise,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
      new Promise<void>((resolve) => ctx.res.once('close', (onClose = resolve))),
    ]);
  } finally {
    change.cancel();
    clearTimeout(timer);
    if (onClose !== undefined) ctx.res.off('close', onClose);
    ctx.http.pendingSyncs.delete(ctx.res);
  }
}

/** A client sends `since` only after it has handled the answer that gave it the token. */
function noteProgress(ctx: RequestContext, since: number | undefined): void {
  if (since === undefined) return;
  const key = `${ctx.device.userId}|${ctx.device.deviceId}`;
  ctx.http.syncedUpTo.set(key, Math.max(since, ctx.http.syncedUpTo.get(key) ?? 0));
}

function acknowledgeToDevice(ctx: RequestContext, since: number | undefined): void {
  if (since === undefined) return;
  const key = `${ctx.device.userId}|${ctx.device.deviceId}`;
  const queue = ctx.hs.toDevice.get(key);
  if (queue !== undefined)
    ctx.hs.toDevice.set(
      key,
      queue.filter((m) => m.stream > since),
    );
}

function isEmpty(body: JsonObject): boolean {
  const rooms = body['rooms'] as Record<string, JsonObject>;
  const lists = body['device_lists'] as { changed: unknown[]; left: unknown[] };
  return (
    Object.values(rooms).every((section) => Object.keys(section).length === 0) &&
    (body['account_data'] as { events: unknown[] }).events.length === 0 &&
    (body['to_device'] as { events: unknown[] }).events.length === 0 &&
    lists.changed.length === 0 &&
    lists.left.length === 0
  );
}

function build(ctx: RequestContext, params: SyncParams): JsonObject {
  const hs = ctx.hs;
  const me = ctx.device.userId;
  const position = hs.position;
  const since = params.since ?? 0;
  const join: JsonObject = {};
  const invite: JsonObject = {};
  const leave: JsonObject = {};
  const includeLeave = ((params.filter['room'] ?? {}) as JsonObject)['include_leave'] === true;
  for (const room of hs.rooms.values()) {
    const membership = room.membership(me);
    const changedAt = room.membershipStream(me);
    const fresh = params.since === undefined || changedAt > since;
    if (membership === 'join') {
      const section = joinedRoom(ctx, room, params, fresh, position);
      if (section !== undefined) join[room.roomId] = section;
    } else if (membership === 'invite' && fresh) {
      invite[room.roomId] = { invite_state: { events: strippedState(room, me) } };
    } else if (
      (membership === 'leave' || membership === 'ban') &&
      (params.since === undefined ? includeLeave : changedAt > since)
    ) {
      leave[room.roomId] = leftRoom(ctx, room, params, changedAt);
    }
  }
  const key = `${me}|${ctx.device.deviceId}`;
  const otkCounts: Record<string, number> = {};
  for (const id of ctx.device.oneTimeKeys.keys()) {
    const algorithm = id.split(':')[0] ?? '';
    otkCounts[algorithm] = (otkCounts[algorithm] ?? 0) + 1;
  }
  return {
    next_batch: `s${position}`,
    rooms: { join, invite, leave, knock: {} },
    presence: { events: [] },
    account_data: { events: hs.accountDataSince(me, '', params.since ?? -1) },
    to_device: {
      events: (hs.toDevice.get(key) ?? []).filter((m) => m.stream > since).map((m) => m.event),
    },
    device_lists: params.since === undefined ? { changed: [], left: [] } : deviceLists(ctx, since),
    device_one_time_keys_count: otkCounts,
    device_unused_fallback_key_types: [
      ...new Set([...ctx.device.fallbackKeys.keys()].map((id) => id.split(':')[0] ?? '')),
    ],
  };
}

function viewContext(ctx: RequestContext, room: Room): ViewContext {
  return {
    now: ctx.hs.now(),
    device: `${ctx.device.userId}|${ctx.device.deviceId}`,
    userId: ctx.device.userId,
    roomId: false,
    room,
  };
}

/** The timeline window: the last `limit` matching events after `after` up to `until`. */
function timeline(
  room: Room,
  params: SyncParams,
  after: number,
  until: number,
): { events: StoredEvent[]; limited: boolean; start: number } {
  const filter = timelineFilter(params.filter);
  const candidates = room.events.filter(
    (s) => s.stream > after && s.stream <= until && matches(filter, s.event),
  );
  const events = params.limit === 0 ? [] : candidates.slice(-params.limit);
  const first = events[0];
  return {
    events,
    limited: candidates.length > events.length,
    start: first === undefined ? until + 1 : first.stream,
  };
}

function joinedRoom(
  ctx: RequestContext,
  room: Room,
  params: SyncParams,
  fresh: boolean,
  position: number,
): JsonObject | undefined {
  const me = ctx.device.userId;
  const since = fresh ? 0 : (params.since ?? 0);
  const window = timeline(room, params, since, position);
  let state: StoredEvent[];
  if (fresh || params.fullState) state = room.stateBefore(window.start);
  else if (window.limited) state = room.stateBetween(since, window.start);
  else state = [];
  const ephemeral = ephemeralEvents(room, me, fresh ? undefined : since);
  const accountData = ctx.hs.accountDataSince(me, room.roomId, fresh ? -1 : since);
  if (
    !fresh &&
    !params.fullState &&
    window.events.length === 0 &&
    ephemeral.length === 0 &&
    accountData.length === 0
  ) {
    return undefined;
  }
  const view = viewContext(ctx, room);
  const joined = room.membersWith('join');
  const invited = room.membersWith('invite');
  return {
    summary: {
      'm.heroes': [...joined, ...invited].filter((u) => u !== me).slice(0, 5),
      'm.joined_member_count': joined.length,
      'm.invited_member_count': invited.length,
    },
    state: { events: state.map((s) => viewEvent(s, view)) },
    timeline: {
      events: window.events.map((s) => viewEvent(s, view)),
      limited: window.limited,
      prev_batch: `s${window.start - 1}`,
    },
    ephemeral: { events: ephemeral },
    account_data: { events: accountData },
    unread_notifications: { highlight_count: 0, notification_count: 0 },
  };
}

function leftRoom(ctx: RequestContext, room: Room, params: SyncParams, leftAt: number): JsonObject {
  const since = params.since ?? 0;
  const window = timeline(room, params, since, leftAt);
  const state =
    params.since === undefined || params.fullState
      ? room.stateBefore(window.start)
      : window.limited
        ? room.stateBetween(since, window.start)
        : [];
  const view = viewContext(ctx, room);
  return {
    state: { events: state.map((s) => viewEvent(s, view)) },
    timeline: {
      events: window.events.map((s) => viewEvent(s, view)),
      limited: window.limited,
      prev_batch: `s${window.start - 1}`,
    },
    account_data: { events: ctx.hs.accountDataSince(ctx.device.userId, room.roomId, since) },
  };
}

/** `m.typing` (who types now, when it changed) and `m.receipt` (new receipts). */
function ephemeralEvents(room: Room, me: string, since: number | undefined): JsonObject[] {
  const events: JsonObject[] = [];
  const now = Date.now();
  const typing = [...room.typing.entries()].filter(([, until]) => until > now).map(([u]) => u);
  if (since === undefined ? typing.length > 0 : room.typingStream > since) {
    events.push({ type: 'm.typing', content: { user_ids: typing } });
  }
  const receipts = room.receipts.filter(
    (r) =>
      (since === undefined || r.stream > since) && (r.type !== 'm.read.private' || r.userId === me),
  );
  if (receipts.length > 0) {
    const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
    for (const r of receipts) {
      const byType = (content[r.eventId] ??= {});
      const byUser = (byType[r.type] ??= {});
      byUser[r.userId] = {
        ts: r.ts,
        ...(r.threadId === undefined ? {} : { thread_id: r.threadId }),
      };
    }
    events.push({ type: 'm.receipt', content });
  }
  return events;
}

/** Users whose devices changed since `since` and who share a room with the caller (or are the caller). */
function deviceLists(ctx: RequestContext, since: number): { changed: string[]; left: string[] } {
  const me = ctx.device.userId;
  const shared = new Set<string>([me]);
  const joinedSince = new Set<string>();
  for (const room of ctx.hs.roomsWith(me, 'join')) {
    for (const userId of room.membersWith('join')) {
      shared.add(userId);
      if (room.membershipStream(userId) > since && userId !== me) joinedSince.add(userId);
    }
  }
  const changed = [...shared].filter(
    (u) => (ctx.hs.keyChanges.get(u) ?? 0) > since || joinedSince.has(u),
  );
  const left = new Set<string>();
  for (const room of ctx.hs.roomsWith(me, 'join')) {
    for (const userId of [...room.membersWith('leave'), ...room.membersWith('ban')]) {
      if (room.membershipStream(userId) > since && !shared.has(userId)) left.add(userId);
    }
  }
  return { changed, left: [...left] };
}
