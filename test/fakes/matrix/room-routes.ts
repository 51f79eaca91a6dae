/**
 * Room endpoints of the client-server API v1.13 (https://spec.matrix.org/v1.13/client-server-api/):
 * #put_matrixclientv3roomsroomidsendeventtypetxnid and #put_matrixclientv3roomsroomidredacteventidtxnid
 * (idempotent per device and request path, #transaction-identifiers),
 * #put_matrixclientv3roomsroomidstateeventtypestatekey, #get_matrixclientv3roomsroomidstate,
 * #get_matrixclientv3roomsroomidmembers, #get_matrixclientv3roomsroomidjoined_members,
 * #get_matrixclientv3roomsroomideventeventid,
 * #post_matrixclientv3roomsroomidreceiptreceipttypeeventid, #post_matrixclientv3roomsroomidread_markers,
 * #put_matrixclientv3roomsroomidtypinguserid. Membership is in membership-routes.ts,
 * pagination (`/messages`, `/context`, `/relations`, `/threads`) is in pagination-routes.ts.
 */
import { forbidden, MatrixHttpError, notFound } from './errors.ts';
import { ok, type Reply, type RequestContext, type Route } from './http.ts';
import type { Room } from './room.ts';
import { reasonOf } from './membership-routes.ts';
import { joinedRoom, visibleUntil } from './room-access.ts';
import type { JsonObject } from './types.ts';
import { viewEvent } from './views.ts';

const v3 = '/_matrix/client/(?:v3|r0)';
const roomPath = (rest: string): RegExp => new RegExp(`^${v3}/rooms/([^/]+)/${rest}$`);

/** Runs `create` once per (device, request path); a retry gets the first answer. */
function idempotent(ctx: RequestContext, create: () => JsonObject): Reply {
  const key = `${ctx.device.userId}|${ctx.device.deviceId}|${ctx.req.method ?? ''} ${ctx.url.pathname}`;
  const earlier = ctx.hs.transactions.get(key);
  if (earlier !== undefined) return ok(earlier);
  const answer = create();
  ctx.hs.transactions.set(key, answer);
  return ok(answer);
}

const txnOf = (ctx: RequestContext, txnId: string) => ({
  device: `${ctx.device.userId}|${ctx.device.deviceId}`,
  txnId,
});

export const roomRoutes: readonly Route[] = [
  {
    method: 'PUT',
    path: roomPath('send/([^/]+)/([^/]+)'),
    endpoint: 'send',
    handle: (ctx) =>
      idempotent(ctx, () => {
        const [roomId = '', type = '', txnId = ''] = ctx.params;
        const stored = ctx.ops.send(ctx.device.userId, roomId, type, ctx.body, txnOf(ctx, txnId));
        return { event_id: stored.event.event_id };
      }),
  },
  {
    method: 'PUT',
    path: roomPath('redact/([^/]+)/([^/]+)'),
    endpoint: 'redact',
    handle: (ctx) =>
      idempotent(ctx, () => {
        const [roomId = '', eventId = '', txnId = ''] = ctx.params;
        const stored = ctx.ops.redact(
          ctx.device.userId,
          roomId,
          eventId,
          reasonOf(ctx),
          txnOf(ctx, txnId),
        );
        return { event_id: stored.event.event_id };
      }),
  },
  {
    method: 'PUT',
    path: roomPath('state/([^/]+)(?:/(.*))?'),
    endpoint: 'send_state',
    handle: (ctx) => {
      const [roomId = '', type = '', key = ''] = ctx.params;
      const stored = ctx.ops.setState(ctx.device.userId, roomId, type, key, ctx.body);
      return ok({ event_id: stored.event.event_id });
    },
  },
  {
    method: 'GET',
    path: roomPath('state'),
    endpoint: 'state',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const until = visibleUntil(ctx, room);
      const now = ctx.hs.now();
      return ok(
        room
          .stateBefore(until + 1)
          .map((s) => viewEvent(s, { now, device: undefined, roomId: true })),
      );
    },
  },
  {
    method: 'GET',
    path: roomPath('state/([^/]+)(?:/(.*))?'),
    endpoint: 'state',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const [, type = '', key = ''] = ctx.params;
      const until = visibleUntil(ctx, room);
      const found = room
        .stateBefore(until + 1)
        .find((s) => s.event.type === type && s.event.state_key === key);
      if (found === undefined) throw notFound('Event not found');
      return ok(found.event.content);
    },
  },
  {
    method: 'GET',
    path: roomPath('members'),
    endpoint: 'members',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const only = ctx.url.searchParams.get('membership');
      const not = ctx.url.searchParams.get('not_membership');
      const now = ctx.hs.now();
      const chunk = room
        .stateBefore(visibleUntil(ctx, room) + 1)
        .filter((s) => s.event.type === 'm.room.member')
        .filter((s) => only === null || s.event.content['membership'] === only)
        .filter((s) => not === null || s.event.content['membership'] !== not)
        .map((s) => viewEvent(s, { now, device: undefined, roomId: true }));
      return ok({ chunk });
    },
  },
  {
    method: 'GET',
    path: roomPath('joined_members'),
    endpoint: 'joined_members',
    handle: (ctx) => {
      const room = joinedRoom(ctx);
      const joined: JsonObject = {};
      for (const userId of room.membersWith('join')) {
        const content = room.currentState('m.room.member', userId)?.event.content ?? {};
        joined[userId] = {
          display_name: content['displayname'] ?? null,
          avatar_url: content['avatar_url'] ?? null,
        };
      }
      return ok({ joined });
    },
  },
  {
    method: 'GET',
    path: roomPath('event/([^/]+)'),
    endpoint: 'event',
    handle: (ctx) => {
      const room = joinedRoom(ctx, true);
      const found = room.find(ctx.params[1] ?? '');
      if (found === undefined || found.stream > visibleUntil(ctx, room)) {
        throw notFound('Event not found');
      }
      const device = `${ctx.device.userId}|${ctx.device.deviceId}`;
      return ok(
        viewEvent(found, {
          now: ctx.hs.now(),
          device,
          userId: ctx.device.userId,
          roomId: true,
          room,
        }),
      );
    },
  },
  {
    method: 'POST',
    path: roomPath('receipt/([^/]+)/([^/]+)'),
    endpoint: 'receipt',
    handle: (ctx) => {
      const room = joinedRoom(ctx);
      const [, type = '', eventId = ''] = ctx.params;
      if (!['m.read', 'm.read.private', 'm.fully_read'].includes(type)) {
        throw new MatrixHttpError(400, 'M_INVALID_PARAM', 'Unknown receipt type');
      }
      if (room.find(eventId) === undefined) throw notFound('Event not found');
      const threadId =
        typeof ctx.body['thread_id'] === 'string' ? ctx.body['thread_id'] : undefined;
      if (type === 'm.fully_read') {
        ctx.hs.setAccountData(ctx.device.userId, room.roomId, 'm.fully_read', {
          event_id: eventId,
        });
      } else {
        putReceipt(ctx, room, type, eventId, threadId);
      }
      return ok({});
    },
  },
  {
    method: 'POST',
    path: roomPath('read_markers'),
    endpoint: 'read_markers',
    handle: (ctx) => {
      const room = joinedRoom(ctx);
      const fully = ctx.body['m.fully_read'];
      if (typeof fully === 'string') {
        ctx.hs.setAccountData(ctx.device.userId, room.roomId, 'm.fully_read', { event_id: fully });
      }
      for (const type of ['m.read', 'm.read.private']) {
        const eventId = ctx.body[type];
        if (typeof eventId === 'string') putReceipt(ctx, room, type, eventId, undefined);
      }
      return ok({});
    },
  },
  {
    method: 'PUT',
    path: roomPath('typing/([^/]+)'),
    endpoint: 'typing',
    handle: (ctx) => {
      const room = joinedRoom(ctx);
      if (ctx.params[1] !== ctx.device.userId) throw forbidden('Cannot set typing for others');
      if (ctx.body['typing'] === true) {
        const timeout = typeof ctx.body['timeout'] === 'number' ? ctx.body['timeout'] : 30_000;
        room.typing.set(ctx.device.userId, Date.now() + timeout);
      } else {
        room.typing.delete(ctx.device.userId);
      }
      room.typingStream = ctx.hs.advance();
      return ok({});
    },
  },
];

function putReceipt(
  ctx: RequestContext,
  room: Room,
  type: string,
  eventId: string,
  threadId: string | undefined,
): void {
  const userId = ctx.device.userId;
  const index = room.receipts.findIndex(
    (r) => r.userId === userId && r.type === type && r.threadId === threadId,
  );
  if (index >= 0) room.receipts.splice(index, 1);
  room.receipts.push({ userId, type, eventId, ts: Date.now(), stream: ctx.hs.advance(), threadId });
}
