/**
 * The bot listening in Matrix: the client started (startup.ts) and its sync, timeline and
 * membership events turned into work for the conversation (commands, reactions) and the
 * room keeper (invitations, encrypted rooms). Only events that arrive live after the first
 * sync count; the events of a gap (a limited sync) are read back so none typed meanwhile is
 * missed.
 */
import {
  ClientEvent,
  EventTimeline,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from 'matrix-js-sdk';
import type { IRoomTimelineData } from 'matrix-js-sdk/lib/models/event-timeline-set.js';
import type { Turn } from '../answer-order.ts';
import type { Conversation } from './conversation.ts';
import type { BotCrypto } from './crypto.ts';
import { readGap } from './gap.ts';
import type { InboundEvent } from './inbound.ts';
import type { RoomKeeper } from './rooms.ts';
import { startSyncing, type StartupDeps } from './startup.ts';
import type { TrackedWork } from './tracked-work.ts';

export interface ListenerDeps extends Omit<StartupDeps, 'encrypted'> {
  readonly conversation: Conversation;
  readonly rooms: RoomKeeper;
  readonly work: TrackedWork;
}

/** How far back the events of a gap (a limited sync) are read. */
const gapLookBackMs = 60 * 60 * 1000;

/** An encrypted room is told once when joined, then at most this often when people write. */
const encryptedNoticeEveryMs = 60 * 60 * 1000;

export class MatrixListener {
  readonly #d: ListenerDeps;
  readonly #userId: string;
  #prepared = false;
  #crypto: BotCrypto | undefined;
  #starting: Promise<void> | undefined;

  constructor(deps: ListenerDeps) {
    this.#d = deps;
    this.#userId = deps.settings.userId;
  }

  /** The bot's encryption once it started; undefined without it. */
  get crypto(): BotCrypto | undefined {
    return this.#crypto;
  }

  /** Whether the first sync is done: events from before it are history, not commands. */
  get prepared(): boolean {
    return this.#prepared;
  }

  /** Starts the client and listens to it; returns at once (the homeserver may be down). */
  start(): void {
    const c = this.#d.client;
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
      this.#d.work.track(this.#fillGap(room.roomId, token), 'reading a matrix gap failed');
    });
    this.#starting = startSyncing({
      ...this.#d,
      encrypted: (crypto) => {
        this.#crypto = crypto;
      },
    }).catch((error: unknown) => this.#d.log.error('matrix client did not start', { error }));
  }

  /** Stops syncing; events already being handled go on (see TrackedWork). */
  async stop(): Promise<void> {
    await this.#starting;
    this.#d.client.stopClient();
    this.#d.client.removeAllListeners();
  }

  #onSync(state: SyncState, error: Error | undefined): void {
    if (state === SyncState.Prepared && !this.#prepared) {
      this.#prepared = true;
      this.#d.log.info('matrix sync ready', { rooms: this.#d.client.getRooms().length });
      this.#d.rooms.pendingInvitations();
    }
    if (state === SyncState.Error) {
      this.#d.log.warn('matrix sync failed; the client retries', { error: error?.message });
    }
    const synced = state === SyncState.Prepared || state === SyncState.Syncing;
    if (this.#prepared && synced && this.#crypto === undefined) {
      this.#d.rooms.checkEncryptedRooms();
    }
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
    const me = this.#userId;
    if (event.getSender() === me) return;
    const sealed = event.getWireType() === 'm.room.encrypted';
    if (sealed && this.#crypto === undefined) {
      this.#d.rooms.encryptedNotice(room.roomId, encryptedNoticeEveryMs);
      return;
    }
    // The turn is taken now: decryption and the look-ups below may finish out of order.
    const turn = this.#d.conversation.enter(room.roomId);
    this.#d.work.track(this.#inbound(event, room, sealed, turn), 'handling a matrix event failed');
  }

  /** Handles the events of a gap like live ones (each is claimed once, so none twice). */
  async #fillGap(roomId: string, from: string): Promise<void> {
    const me = this.#userId;
    const room = this.#d.client.getRoom(roomId);
    const encrypted = room !== null && (await this.#encryptedRoom(room));
    const events = await readGap(this.#d.client, roomId, from, me, gapLookBackMs, encrypted);
    this.#d.log.info('matrix gap read', { room: roomId, events: events.length });
    for (const event of events) await this.#d.conversation.handle(event, me);
  }

  /**
   * Whether the room has encryption on: its state says so, or the bot's crypto remembers it
   * (it keeps a room encrypted once it was, as the spec says encryption cannot be turned off).
   */
  async #encryptedRoom(room: Room): Promise<boolean> {
    if (room.hasEncryptionStateEvent()) return true;
    return (await this.#d.client.getCrypto()?.isEncryptionEnabledInRoom(room.roomId)) === true;
  }

  async #inbound(event: MatrixEvent, room: Room, sealed: boolean, turn: Turn): Promise<void> {
    try {
      const { roomId } = room;
      if (sealed) {
        await this.#d.client.decryptEventIfNeeded(event);
        if (event.isDecryptionFailure()) {
          this.#d.log.warn('a matrix message could not be decrypted', {
            room: roomId,
            event: event.getId(),
            reason: event.decryptionFailureReason,
          });
          return;
        }
      }
      const inbound: InboundEvent = {
        eventId: event.getId() ?? '',
        roomId,
        sender: event.getSender() ?? '',
        type: event.getType(),
        originTs: event.getTs(),
        // The clear content of what came encrypted; else what came, as it came.
        content: sealed ? event.getContent() : event.getWireContent(),
        encrypted: sealed,
        roomEncrypted: sealed || (await this.#encryptedRoom(room)),
      };
      if (inbound.eventId === '' || inbound.sender === '') return;
      await this.#d.conversation.handle(inbound, this.#userId, turn);
    } finally {
      turn.release();
    }
  }

  #onMembership(event: MatrixEvent | null, member: RoomMember): void {
    if (!this.#prepared || member.userId !== this.#userId) return;
    // The room may not be in the client's store yet while its invitation is processed: the
    // member event itself says who invited.
    if (member.membership === 'invite') {
      this.#d.rooms.invited(member.roomId, event ?? member.events.member);
    }
  }
}
