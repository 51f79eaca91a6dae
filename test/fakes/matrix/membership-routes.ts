/**
 * Membership endpoints of the client-server API v1.13 (https://spec.matrix.org/v1.13/client-server-api/):
 * #post_matrixclientv3createroom, #get_matrixclientv3joined_rooms,
 * #post_matrixclientv3roomsroomidjoin, #post_matrixclientv3joinroomidoralias (joining twice
 * changes nothing), #post_matrixclientv3roomsroomidleave, #post_matrixclientv3roomsroomidforget,
 * #post_matrixclientv3roomsroomidinvite (with `is_direct` as in #direct-messaging), kick, ban,
 * unban, and #get_matrixclientv3directoryroomroomalias.
 */
import { MatrixHttpError, notFound } from './errors.ts';
import { ok, type Reply, type RequestContext, type Route } from './http.ts';
import type { JsonObject } from './types.ts';

const v3 = '/_matrix/client/(?:v3|r0)';
const roomPath = (rest: string): RegExp => new RegExp(`^${v3}/rooms/([^/]+)/${rest}$`);

function targetUser(ctx: RequestContext): string {
  const userId = ctx.body['user_id'];
  if (typeof userId !== 'string') throw new MatrixHttpError(400, 'M_BAD_JSON', 'user_id missing');
  return userId;
}

export const reasonOf = (ctx: RequestContext): string | undefined =>
  typeof ctx.body['reason'] === 'string' ? ctx.body['reason'] : undefined;

function join(ctx: RequestContext, roomIdOrAlias: string): Reply {
  const roomId = roomIdOrAlias.startsWith('#') ? ctx.hs.aliases.get(roomIdOrAlias) : roomIdOrAlias;
  const room = roomId === undefined ? undefined : ctx.hs.room(roomId);
  if (room === undefined) throw notFound('No known servers');
  if (room.membership(ctx.device.userId) !== 'join') {
    ctx.ops.membership(ctx.device.userId, room.roomId, ctx.device.userId, 'join');
  }
  return ok({ room_id: room.roomId });
}

function membershipRoute(kind: 'invite' | 'kick' | 'ban' | 'unban'): Route {
  return {
    method: 'POST',
    path: roomPath(kind),
    endpoint: 'invite',
    handle: (ctx) => {
      const membership = kind === 'kick' || kind === 'unban' ? 'leave' : kind;
      const isDirect = kind === 'invite' && ctx.body['is_direct'] === true;
      ctx.ops.membership(
        ctx.device.userId,
        ctx.params[0] ?? '',
        targetUser(ctx),
        membership,
        isDirect,
        reasonOf(ctx),
      );
      return ok({});
    },
  };
}

export const membershipRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: new RegExp(`^${v3}/joined_rooms$`),
    endpoint: 'joined_rooms',
    handle: (ctx) =>
      ok({ joined_rooms: ctx.hs.roomsWith(ctx.device.userId, 'join').map((r) => r.roomId) }),
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/createRoom$`),
    endpoint: 'create_room',
    handle: (ctx) => {
      const b = ctx.body;
      const initial = Array.isArray(b['initial_state'])
        ? (b['initial_state'] as { type: string; state_key?: string; content: JsonObject }[])
        : [];
      const encrypted = initial.some((s) => s.type === 'm.room.encryption');
      const room = ctx.ops.createRoom(ctx.device.userId, {
        ...(typeof b['name'] === 'string' ? { name: b['name'] } : {}),
        ...(typeof b['topic'] === 'string' ? { topic: b['topic'] } : {}),
        ...(typeof b['room_alias_name'] === 'string' ? { alias: b['room_alias_name'] } : {}),
        public: b['preset'] === 'public_chat' || b['visibility'] === 'public',
        invite: Array.isArray(b['invite']) ? (b['invite'] as string[]) : [],
        isDirect: b['is_direct'] === true,
        initialState: initial.filter((s) => s.type !== 'm.room.encryption'),
        encrypted,
      });
      return ok({ room_id: room.roomId });
    },
  },
  {
    method: 'POST',
    path: roomPath('join'),
    endpoint: 'join',
    handle: (ctx) => join(ctx, ctx.params[0] ?? ''),
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/join/([^/]+)$`),
    endpoint: 'join',
    handle: (ctx) => join(ctx, ctx.params[0] ?? ''),
  },
  {
    method: 'POST',
    path: roomPath('leave'),
    endpoint: 'leave',
    handle: (ctx) => {
      const roomId = ctx.params[0] ?? '';
      ctx.ops.membership(
        ctx.device.userId,
        roomId,
        ctx.device.userId,
        'leave',
        false,
        reasonOf(ctx),
      );
      return ok({});
    },
  },
  {
    method: 'POST',
    path: roomPath('forget'),
    endpoint: 'leave',
    handle: () => ok({}),
  },
  membershipRoute('invite'),
  membershipRoute('kick'),
  membershipRoute('ban'),
  membershipRoute('unban'),
  {
    method: 'GET',
    path: new RegExp(`^${v3}/directory/room/([^/]+)$`),
    endpoint: 'join',
    handle: (ctx) => {
      const roomId = ctx.hs.aliases.get(ctx.params[0] ?? '');
      if (roomId === undefined) throw notFound('Room alias not found');
      return ok({ room_id: roomId, servers: [ctx.hs.serverName] });
    },
  },
];
