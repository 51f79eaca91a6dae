/**
 * The Matrix front end, wired: the matrix-js-sdk client syncing with its state in SQLite, the
 * outbox and its dispatcher, invitations, the conversation (commands and reactions), the
 * confirmation prompts, and the notice for encrypted rooms it cannot read.
 */
import type { DatabaseSync } from 'node:sqlite';
import {
  ClientEvent,
  EventTimeline,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from 'matrix-js-sdk';
import type { IRoomTimelineData } from 'matrix-js-sdk/lib/models/event-timeline-set.js';
import type { Bot } from '../../core/bot.ts';
import type { Logger } from '../../core/logger.ts';
import type { Message } from '../../core/message.ts';
import { SqliteConfirmationStore } from '../../store/confirmations-repo.ts';
import { SqliteMatrixState } from '../../store/matrix-repo.ts';
import { SqliteOutboxStore } from '../../store/outbox-repo.ts';
import { createMatrixClient, matrixSender } from './client.ts';
import { Conversation } from './conversation.ts';
import { startCrypto, type BotCrypto } from './crypto.ts';
import type { InboundEvent } from './inbound.ts';
import { readGap } from './gap.ts';
import { MatrixOutboxDispatcher } from './outbox-dispatch.ts';
import { MatrixOutbox } from './outbox-writer.ts';
import { settlePrompts } from './prompts.ts';
import { renderMessage } from './render.ts';
import { SqliteSyncStore } from './sync-store.ts';
import { RoomKeeper } from './rooms.ts';
import { roomOf, roomPrefix, type MatrixSettings, type RenderedEvent } from './types.ts';

export interface MatrixTiming {
  readonly progressIntervalMs?: number;
  readonly retryBaseMs?: number;
  /** Commands older than this, found after a restart, are answered but not run. */
  readonly maxCommandAgeMs?: number;
  /** The /sync long-poll timeout asked of the homeserver. */
  readonly pollTimeoutMs?: number;
  /** How often expired prompts are looked for. */
  readonly housekeepingMs?: number;
}

export interface MatrixAdapterDeps {
  readonly settings: MatrixSettings;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly fetch?: typeof fetch;
  readonly timing?: MatrixTiming;
}

/** How far back the events of a gap (a limited sync) are read. */
const gapLookBackMs = 60 * 60 * 1000;

/** An encrypted room is told once when joined, then at most this often when people write. */
const encryptedNoticeEveryMs = 60 * 60 * 1000;

export class MatrixAdapter {
  readonly dispatcher: MatrixOutboxDispatcher;
  readonly outbox: MatrixOutbox;
  readonly client: MatrixClient;
  readonly #d: MatrixAdapterDeps;
  readonly #state: SqliteMatrixState;
  readonly #conversation: Conversation;
  readonly #confirmations: SqliteConfirmationStore;
  readonly #handling = new Set<Promise<void>>();
  readonly #syncStore: SqliteSyncStore;
  readonly #rooms: RoomKeeper;
  #crypto: BotCrypto | undefined;
  #prepared = false;
  #started = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: MatrixAdapterDeps) {
    this.#d = deps;
    const { settings, log, db, timing = {} } = deps;
    const store = new SqliteOutboxStore(db);
    this.#state = new SqliteMatrixState(db);
    this.#confirmations = new SqliteConfirmationStore(db);
    this.#syncStore = new SqliteSyncStore(this.#state, settings.userId);
    this.client = createMatrixClient(settings, this.#syncStore, log, deps.fetch);
    this.dispatcher = new MatrixOutboxDispatcher({
      store,
      sender: matrixSender(this.client, () => {
        const crypto = this.#crypto;
        return crypto === undefined ? undefined : (...args) => crypto.seal(...args);
      }),
      log: log.child({ part: 'matrix-outbox' }),
      ...(timing.retryBaseMs === undefined ? {} : { baseDelayMs: timing.retryBaseMs }),
    });
    this.outbox = new MatrixOutbox(store, () => this.dispatcher.kick());
    this.#rooms = new RoomKeeper({
      client: this.client,
      settings,
      state: this.#state,
      outbox: this.outbox,
      locale: (roomId) => deps.bot.localeFor({ room: { id: roomOf(roomId) } }),
      log,
      track: (work, what) => this.#track(work, what),
    });
    this.#conversation = new Conversation({
      settings,
      bot: deps.bot,
      outbox: this.outbox,
      state: this.#state,
      render: (message, roomId) => this.render(message, roomId),
      isDirect: (roomId) => this.#rooms.isDirect(roomId),
      settlePrompts: (roomId) => this.#settle(roomId),
      log,
      maxAgeMs: timing.maxCommandAgeMs ?? 15 * 60 * 1000,
      ...(timing.progressIntervalMs === undefined
        ? {}
        : { progressIntervalMs: timing.progressIntervalMs }),
    });
  }

  /** A neutral message for a room, in the room's language. */
  render(message: Message, roomId: string): RenderedEvent {
    return renderMessage(message, this.#d.bot.localeFor({ room: { id: roomOf(roomId) } }));
  }

  /**
   * Posts a message nobody asked for (an interrupted job, a scheduled result) into the room
   * `matrix:<room id>`, through the outbox, once per `key`. A room of another kind or one the
   * bot does not serve is refused (false) and logged, never thrown.
   */
  announce(room: string, message: Message, key: string): boolean {
    if (!room.startsWith(roomPrefix)) return false;
    const roomId = room.slice(roomPrefix.length);
    const { rooms } = this.#d.settings;
    if (rooms.length > 0 && !rooms.includes(roomId) && !this.#rooms.isDirect(roomId)) {
      this.#d.log.warn('announcement refused: the bot does not serve this room', { room, key });
      return false;
    }
    try {
      this.outbox.post(`announce:${key}`, roomId, this.render(message, roomId));
      return true;
    } catch (error) {
      this.#d.log.error('announcement could not be queued', { room, key, error });
      return false;
    }
  }

  /** Starts delivering and syncing; returns at once (the homeserver may be down for now). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.dispatcher.start();
    const c = this.client;
    c.on(ClientEvent.Sync, (state, _prev, data) => this.#onSync(state, data?.error));
    c.on(RoomEvent.Timeline, (event, room, toStart, _removed, data) =>
      this.#onTimeline(event, room, toStart, data),
    );
    c.on(RoomMemberEvent.Membership, (event, member) => this.#onMembership(event, member));
    c.on(RoomEvent.TimelineReset, (room, timelineSet) => {
      // A limited sync: more happened in the room than one sync returns. The events in
      // between are read back page by page, so no command typed meanwhile is missed.
      const token = timelineSet.getLiveTimeline().getPaginationToken(EventTimeline.BACKWARDS);
      if (!this.#prepared || room === undefined || token === null) return;
      this.#track(this.#fillGap(room.roomId, token), 'reading a matrix gap failed');
    });
    const every = this.#d.timing?.housekeepingMs ?? 30_000;
    this.#timer = setInterval(() => this.#housekeeping(), every);
    this.#timer.unref();
    this.#booting = this.#boot().catch((error: unknown) =>
      this.#d.log.error('matrix client did not start', { error }),
    );
  }

  #booting: Promise<void> | undefined;

  async #boot(): Promise<void> {
    const passphrase = this.#d.settings.cryptoPassphrase;
    if (passphrase !== undefined) {
      try {
        const crypto = await startCrypto(this.client, {
          userId: this.#d.settings.userId,
          deviceId: this.#d.settings.deviceId,
          passphrase,
          persistence: this.#state,
          log: this.#d.log,
        });
        this.#crypto = crypto;
        this.#syncStore.onSave = () => crypto.save();
      } catch (error) {
        // Without its keys the bot still works in unencrypted rooms, and says so in the others.
        this.#d.log.error('matrix end-to-end encryption could not start', { error });
      }
    }
    await this.client.startClient({
      initialSyncLimit: 10,
      disablePresence: true,
      lazyLoadMembers: false,
      pollTimeout: this.#d.timing?.pollTimeoutMs ?? 30_000,
    });
  }

  /** Whether the bot can read and write encrypted rooms. */
  get encryption(): boolean {
    return this.#crypto !== undefined;
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#booting;
    this.client.stopClient();
    this.client.removeAllListeners();
    await this.settled();
    await this.dispatcher.stop();
    // Keys made since the last sync (e.g. for a message just encrypted) are kept too.
    await this.#crypto?.save();
  }

  /** Resolves once every event being handled has its answer in the outbox. */
  async settled(): Promise<void> {
    while (this.#handling.size > 0) await Promise.allSettled([...this.#handling]);
  }

  /** Whether the first sync is done: events from before it are history, not commands. */
  get prepared(): boolean {
    return this.#prepared;
  }

  #track(work: Promise<void>, what: string): void {
    const p = work.catch((error: unknown) => this.#d.log.error(what, { error }));
    this.#handling.add(p);
    void p.finally(() => this.#handling.delete(p));
  }

  #onSync(state: SyncState, error: Error | undefined): void {
    if (state === SyncState.Prepared && !this.#prepared) {
      this.#prepared = true;
      this.#d.log.info('matrix sync ready', { rooms: this.client.getRooms().length });
      this.#rooms.pendingInvitations();
    }
    if (state === SyncState.Error) {
      this.#d.log.warn('matrix sync failed; the client retries', { error: error?.message });
    }
    const synced = state === SyncState.Prepared || state === SyncState.Syncing;
    if (this.#prepared && synced && this.#crypto === undefined) this.#rooms.checkEncryptedRooms();
  }

  #onTimeline(
    event: MatrixEvent,
    room: Room | undefined,
    toStart: boolean | undefined,
    data: IRoomTimelineData,
  ): void {
    // History (the first sync, the saved sync replayed at start, back-pagination) is not
    // a command: only events that arrive live after the client was PREPARED are.
    if (!this.#prepared || toStart === true || !data.liveEvent || room === undefined) return;
    const me = this.#d.settings.userId;
    if (event.getSender() === me) return;
    if (event.getWireType() === 'm.room.encrypted') {
      if (this.#crypto === undefined) {
        this.#rooms.encryptedNotice(room.roomId, encryptedNoticeEveryMs);
        return;
      }
      this.#track(this.#decrypted(event, room.roomId, me), 'handling a matrix event failed');
      return;
    }
    this.#track(
      this.#handle(event, room.roomId, me, event.getWireContent()),
      'handling a matrix event failed',
    );
  }

  /** Handles the events of a gap like live ones (each is claimed once, so none twice). */
  async #fillGap(roomId: string, from: string): Promise<void> {
    const me = this.#d.settings.userId;
    const events = await readGap(this.client, roomId, from, me, gapLookBackMs);
    this.#d.log.info('matrix gap read', { room: roomId, events: events.length });
    for (const event of events) await this.#conversation.handle(event, me);
  }

  async #decrypted(event: MatrixEvent, roomId: string, me: string): Promise<void> {
    await this.client.decryptEventIfNeeded(event);
    if (event.isDecryptionFailure()) {
      this.#d.log.warn('a matrix message could not be decrypted', {
        room: roomId,
        event: event.getId(),
        reason: event.decryptionFailureReason,
      });
      return;
    }
    await this.#handle(event, roomId, me, event.getContent());
  }

  #handle(
    event: MatrixEvent,
    roomId: string,
    me: string,
    content: InboundEvent['content'],
  ): Promise<void> {
    const inbound: InboundEvent = {
      eventId: event.getId() ?? '',
      roomId,
      sender: event.getSender() ?? '',
      type: event.getType(),
      originTs: event.getTs(),
      content,
    };
    if (inbound.eventId === '' || inbound.sender === '') return Promise.resolve();
    return this.#conversation.handle(inbound, me);
  }

  #onMembership(event: MatrixEvent | null, member: RoomMember): void {
    if (!this.#prepared || member.userId !== this.#d.settings.userId) return;
    // The room may not be in the client's store yet while its invitation is processed: the
    // member event itself says who invited.
    if (member.membership === 'invite') {
      this.#rooms.invited(member.roomId, event ?? member.events.member);
    }
  }

  #settle(roomId?: string): void {
    settlePrompts(
      {
        state: this.#state,
        confirmations: this.#confirmations,
        outbox: this.outbox,
        locale: (id) => this.#d.bot.localeFor({ room: { id: roomOf(id) } }),
        render: (message, id) => this.render(message, id),
      },
      roomId,
    );
  }

  #housekeeping(): void {
    try {
      this.#settle();
      this.#state.pruneSeen(Date.now() - 2 * 24 * 60 * 60 * 1000);
    } catch (error) {
      this.#d.log.error('matrix housekeeping failed', { error });
    }
  }
}
