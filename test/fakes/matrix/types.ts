/**
 * The shapes the fake homeserver stores and returns, after the Matrix client-server API
 * v1.13 (https://spec.matrix.org/v1.13/client-server-api/): ClientEvent
 * (#room-event-format), identifier grammar (https://spec.matrix.org/v1.13/appendices/#identifier-grammar:
 * `@localpart:server`, `!opaque:server`, `$opaque` event ids of room versions 4+).
 */

export type JsonObject = Record<string, unknown>;

/** A room event as the client-server API returns it (ClientEvent). */
export interface ClientEvent {
  readonly event_id: string;
  readonly room_id: string;
  readonly sender: string;
  readonly type: string;
  /** Present on state events only (the empty string is a valid key). */
  readonly state_key?: string;
  readonly content: JsonObject;
  readonly origin_server_ts: number;
  /** Top-level `redacts` of m.room.redaction in room versions 1–10. */
  readonly redacts?: string;
  readonly unsigned?: JsonObject;
}

/** A person (or the bot) with an account on the fake homeserver, logged in on one device. */
export interface FakeMatrixUser {
  /** `@localpart:serverName` */
  readonly userId: string;
  readonly localpart: string;
  /** The device this session is logged in as; `/whoami` answers it. */
  readonly deviceId: string;
  readonly accessToken: string;
  readonly password: string;
}

export interface FakeRoom {
  /** `!opaque:serverName` */
  readonly roomId: string;
}

/** Either a room object from the harness or a bare room id. */
export type RoomRef = FakeRoom | string;
/** Either an event from the harness or a bare event id. */
export type EventRef = ClientEvent | string;

export type Membership = 'invite' | 'join' | 'leave' | 'ban' | 'knock';

/** The endpoint families the fake knows, for rate-limit rules, faults and the request log. */
export type Endpoint =
  | 'versions'
  | 'login'
  | 'logout'
  | 'whoami'
  | 'capabilities'
  | 'pushrules'
  | 'filter'
  | 'profile'
  | 'account_data'
  | 'presence'
  | 'devices'
  | 'joined_rooms'
  | 'create_room'
  | 'join'
  | 'leave'
  | 'invite'
  | 'state'
  | 'send_state'
  | 'members'
  | 'joined_members'
  | 'messages'
  | 'event'
  | 'context'
  | 'relations'
  | 'threads'
  | 'receipt'
  | 'read_markers'
  | 'typing'
  | 'send'
  | 'redact'
  | 'sync'
  | 'media_upload'
  | 'media_download'
  | 'media_config'
  | 'keys_upload'
  | 'keys_query'
  | 'keys_claim'
  | 'keys_changes'
  | 'keys_signing'
  | 'send_to_device'
  | 'room_keys'
  | 'auth_metadata'
  | 'well_known'
  | 'unknown';

/** One request as the fake answered it. */
export interface RequestRecord {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly endpoint: Endpoint;
  readonly status: number;
  /** The authenticated user, when the token was valid. */
  readonly userId: string | undefined;
  readonly at: number;
}

/**
 * "The next `times` requests to `endpoint` are refused with 429 M_LIMIT_EXCEEDED", after the
 * spec's Rate limiting section (https://spec.matrix.org/v1.13/client-server-api/#rate-limiting):
 * body `{errcode, error, retry_after_ms}` and, since v1.10, a `Retry-After` header in seconds.
 */
export interface RateLimitRule {
  /** Which endpoint family; `'*'` matches every authenticated request except `/sync`. */
  readonly endpoint: Endpoint | '*';
  /** How many matching requests get the 429 before the rule is used up. */
  readonly times: number;
  /** `retry_after_ms` in the body; the header carries it rounded up to whole seconds. */
  readonly retryAfterMs: number;
  /** Leave out the `Retry-After` header (a pre-v1.10 server); default false. */
  readonly omitHeader?: boolean;
  /** Only requests of this user count; default every user. */
  readonly userId?: string;
}

/**
 * A failure of the next `times` requests to `endpoint`: `'http-500'` answers 500 M_UNKNOWN
 * and changes nothing; `'stored-then-502'` and `'stored-then-drop'` carry out the request
 * (the event is stored) and then lose the answer, so a client must retry with the same
 * transaction id to learn the event id.
 */
export interface FaultRule {
  readonly endpoint: Endpoint;
  readonly kind: 'http-500' | 'stored-then-502' | 'stored-then-drop';
  readonly times: number;
}

export interface TextOptions {
  /** `format: org.matrix.custom.html` with this `formatted_body`. */
  readonly html?: string;
  /** Default `m.text`. */
  readonly msgtype?: string;
  /** `m.mentions`, sent as given (spec #user-and-room-mentions). */
  readonly mentions?: { readonly user_ids?: readonly string[]; readonly room?: boolean };
  /** A rich reply: `m.relates_to.m.in_reply_to.event_id` (spec #rich-replies). */
  readonly replyTo?: EventRef;
}

export interface CreateRoomOptions {
  readonly name?: string;
  readonly topic?: string;
  /** Users who are invited and then join (with the invite carrying `is_direct` for DMs). */
  readonly members?: readonly FakeMatrixUser[];
  /** Users who are only invited. */
  readonly invite?: readonly FakeMatrixUser[];
  /**
   * A direct chat: invites carry `is_direct: true` and the creator's `m.direct` account data
   * lists the room under each other member (spec #direct-messaging). Default false.
   */
  readonly direct?: boolean;
  /** Adds `m.room.encryption` (`m.megolm.v1.aes-sha2`) to the initial state. Default false. */
  readonly encrypted?: boolean;
  /** `public` join rule (anyone may join) instead of `invite`. Default false. */
  readonly public?: boolean;
  /** Registers `#alias:serverName` for the room. */
  readonly alias?: string;
  /** Extra power levels by user id (the creator always has 100). */
  readonly powerLevels?: Readonly<Record<string, number>>;
}
