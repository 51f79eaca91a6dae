/**
 * Who may read a room: joined members see it all (history visibility `shared`); a member who
 * left or was banned sees it up to their leave event
 * (https://spec.matrix.org/v1.13/client-server-api/#room-history-visibility).
 */
import { forbidden } from './errors.ts';
import type { RequestContext } from './http.ts';
import type { Room } from './room.ts';

/** The room, if the caller is joined to it (or `allowLeft` and they were). */
export function joinedRoom(ctx: RequestContext, allowLeft = false): Room {
  const room = ctx.hs.room(ctx.params[0] ?? '');
  const membership = room?.membership(ctx.device.userId);
  if (room === undefined || membership === undefined) {
    throw forbidden('You are not a member of this room');
  }
  if (membership !== 'join' && !(allowLeft && (membership === 'leave' || membership === 'ban'))) {
    throw forbidden('You are not joined to this room');
  }
  return room;
}

/** The stream position the caller may see up to in a room (their leave, if they left). */
export function visibleUntil(ctx: RequestContext, room: Room): number {
  return room.membership(ctx.device.userId) === 'join'
    ? ctx.hs.position
    : room.membershipStream(ctx.device.userId);
}
