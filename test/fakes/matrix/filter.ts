/**
 * The part of Matrix filters the fake honours (https://spec.matrix.org/v1.13/client-server-api/#filtering):
 * a filter is a stored id (`POST /user/{userId}/filter`) or inline JSON; of a RoomEventFilter
 * it applies `limit`, `types` / `not_types` (with `*` wildcards) and `senders` / `not_senders`.
 * Other fields (lazy loading, `contains_url`, `rooms`…) are accepted and ignored, which the
 * spec allows for a server that returns more than asked only where clients cope with it.
 */
import { invalidParam } from './errors.ts';
import type { HomeserverState } from './state.ts';
import type { ClientEvent, JsonObject } from './types.ts';

export interface EventFilter {
  readonly limit?: number;
  readonly types?: readonly string[];
  readonly not_types?: readonly string[];
  readonly senders?: readonly string[];
  readonly not_senders?: readonly string[];
}

/** Resolves the `filter` query parameter of `/sync` to a Filter object. */
export function syncFilter(hs: HomeserverState, userId: string, param: string | null): JsonObject {
  if (param === null || param === '') return {};
  if (param.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(param);
      if (typeof parsed === 'object' && parsed !== null) return parsed as JsonObject;
    } catch {
      // fall through to the error below
    }
    throw invalidParam('filter is not valid JSON');
  }
  const stored = hs.filters.get(userId)?.[Number(param)];
  if (stored === undefined || !/^\d+$/.test(param)) throw invalidParam('Unknown filter id');
  return stored;
}

/** `room.timeline` of a sync filter. */
export function timelineFilter(filter: JsonObject): EventFilter {
  const room = (filter['room'] ?? {}) as JsonObject;
  return room['timeline'] ?? {};
}

/** Parses the `filter` parameter of `/messages` (a RoomEventFilter as JSON). */
export function eventFilter(param: string | null): EventFilter {
  if (param === null || param === '') return {};
  try {
    const parsed: unknown = JSON.parse(param);
    if (typeof parsed === 'object' && parsed !== null) return parsed;
  } catch {
    // fall through
  }
  throw invalidParam('filter is not valid JSON');
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

export function matches(filter: EventFilter, event: ClientEvent): boolean {
  if (filter.not_types?.some((t) => glob(t, event.type)) === true) return false;
  if (filter.types !== undefined && !filter.types.some((t) => glob(t, event.type))) return false;
  if (filter.not_senders?.includes(event.sender) === true) return false;
  if (filter.senders !== undefined && !filter.senders.includes(event.sender)) return false;
  return true;
}
