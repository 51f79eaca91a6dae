/**
 * How a stored event looks to one client (https://spec.matrix.org/v1.13/client-server-api/#room-event-format):
 * `unsigned.age`; `unsigned.transaction_id` only for the device that sent it
 * (#transaction-identifiers); `prev_content` / `replaces_state` for state that replaced state;
 * `redacted_because`; server-side aggregations in `unsigned.m.relations` for threads
 * (#server-side-aggregation-of-mthread-relationships) and edits (#server-side-aggregation-of-mreplace-relationships).
 * In `/sync` events leave out `room_id` (ClientEventWithoutRoomID). Invites carry stripped
 * state (#stripped-state): type, state_key, sender and content only.
 */
import type { Room, StoredEvent } from './room.ts';
import type { ClientEvent, JsonObject } from './types.ts';

export interface ViewContext {
  readonly now: number;
  /** `userId|deviceId` of the viewer, for `transaction_id`. */
  readonly device: string | undefined;
  /** The viewer, for `current_user_participated`. */
  readonly userId?: string;
  /** Keep `room_id` (false inside `/sync`). */
  readonly roomId: boolean;
  /** Give the room to add `m.relations` aggregations. */
  readonly room?: Room;
}

export function viewEvent(stored: StoredEvent, ctx: ViewContext): ClientEvent {
  const event = stored.event;
  const unsigned: JsonObject = { age: Math.max(0, ctx.now - event.origin_server_ts) };
  if (stored.txn !== undefined && stored.txn.device === ctx.device) {
    unsigned['transaction_id'] = stored.txn.txnId;
  }
  if (stored.replaced !== undefined) {
    unsigned['prev_content'] = stored.replaced.event.content;
    unsigned['prev_sender'] = stored.replaced.event.sender;
    unsigned['replaces_state'] = stored.replaced.event.event_id;
  }
  if (stored.redactedBy !== undefined) {
    unsigned['redacted_because'] = withoutRoomId(stored.redactedBy, ctx.roomId);
  }
  if (ctx.room !== undefined && stored.redactedBy === undefined) {
    const relations = aggregations(stored, ctx.room, ctx);
    if (relations !== undefined) unsigned['m.relations'] = relations;
  }
  return { ...withoutRoomId(event, ctx.roomId), unsigned };
}

function withoutRoomId(event: ClientEvent, keep: boolean): ClientEvent {
  if (keep) return event;
  return Object.fromEntries(
    Object.entries(event).filter(([key]) => key !== 'room_id'),
  ) as unknown as ClientEvent;
}

function aggregations(stored: StoredEvent, room: Room, ctx: ViewContext): JsonObject | undefined {
  const id = stored.event.event_id;
  const result: JsonObject = {};
  const thread = room.relationsOf(id, 'm.thread');
  const latest = thread.at(-1);
  if (latest !== undefined) {
    result['m.thread'] = {
      latest_event: viewEvent(latest, { ...ctx, room: undefined }),
      count: thread.length,
      current_user_participated:
        stored.event.sender === ctx.userId || thread.some((s) => s.event.sender === ctx.userId),
    };
  }
  const edit = room
    .relationsOf(id, 'm.replace')
    .filter((s) => s.event.sender === stored.event.sender)
    .at(-1);
  if (edit !== undefined) result['m.replace'] = viewEvent(edit, { ...ctx, room: undefined });
  return Object.keys(result).length === 0 ? undefined : result;
}

/** Stripped state events for `invite_state` (spec #stripped-state). */
export function strippedState(room: Room, userId: string): JsonObject[] {
  const types = [
    'm.room.create',
    'm.room.name',
    'm.room.avatar',
    'm.room.topic',
    'm.room.join_rules',
    'm.room.canonical_alias',
    'm.room.encryption',
  ];
  const events = types
    .map((type) => room.currentState(type, ''))
    .filter((s): s is StoredEvent => s !== undefined);
  const own = room.currentState('m.room.member', userId);
  if (own !== undefined) events.push(own);
  const inviter =
    own === undefined ? undefined : room.currentState('m.room.member', own.event.sender);
  if (inviter !== undefined && inviter !== own) events.push(inviter);
  return events.map((s) => ({
    type: s.event.type,
    state_key: s.event.state_key ?? '',
    sender: s.event.sender,
    content: s.event.content,
  }));
}
