/**
 * A bare HTTP client for the fake homeserver's self-tests: it sends exactly what the spec
 * describes (JSON bodies, `Authorization: Bearer`) and returns status, headers and the parsed
 * body, so tests can check the bytes a real client would get.
 */
import type { FakeHomeserver, FakeMatrixUser, JsonObject } from './index.ts';

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: JsonObject;
}

export async function call(
  hs: FakeHomeserver,
  user: FakeMatrixUser | undefined,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  options: { signal?: AbortSignal; tokenInQuery?: boolean } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  let url = `${hs.url}${path}`;
  if (user !== undefined) {
    if (options.tokenInQuery === true) {
      url += `${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(user.accessToken)}`;
    } else {
      headers['authorization'] = `Bearer ${user.accessToken}`;
    }
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? {} : (JSON.parse(text) as JsonObject),
  };
}

/** `/_matrix/client/v3` + the path with each `{}` filled by an encoded argument. */
export function v3(template: string, ...args: string[]): string {
  let i = 0;
  return `/_matrix/client/v3${template.replace(/\{\}/g, () => encodeURIComponent(args[i++] ?? ''))}`;
}

/** The shape of a `/sync` answer the tests read. */
export interface SyncBody {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoomBody>;
    invite: Record<string, { invite_state: { events: JsonObject[] } }>;
    leave: Record<string, JoinedRoomBody>;
  };
  account_data: { events: { type: string; content: JsonObject }[] };
  to_device: { events: { sender: string; type: string; content: JsonObject }[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
}

export interface SyncEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  room_id?: string;
  unsigned?: JsonObject;
}

export interface JoinedRoomBody {
  timeline: { events: SyncEvent[]; limited: boolean; prev_batch: string };
  state: { events: SyncEvent[] };
  ephemeral?: { events: JsonObject[] };
  account_data: { events: JsonObject[] };
}

export async function sync(
  hs: FakeHomeserver,
  user: FakeMatrixUser,
  query: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<{ status: number; body: SyncBody }> {
  const qs = new URLSearchParams(query).toString();
  const response = await call(hs, user, 'GET', v3(`/sync${qs === '' ? '' : `?${qs}`}`), undefined, {
    ...(signal === undefined ? {} : { signal }),
  });
  return { status: response.status, body: response.json as unknown as SyncBody };
}
