/**
 * What changes a room, shared by the HTTP endpoints and the test-side harness so both obey the
 * same rules: https://spec.matrix.org/v1.13/client-server-api/#post_matrixclientv3createroom
 * (creation events in order: create, creator's join, power_levels, join_rules,
 * history_visibility, then initial_state, name, topic, invites), #room-membership (invite needs
 * the invite level; join needs an invite or a public join rule; leave or kick), and the
 * power-level checks of #mroompower_levels for sending and redacting.
 */
import { forbidden, MatrixHttpError, notFound } from './errors.ts';
import { Room, type StoredEvent } from './room.ts';
import type { HomeserverState } from './state.ts';
import type { JsonObject, Membership } from './types.ts';

export interface NewRoom {
  readonly name?: string;
  readonly topic?: string;
  readonly public?: boolean;
  readonly invite?: readonly string[];
  readonly isDirect?: boolean;
  readonly encrypted?: boolean;
  readonly alias?: string;
  readonly powerLevels?: Readonly<Record<string, number>>;
  readonly initialState?: readonly { type: string; state_key?: string; content: JsonObject }[];
}

/** Spec #size-limits: an event may be at most 65536 bytes; the envelope is counted generously. */
const maxEventBytes = 65536;
const envelopeBytes = 512;

function checkSize(content: JsonObject): void {
  if (Buffer.byteLength(JSON.stringify(content)) + envelopeBytes > maxEventBytes) {
    throw new MatrixHttpError(413, 'M_TOO_LARGE', 'Event too large');
  }
}

export class RoomOps {
  readonly #hs: HomeserverState;

  constructor(hs: HomeserverState) {
    this.#hs = hs;
  }

  room(roomId: string): Room {
    const room = this.#hs.room(roomId);
    if (room === undefined) throw notFound(`Unknown room ${roomId}`);
    return room;
  }

  createRoom(creator: string, spec: NewRoom): Room {
    const hs = this.#hs;
    if (spec.alias !== undefined && hs.aliases.has(`#${spec.alias}:${hs.serverName}`)) {
      throw new MatrixHttpError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
    }
    const room = new Room(hs.newRoomId());
    hs.rooms.set(room.roomId, room);
    const state = (type: string, content: JsonObject, key = ''): void => {
      hs.store(room, { type, state_key: key, sender: creator, content });
    };
    state('m.room.create', { creator, room_version: '10' });
    state('m.room.member', { membership: 'join', displayname: this.displayName(creator) }, creator);
    state('m.room.power_levels', {
      users: { [creator]: 100, ...spec.powerLevels },
      users_default: 0,
      events: {
        'm.room.name': 50,
        'm.room.power_levels': 100,
        'm.room.history_visibility': 100,
        'm.room.canonical_alias': 50,
        'm.room.avatar': 50,
        'm.room.tombstone': 100,
        'm.room.server_acl': 100,
        'm.room.encryption': 100,
      },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
      historical: 100,
    });
    state('m.room.join_rules', { join_rule: spec.public === true ? 'public' : 'invite' });
    state('m.room.history_visibility', { history_visibility: 'shared' });
    if (spec.alias !== undefined) {
      const alias = `#${spec.alias}:${hs.serverName}`;
      hs.aliases.set(alias, room.roomId);
      state('m.room.canonical_alias', { alias });
    }
    for (const extra of spec.initialState ?? []) state(extra.type, extra.content, extra.state_key);
    if (spec.encrypted === true) {
      state('m.room.encryption', {
        algorithm: 'm.megolm.v1.aes-sha2',
        rotation_period_ms: 604800000,
        rotation_period_msgs: 100,
      });
    }
    if (spec.name !== undefined) state('m.room.name', { name: spec.name });
    if (spec.topic !== undefined) state('m.room.topic', { topic: spec.topic });
    for (const invitee of spec.invite ?? []) {
      this.membership(creator, room.roomId, invitee, 'invite', spec.isDirect === true);
    }
    return room;
  }

  displayName(userId: string): string {
    return this.#hs.profiles.get(userId)?.displayname ?? userId;
  }

  /** Invite, join, leave (or kick when sender ≠ target), ban. */
  membership(
    sender: string,
    roomId: string,
    target: string,
    membership: Membership,
    isDirect = false,
    reason?: string,
  ): StoredEvent {
    const room = this.room(roomId);
    const senderIs = room.membership(sender);
    const targetIs = room.membership(target);
    if (membership === 'invite') {
      if (senderIs !== 'join') throw forbidden(`${sender} is not in the room`);
      if (room.powerOf(sender) < room.levelOf('invite')) throw forbidden('Not allowed to invite');
      if (targetIs === 'join' || targetIs === 'ban') {
        throw forbidden(`${target} is already in the room or banned`);
      }
      if (!this.#hs.users.has(target)) throw notFound(`Unknown user ${target}`);
    } else if (membership === 'join') {
      if (sender !== target) throw forbidden('Cannot force another user to join');
      const rule = room.currentState('m.room.join_rules', '')?.event.content['join_rule'];
      if (targetIs === 'ban') throw forbidden('You are banned from this room');
      if (targetIs !== 'invite' && targetIs !== 'join' && rule !== 'public') {
        throw forbidden('You are not invited to this room');
      }
    } else if (membership === 'leave') {
      if (sender === target) {
        if (targetIs !== 'join' && targetIs !== 'invite' && targetIs !== 'knock') {
          throw forbidden('You are not in this room');
        }
      } else if (senderIs !== 'join' || room.powerOf(sender) < room.levelOf('kick')) {
        throw forbidden('Not allowed to kick');
      }
    } else if (membership === 'ban') {
      if (senderIs !== 'join' || room.powerOf(sender) < room.levelOf('ban')) {
        throw forbidden('Not allowed to ban');
      }
    }
    const content: JsonObject = { membership };
    if (membership === 'join' || membership === 'invite') {
      content['displayname'] = this.displayName(target);
    }
    if (isDirect) content['is_direct'] = true;
    if (reason !== undefined) content['reason'] = reason;
    return this.#hs.store(room, { type: 'm.room.member', state_key: target, sender, content });
  }

  /** A message-like event (`PUT /send`), after the membership and power-level checks. */
  send(
    sender: string,
    roomId: string,
    type: string,
    content: JsonObject,
    txn?: { device: string; txnId: string },
  ): StoredEvent {
    const room = this.room(roomId);
    if (room.membership(sender) !== 'join') throw forbidden(`${sender} is not in the room`);
    if (room.powerOf(sender) < room.levelFor(type, false)) {
      throw forbidden(`Not allowed to send ${type}`);
    }
    checkSize(content);
    return this.#hs.store(room, { type, sender, content }, txn);
  }

  setState(
    sender: string,
    roomId: string,
    type: string,
    key: string,
    content: JsonObject,
  ): StoredEvent {
    const room = this.room(roomId);
    if (room.membership(sender) !== 'join') throw forbidden(`${sender} is not in the room`);
    if (type === 'm.room.member' && key !== sender) {
      throw forbidden('Use the membership endpoints to change another user');
    }
    if (type !== 'm.room.member' && room.powerOf(sender) < room.levelFor(type, true)) {
      throw forbidden(`Not allowed to set ${type}`);
    }
    if (key.startsWith('@') && key !== sender && type !== 'm.room.member') {
      throw forbidden('A state key that is a user id must be your own');
    }
    checkSize(content);
    return this.#hs.store(room, { type, state_key: key, sender, content });
  }

  redact(
    sender: string,
    roomId: string,
    eventId: string,
    reason: string | undefined,
    txn?: { device: string; txnId: string },
  ): StoredEvent {
    const room = this.room(roomId);
    if (room.membership(sender) !== 'join') throw forbidden(`${sender} is not in the room`);
    const target = room.find(eventId);
    if (target === undefined) throw notFound('Event not found');
    if (target.event.sender !== sender && room.powerOf(sender) < room.levelOf('redact')) {
      throw forbidden('Not allowed to redact the events of others');
    }
    const content: JsonObject = reason === undefined ? {} : { reason };
    const stored = this.#hs.store(
      room,
      { type: 'm.room.redaction', sender, content, redacts: eventId },
      txn,
    );
    room.redact(target, stored.event);
    return stored;
  }
}
