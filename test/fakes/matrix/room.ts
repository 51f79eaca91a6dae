/**
 * One room of the fake homeserver: its events in stream order and its current state.
 * Follows https://spec.matrix.org/v1.13/client-server-api/#rooms (state is keyed by
 * `(type, state_key)`; a state event's `unsigned.prev_content` is the content it replaced),
 * #redactions (the redacted event keeps only the keys the room version preserves) and
 * #forming-relationships-between-events (`m.relates_to.rel_type` + `event_id`).
 */
import type { ClientEvent, JsonObject, Membership } from './types.ts';

/** A stored event with what the server knows about it beyond the event itself. */
export interface StoredEvent {
  event: ClientEvent;
  /** Position in the server-wide stream; sync and pagination tokens are these numbers. */
  readonly stream: number;
  /** The sending device and its transaction id, for `unsigned.transaction_id`. */
  readonly txn: { readonly device: string; readonly txnId: string } | undefined;
  /** The state this event replaced, for `unsigned.prev_content` / `replaces_state`. */
  readonly replaced: StoredEvent | undefined;
  redactedBy: ClientEvent | undefined;
}

const stateKey = (type: string, key: string): string => `${type}\u0000${key}`;

/** Keys of content a redaction keeps, by event type (room versions 1–10, spec #redactions). */
const keptContent: Record<string, readonly string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': [
    'ban',
    'events',
    'events_default',
    'kick',
    'redact',
    'state_default',
    'users',
    'users_default',
  ],
  'm.room.history_visibility': ['history_visibility'],
};

export class Room {
  readonly roomId: string;
  readonly events: StoredEvent[] = [];
  readonly #state = new Map<string, StoredEvent>();
  /** m.typing: user id → until (ms); `typingStream` moves when it changes. */
  readonly typing = new Map<string, number>();
  typingStream = 0;
  /** m.receipt: one per (user, type), with its stream position. */
  readonly receipts: {
    userId: string;
    type: string;
    eventId: string;
    ts: number;
    stream: number;
    threadId: string | undefined;
  }[] = [];

  constructor(roomId: string) {
    this.roomId = roomId;
  }

  append(stored: StoredEvent): void {
    this.events.push(stored);
    const key = stored.event.state_key;
    if (key !== undefined) this.#state.set(stateKey(stored.event.type, key), stored);
  }

  currentState(type: string, key: string): StoredEvent | undefined {
    return this.#state.get(stateKey(type, key));
  }

  allState(): StoredEvent[] {
    return [...this.#state.values()];
  }

  /** The state as it was just before stream position `before` (exclusive), one per key. */
  stateBefore(before: number): StoredEvent[] {
    const map = new Map<string, StoredEvent>();
    for (const stored of this.events) {
      if (stored.stream >= before) break;
      const key = stored.event.state_key;
      if (key !== undefined) map.set(stateKey(stored.event.type, key), stored);
    }
    return [...map.values()];
  }

  /** State events with `after < stream < before`, the latest per key. */
  stateBetween(after: number, before: number): StoredEvent[] {
    const map = new Map<string, StoredEvent>();
    for (const stored of this.events) {
      if (stored.stream <= after) continue;
      if (stored.stream >= before) break;
      const key = stored.event.state_key;
      if (key !== undefined) map.set(stateKey(stored.event.type, key), stored);
    }
    return [...map.values()];
  }

  membership(userId: string): Membership | undefined {
    const content = this.currentState('m.room.member', userId)?.event.content;
    return content?.['membership'] as Membership | undefined;
  }

  /** The stream position of the user's current membership event. */
  membershipStream(userId: string): number {
    return this.currentState('m.room.member', userId)?.stream ?? 0;
  }

  membersWith(membership: Membership): string[] {
    return this.allState()
      .filter(
        (s) => s.event.type === 'm.room.member' && s.event.content['membership'] === membership,
      )
      .map((s) => s.event.state_key ?? '');
  }

  find(eventId: string): StoredEvent | undefined {
    return this.events.find((s) => s.event.event_id === eventId);
  }

  /** The power level of a user and the level a given event type needs (spec #mroompower_levels). */
  powerOf(userId: string): number {
    const levels = this.currentState('m.room.power_levels', '')?.event.content ?? {};
    const users = (levels['users'] ?? {}) as Record<string, number>;
    return users[userId] ?? Number(levels['users_default'] ?? 0);
  }

  levelFor(type: string, isState: boolean): number {
    const levels = this.currentState('m.room.power_levels', '')?.event.content ?? {};
    const events = (levels['events'] ?? {}) as Record<string, number>;
    return (
      events[type] ?? Number((isState ? levels['state_default'] : levels['events_default']) ?? 0)
    );
  }

  levelOf(action: 'redact' | 'invite' | 'kick' | 'ban'): number {
    const levels = this.currentState('m.room.power_levels', '')?.event.content ?? {};
    const fallback = action === 'invite' ? 0 : 50;
    return Number(levels[action] ?? fallback);
  }

  /** Events whose `m.relates_to.event_id` is `eventId`, oldest first. */
  relationsOf(eventId: string, relType?: string, eventType?: string): StoredEvent[] {
    return this.events.filter((s) => {
      const rel = relatesTo(s.event);
      return (
        s.redactedBy === undefined &&
        rel?.eventId === eventId &&
        (relType === undefined || rel.relType === relType) &&
        (eventType === undefined || s.event.type === eventType)
      );
    });
  }

  /** Strips a redacted event to the keys its room version keeps. */
  redact(stored: StoredEvent, by: ClientEvent): void {
    const kept = keptContent[stored.event.type] ?? [];
    const content: JsonObject = {};
    for (const key of kept) {
      if (key in stored.event.content) content[key] = stored.event.content[key];
    }
    stored.event = { ...stored.event, content };
    stored.redactedBy = by;
  }
}

/** The `m.relates_to` of an event, if it names another event. */
export function relatesTo(
  event: ClientEvent,
): { relType: string | undefined; eventId: string; key: string | undefined } | undefined {
  const rel = event.content['m.relates_to'] as
    { rel_type?: unknown; event_id?: unknown; key?: unknown } | undefined;
  if (rel === undefined || typeof rel.event_id !== 'string') return undefined;
  return {
    relType: typeof rel.rel_type === 'string' ? rel.rel_type : undefined,
    eventId: rel.event_id,
    key: typeof rel.key === 'string' ? rel.key : undefined,
  };
}
