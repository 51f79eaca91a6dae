/**
 * A fake Matrix homeserver for tests, on 127.0.0.1 only, speaking the client-server API v1.13
 * (https://spec.matrix.org/v1.13/client-server-api/) closely enough for matrix-js-sdk 43:
 *
 * - #get_matrixclientversions, #get_matrixclientv3login, #get_matrixclientv3accountwhoami,
 *   #get_matrixclientv3capabilities, #get_matrixclientv3pushrules (the predefined rules),
 *   #post_matrixclientv3useruseridfilter, #profiles, #client-config (account data);
 * - #syncing / #get_matrixclientv3sync: `since` tokens, long poll up to `timeout`, `filter`
 *   (id or inline JSON; `room.timeline.limit` is honoured), `full_state`; rooms.join
 *   (timeline with `limited`/`prev_batch`, state, ephemeral, account_data), rooms.invite
 *   (stripped `invite_state`), rooms.leave;
 * - #transaction-identifiers: a repeated `PUT …/send/{type}/{txnId}` from the same device
 *   returns the first event id and stores nothing new;
 * - #forming-relationships-between-events, #get_matrixclientv1roomsroomidrelationseventid,
 *   #event-replacements (`m.replace`), #threading (`m.thread`), #event-annotations-and-reactions;
 * - #rate-limiting: 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` and `Retry-After` (v1.10+);
 * - #client-authentication: `Authorization: Bearer` or `access_token`, 401 `M_MISSING_TOKEN` /
 *   `M_UNKNOWN_TOKEN`; #standard-error-response, unknown endpoints 404 `M_UNRECOGNIZED`;
 * - #content-repository (v3 upload, v1 authenticated download and config);
 * - #end-to-end-encryption as a relay only: keys upload/query/claim, send-to-device, and the
 *   sync fields `to_device`, `device_lists`, `device_one_time_keys_count`.
 *
 * Simplifications, where the spec leaves room or a single server makes no difference: one
 * server name, no federation; every joined member sees the whole room history (visibility
 * `shared`); members are never lazy-loaded; presence is always empty.
 *
 * Tests act as the people in the rooms through this class (`say`, `react`, `edit`,
 * `threadReply`, `createRoom`, `invite`…), read back everything a room holds (`roomEvents`),
 * wait for a client to have handled everything so far (`syncedPast`), and inject faults
 * (`rateLimit`, `fail`, `dropSyncs`, `stop`/`start`; see server.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { editContent, eventIdOf, reactionContent, textContent, threadContent } from './contents.ts';
import { relatesTo, type StoredEvent } from './room.ts';
import { HomeserverProcess } from './server.ts';
import { viewEvent } from './views.ts';
import type {
  ClientEvent,
  CreateRoomOptions,
  EventRef,
  FakeMatrixUser,
  FakeRoom,
  JsonObject,
  Membership,
  RoomRef,
  TextOptions,
} from './types.ts';

export { textContent } from './contents.ts';
export { MatrixHttpError } from './errors.ts';
export type { FakeHomeserverOptions } from './server.ts';
export type {
  ClientEvent,
  CreateRoomOptions,
  Endpoint,
  EventRef,
  FakeMatrixUser,
  FakeRoom,
  FaultRule,
  JsonObject,
  Membership,
  RateLimitRule,
  RequestRecord,
  RoomRef,
  TextOptions,
} from './types.ts';

const roomIdOf = (room: RoomRef): string => (typeof room === 'string' ? room : room.roomId);

/** The fake homeserver with the test-side API: people acting in rooms, and reading back. */
export class FakeHomeserver extends HomeserverProcess {
  // ---- users ------------------------------------------------------------------------------

  /** Registers `@localpart:serverName`, logged in on one device with its own access token. */
  addUser(
    localpart: string,
    options: { displayName?: string; deviceId?: string } = {},
  ): FakeMatrixUser {
    return this.state.addUser(localpart, options.displayName, options.deviceId);
  }

  /** Logs the user in on another device (a second session with its own token). */
  login(user: FakeMatrixUser, deviceId?: string): FakeMatrixUser {
    const device = this.state.addDevice(user.userId, deviceId);
    return { ...user, deviceId: device.deviceId, accessToken: device.accessToken };
  }

  // ---- rooms, as the people's clients would change them -------------------------------------

  /**
   * Creates a room as `creator`'s client would with `POST /createRoom`; `members` are invited
   * and then join, `invite` are only invited (e.g. the bot, to test invite handling).
   */
  createRoom(creator: FakeMatrixUser, options: CreateRoomOptions = {}): FakeRoom {
    // The creator is in the room already; listing them again changes nothing.
    const others = (list: readonly FakeMatrixUser[] = []) =>
      list.filter((u) => u.userId !== creator.userId);
    const members = others(options.members);
    const invitees = [...members, ...others(options.invite)].map((u) => u.userId);
    const room = this.ops.createRoom(creator.userId, {
      ...options,
      invite: invitees,
      isDirect: options.direct === true,
    });
    for (const member of members)
      this.ops.membership(member.userId, room.roomId, member.userId, 'join');
    if (options.direct === true) {
      const direct = { ...(this.state.getAccountData(creator.userId, '', 'm.direct') ?? {}) };
      for (const other of invitees) {
        const list = Array.isArray(direct[other]) ? (direct[other] as string[]) : [];
        direct[other] = [...list, room.roomId];
      }
      this.state.setAccountData(creator.userId, '', 'm.direct', direct);
    }
    return { roomId: room.roomId };
  }

  /** An invite; `isDirect` marks it as a direct chat (`is_direct` in the member event). */
  invite(
    inviter: FakeMatrixUser,
    room: RoomRef,
    invitee: FakeMatrixUser,
    isDirect = false,
  ): ClientEvent {
    return this.#view(
      this.ops.membership(inviter.userId, roomIdOf(room), invitee.userId, 'invite', isDirect),
    );
  }

  join(user: FakeMatrixUser, room: RoomRef): ClientEvent {
    return this.#view(this.ops.membership(user.userId, roomIdOf(room), user.userId, 'join'));
  }

  leave(user: FakeMatrixUser, room: RoomRef): ClientEvent {
    return this.#view(this.ops.membership(user.userId, roomIdOf(room), user.userId, 'leave'));
  }

  kick(by: FakeMatrixUser, room: RoomRef, target: FakeMatrixUser, reason?: string): ClientEvent {
    return this.#view(
      this.ops.membership(by.userId, roomIdOf(room), target.userId, 'leave', false, reason),
    );
  }

  /** The user's current membership, or undefined when they never had one. */
  membership(room: RoomRef, user: FakeMatrixUser | string): Membership | undefined {
    const userId = typeof user === 'string' ? user : user.userId;
    return this.ops.room(roomIdOf(room)).membership(userId);
  }

  setState(
    sender: FakeMatrixUser,
    room: RoomRef,
    type: string,
    stateKey: string,
    content: JsonObject,
  ): ClientEvent {
    return this.#view(this.ops.setState(sender.userId, roomIdOf(room), type, stateKey, content));
  }

  /** The current content of a state event, or undefined. */
  stateContent(room: RoomRef, type: string, stateKey = ''): JsonObject | undefined {
    return this.ops.room(roomIdOf(room)).currentState(type, stateKey)?.event.content;
  }

  // ---- messages, as a person types them -----------------------------------------------------

  /** Any room event with any content, exactly as given. */
  send(sender: FakeMatrixUser, room: RoomRef, type: string, content: JsonObject): ClientEvent {
    return this.#view(this.ops.send(sender.userId, roomIdOf(room), type, content));
  }

  /** An `m.room.message` (`m.text` unless `msgtype`), with HTML, mentions or a reply if asked. */
  say(sender: FakeMatrixUser, room: RoomRef, body: string, options: TextOptions = {}): ClientEvent {
    return this.send(sender, room, 'm.room.message', textContent(body, options));
  }

  /** An `m.reaction` annotating `target` with `key` (e.g. "✅"). */
  react(sender: FakeMatrixUser, room: RoomRef, target: EventRef, key: string): ClientEvent {
    return this.send(sender, room, 'm.reaction', reactionContent(target, key));
  }

  /** An edit of `target`: `m.replace` with `m.new_content` and a `* ` fallback body. */
  edit(
    sender: FakeMatrixUser,
    room: RoomRef,
    target: EventRef,
    body: string,
    options: TextOptions = {},
  ): ClientEvent {
    return this.send(sender, room, 'm.room.message', editContent(target, body, options));
  }

  /** A reply in the thread of `root` (`m.thread`, with the spec's `is_falling_back` reply). */
  threadReply(
    sender: FakeMatrixUser,
    room: RoomRef,
    root: EventRef,
    body: string,
    options: TextOptions = {},
  ): ClientEvent {
    const rootId = eventIdOf(root);
    const latest = this.ops.room(roomIdOf(room)).relationsOf(rootId, 'm.thread').at(-1);
    const content = threadContent(rootId, latest?.event.event_id ?? rootId, body, options);
    return this.send(sender, room, 'm.room.message', content);
  }

  redact(sender: FakeMatrixUser, room: RoomRef, target: EventRef, reason?: string): ClientEvent {
    return this.#view(this.ops.redact(sender.userId, roomIdOf(room), eventIdOf(target), reason));
  }

  /** Sets `m.typing` for a user in a room (ephemeral, seen in sync). */
  typing(user: FakeMatrixUser, room: RoomRef, typing: boolean, timeoutMs = 30_000): void {
    const target = this.ops.room(roomIdOf(room));
    if (typing) target.typing.set(user.userId, Date.now() + timeoutMs);
    else target.typing.delete(user.userId);
    target.typingStream = this.state.advance();
  }

  // ---- reading back what the rooms hold -----------------------------------------------------

  /** Every event of the room in order, state included, as `GET /event` would return them. */
  roomEvents(room: RoomRef): ClientEvent[] {
    return this.ops.room(roomIdOf(room)).events.map((s) => this.#view(s));
  }

  /** The room's events sent by `user` (e.g. the bot), optionally of one type. */
  eventsBy(room: RoomRef, user: FakeMatrixUser | string, type?: string): ClientEvent[] {
    const userId = typeof user === 'string' ? user : user.userId;
    return this.roomEvents(room).filter(
      (e) => e.sender === userId && (type === undefined || e.type === type),
    );
  }

  /**
   * The bot's visible messages: `m.room.message` events that are not edits (`m.replace`), with
   * their content after the latest edit by the same sender applied (`m.new_content`).
   */
  messagesBy(room: RoomRef, user: FakeMatrixUser | string): ClientEvent[] {
    return this.eventsBy(room, user, 'm.room.message')
      .filter((e) => relatesTo(e)?.relType !== 'm.replace')
      .map((e) => ({ ...e, content: this.currentContent(room, e) }));
  }

  event(room: RoomRef, eventId: string): ClientEvent | undefined {
    const stored = this.ops.room(roomIdOf(room)).find(eventId);
    return stored === undefined ? undefined : this.#view(stored);
  }

  /** Events relating to `target`, oldest first (redacted ones left out), by relation type. */
  relations(room: RoomRef, target: EventRef, relType?: string): ClientEvent[] {
    return this.ops
      .room(roomIdOf(room))
      .relationsOf(eventIdOf(target), relType)
      .map((s) => this.#view(s));
  }

  /**
   * Edits (`m.replace`) of `target` by its own sender, oldest first; edits by anyone else are
   * invalid (spec #validity-of-replacement-events).
   */
  edits(room: RoomRef, target: EventRef): ClientEvent[] {
    const original = this.event(room, eventIdOf(target));
    if (original === undefined) return [];
    return this.relations(room, original, 'm.replace').filter((e) => e.sender === original.sender);
  }

  /** What a client shows for `target`: the latest valid edit's `m.new_content`, else its content. */
  currentContent(room: RoomRef, target: EventRef): JsonObject {
    const original = this.event(room, eventIdOf(target));
    if (original === undefined) throw new Error(`no event ${eventIdOf(target)}`);
    const latest = this.edits(room, original).at(-1);
    const replacement = latest?.content['m.new_content'];
    return typeof replacement === 'object' && replacement !== null
      ? (replacement as JsonObject)
      : original.content;
  }

  /** Resolves with the first event of the room (from now on or already there) that matches. */
  async waitForEvent(
    room: RoomRef,
    match: (event: ClientEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<ClientEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.roomEvents(room).find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching event in ${roomIdOf(room)} within ${timeoutMs} ms`);
      const change = this.state.changed();
      const timer = new AbortController();
      await Promise.race([
        change.promise,
        sleep(left, undefined, { signal: timer.signal }).catch(() => undefined),
      ]);
      timer.abort();
      change.cancel();
    }
  }

  accountData(user: FakeMatrixUser, type: string, room?: RoomRef): JsonObject | undefined {
    return this.state.getAccountData(user.userId, room === undefined ? '' : roomIdOf(room), type);
  }

  setAccountData(user: FakeMatrixUser, type: string, content: JsonObject, room?: RoomRef): void {
    this.state.setAccountData(user.userId, room === undefined ? '' : roomIdOf(room), type, content);
  }

  /** An uploaded file by its `mxc://server/id` URI. */
  media(
    mxc: string,
  ): { contentType: string; filename: string | undefined; body: Buffer } | undefined {
    const id = /^mxc:\/\/[^/]+\/(.+)$/.exec(mxc)?.[1];
    return id === undefined ? undefined : this.state.media.get(id);
  }

  #view(stored: StoredEvent): ClientEvent {
    return viewEvent(stored, { now: this.state.now(), device: undefined, roomId: true });
  }
}
