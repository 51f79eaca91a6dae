/**
 * Everything the fake homeserver knows, kept in memory in one object so that stopping and
 * starting the HTTP server keeps it. One server-wide stream counter orders room events,
 * account data, receipts, typing, to-device messages and device-key changes; a sync token
 * `s<N>` means "everything up to position N" (tokens are opaque to clients, spec
 * https://spec.matrix.org/v1.13/client-server-api/#syncing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Room, type StoredEvent } from './room.ts';
import type { ClientEvent, FakeMatrixUser, JsonObject } from './types.ts';

export interface Device {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly tokenHash: Buffer;
  displayName: string;
  /** `device_keys` as uploaded (phase 2: `/keys/upload`). */
  keys: JsonObject | undefined;
  /** One-time keys by key id (`algorithm:id`), each claimable once. */
  readonly oneTimeKeys: Map<string, unknown>;
  readonly fallbackKeys: Map<string, unknown>;
}

export interface ToDevice {
  readonly stream: number;
  readonly event: { sender: string; type: string; content: JsonObject };
}

export interface AccountData {
  content: JsonObject;
  stream: number;
}

export interface Media {
  readonly contentType: string;
  readonly filename: string | undefined;
  readonly body: Buffer;
}

function random(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

export class HomeserverState {
  readonly serverName: string;
  readonly users = new Map<string, FakeMatrixUser>();
  readonly devices: Device[] = [];
  readonly rooms = new Map<string, Room>();
  readonly aliases = new Map<string, string>();
  /** user id → (room id or '' for global) → type → data */
  readonly accountData = new Map<string, Map<string, Map<string, AccountData>>>();
  readonly filters = new Map<string, JsonObject[]>();
  /** `device|METHOD path` → the answer given the first time (spec #transaction-identifiers). */
  readonly transactions = new Map<string, JsonObject>();
  readonly toDevice = new Map<string, ToDevice[]>();
  /** user id → stream position of the last change to that user's device list or keys. */
  readonly keyChanges = new Map<string, number>();
  readonly media = new Map<string, Media>();
  readonly profiles = new Map<string, { displayname?: string; avatar_url?: string }>();
  /** Cross-signing keys by user: `master_key`, `self_signing_key`, `user_signing_key`. */
  readonly crossSigning = new Map<string, JsonObject>();
  #stream = 0;
  readonly #waiters = new Set<() => void>();

  constructor(serverName: string) {
    this.serverName = serverName;
  }

  get position(): number {
    return this.#stream;
  }

  /** Takes the next stream position; wakes every waiting `/sync`. */
  advance(): number {
    this.#stream += 1;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    queueMicrotask(() => {
      for (const wake of waiters) wake();
    });
    return this.#stream;
  }

  /** Resolves at the next stream change. */
  changed(): { promise: Promise<void>; cancel: () => void } {
    let wake: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => (wake = resolve));
    this.#waiters.add(wake);
    return { promise, cancel: () => this.#waiters.delete(wake) };
  }

  now(): number {
    return Date.now();
  }

  newEventId(): string {
    return `$${random(alnum + '-_', 43)}`;
  }

  newRoomId(): string {
    return `!${random(alnum, 18)}:${this.serverName}`;
  }

  newDeviceId(): string {
    return random(letters, 10);
  }

  newMediaId(): string {
    return random(alnum, 24);
  }

  addUser(localpart: string, displayName?: string, deviceId?: string): FakeMatrixUser {
    const userId = `@${localpart}:${this.serverName}`;
    if (this.users.has(userId)) throw new Error(`user ${userId} exists`);
    const password = random(alnum, 16);
    this.profiles.set(userId, { displayname: displayName ?? localpart });
    const device = this.addDevice(userId, deviceId);
    const user: FakeMatrixUser = {
      userId,
      localpart,
      deviceId: device.deviceId,
      accessToken: device.accessToken,
      password,
    };
    this.users.set(userId, user);
    return user;
  }

  addDevice(userId: string, deviceId?: string): Device {
    const accessToken = `syt_${random(alnum, 40)}`;
    const device: Device = {
      userId,
      deviceId: deviceId ?? this.newDeviceId(),
      accessToken,
      tokenHash: hashToken(accessToken),
      displayName: '',
      keys: undefined,
      oneTimeKeys: new Map(),
      fallbackKeys: new Map(),
    };
    this.devices.push(device);
    this.keyChanges.set(userId, this.advance());
    return device;
  }

  /** The device a token belongs to, comparing hashes in constant time. */
  deviceByToken(token: string): Device | undefined {
    const hash = hashToken(token);
    let found: Device | undefined;
    for (const device of this.devices) {
      if (timingSafeEqual(device.tokenHash, hash)) found = device;
    }
    return found;
  }

  devicesOf(userId: string): Device[] {
    return this.devices.filter((d) => d.userId === userId);
  }

  room(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  /** Stores an event in its room at the next stream position. */
  store(
    room: Room,
    event: Omit<ClientEvent, 'event_id' | 'origin_server_ts' | 'room_id'>,
    txn?: { device: string; txnId: string },
  ): StoredEvent {
    const full: ClientEvent = {
      ...event,
      event_id: this.newEventId(),
      room_id: room.roomId,
      origin_server_ts: this.now(),
    };
    const replaced =
      full.state_key === undefined ? undefined : room.currentState(full.type, full.state_key);
    const stored: StoredEvent = {
      event: full,
      stream: this.advance(),
      txn,
      replaced,
      redactedBy: undefined,
    };
    room.append(stored);
    return stored;
  }

  setAccountData(userId: string, roomId: string, type: string, content: JsonObject): void {
    let byRoom = this.accountData.get(userId);
    if (byRoom === undefined)
      this.accountData.set(userId, (byRoom = new Map<string, Map<string, AccountData>>()));
    let byType = byRoom.get(roomId);
    if (byType === undefined) byRoom.set(roomId, (byType = new Map<string, AccountData>()));
    byType.set(type, { content, stream: this.advance() });
  }

  getAccountData(userId: string, roomId: string, type: string): JsonObject | undefined {
    return this.accountData.get(userId)?.get(roomId)?.get(type)?.content;
  }

  /** Account data of a user (global with roomId '') changed after `since`. */
  accountDataSince(userId: string, roomId: string, since: number): JsonObject[] {
    const byType = this.accountData.get(userId)?.get(roomId);
    if (byType === undefined) return [];
    return [...byType.entries()]
      .filter(([, data]) => data.stream > since)
      .map(([type, data]) => ({ type, content: data.content }));
  }

  /** Rooms where the user is a member with this membership now. */
  roomsWith(userId: string, membership: string): Room[] {
    return [...this.rooms.values()].filter((r) => r.membership(userId) === membership);
  }

  queueToDevice(userId: string, deviceId: string, event: ToDevice['event']): void {
    const key = `${userId}|${deviceId}`;
    let queue = this.toDevice.get(key);
    if (queue === undefined) this.toDevice.set(key, (queue = []));
    queue.push({ stream: this.advance(), event });
  }
}
