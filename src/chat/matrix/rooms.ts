/**
 * The bot's rooms: which invitations it accepts (allowed inviters or rooms; deny by
 * default), which rooms are direct chats, and the plain notice in encrypted rooms it cannot
 * read (without `matrix.encryption`).
 *
 * A room is a direct chat exactly when the bot's `m.direct` account data lists it, or the
 * invitation the bot accepted said `is_direct` (Client-Server API, "Direct Messaging"). How
 * many people are in a room does not count: a two-person room that is neither takes only
 * `!pes` commands.
 */
import { EventType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import type { Locale } from '../../core/i18n.ts';
import type { Logger } from '../../core/logger.ts';
import type { SqliteMatrixState } from '../../store/matrix-repo.ts';
import { acceptsInvite } from './inbound.ts';
import type { MatrixOutbox } from './outbox-writer.ts';
import { matrixTexts } from './texts.ts';
import type { MatrixSettings } from './types.ts';

export interface RoomKeeperDeps {
  readonly client: MatrixClient;
  readonly settings: MatrixSettings;
  readonly state: SqliteMatrixState;
  readonly outbox: MatrixOutbox;
  readonly locale: (roomId: string) => Locale;
  readonly log: Logger;
  /** Runs background work whose failure is logged, not thrown. */
  readonly track: (work: Promise<void>, what: string) => void;
}

export class RoomKeeper {
  readonly #d: RoomKeeperDeps;

  constructor(deps: RoomKeeperDeps) {
    this.#d = deps;
  }

  /** Accepts the invitation when the inviter or the room is allowed; otherwise ignores it. */
  invited(roomId: string, invite: MatrixEvent | undefined): void {
    const inviter = invite?.getSender();
    const direct = invite?.getContent().is_direct === true;
    if (!acceptsInvite(this.#d.settings, inviter, roomId)) {
      // Ignored, not declined: a stranger learns nothing, and an admin can still allow it.
      this.#d.log.warn('matrix invitation ignored: inviter and room not allowed', {
        room: roomId,
        inviter,
      });
      return;
    }
    if (direct) this.#d.state.markDirect(roomId);
    this.#d.track(
      this.#d.client.joinRoom(roomId).then(async () => {
        this.#d.log.info('matrix invitation accepted', { room: roomId, inviter, direct });
        if (direct && inviter !== undefined) {
          // The room counts as direct anyway (marked above); only other sessions miss it.
          await this.#addDirect(inviter, roomId).catch((error: unknown) => {
            this.#d.log.warn('matrix m.direct not updated', { room: roomId, error });
          });
        }
      }),
      'joining a matrix room failed',
    );
  }

  /** What the bot's `m.direct` says: user id → room ids (ill-formed entries left out). */
  #directRooms(): Record<string, string[]> {
    const content: unknown = this.#d.client.getAccountData(EventType.Direct)?.getContent();
    const out: Record<string, string[]> = {};
    if (content === null || typeof content !== 'object') return out;
    for (const [user, ids] of Object.entries(content)) {
      if (Array.isArray(ids)) out[user] = ids.filter((id): id is string => typeof id === 'string');
    }
    return out;
  }

  /** Updates of `m.direct`, one after the other: each reads what the one before wrote. */
  #directWrites: Promise<void> = Promise.resolve();
  /** The last `m.direct` the bot wrote, until the sync brings it back. */
  #directWritten: Record<string, string[]> = {};

  /**
   * The invitee's client may mark the room as a direct chat with the inviter (Client-Server
   * API, "Direct Messaging"; Element does so on accepting), so that the bot's other sessions
   * and a restart with a lost database still see it as one. `m.direct` is the whole map, so
   * the update is read-modify-write, done one at a time; written raw, not waiting for the
   * sync to echo it, which a stop would otherwise wait on.
   */
  #addDirect(inviter: string, roomId: string): Promise<void> {
    const write = this.#directWrites.then(async () => {
      const current = this.#directRooms();
      for (const [user, ids] of Object.entries(this.#directWritten)) {
        current[user] = [...new Set([...(current[user] ?? []), ...ids])];
      }
      const rooms = current[inviter] ?? [];
      if (rooms.includes(roomId)) return;
      const next = { ...current, [inviter]: [...rooms, roomId] };
      await this.#d.client.setAccountDataRaw(EventType.Direct, next);
      this.#directWritten = next;
      this.#d.log.info('matrix direct chat added to m.direct', { room: roomId, inviter });
    });
    this.#directWrites = write.catch(() => undefined);
    return write;
  }

  /** Invitations that came while the bot was away (seen in its first sync). */
  pendingInvitations(): void {
    for (const room of this.#d.client.getRooms()) {
      if (room.getMyMembership() !== 'invite') continue;
      this.invited(room.roomId, room.getMember(this.#d.settings.userId)?.events.member);
    }
  }

  /** A direct chat: marked so by its invitation, or by the bot's own `m.direct`. */
  isDirect(roomId: string): boolean {
    if (this.#d.state.isDirect(roomId)) return true;
    return Object.values(this.#directRooms()).some((ids) => ids.includes(roomId));
  }

  /** Joined rooms that are encrypted are told once that the bot cannot read them. */
  checkEncryptedRooms(): void {
    for (const room of this.#d.client.getRooms()) {
      if (room.getMyMembership() !== 'join' || !room.hasEncryptionStateEvent()) continue;
      this.encryptedNotice(room.roomId, Number.POSITIVE_INFINITY);
    }
  }

  /**
   * Without end-to-end encryption the bot can neither read nor encrypt: it says so in plain
   * text (clients show it marked as unencrypted), at most once per `everyMs`, and logs it.
   */
  encryptedNotice(roomId: string, everyMs: number): void {
    if (!this.#d.state.takeEncryptedNotice(roomId, everyMs)) return;
    this.#d.log.warn('encrypted matrix room: the bot cannot read it', { room: roomId });
    const body = matrixTexts.encrypted[this.#d.locale(roomId)];
    this.#d.outbox.notice(`encrypted:${roomId}:${Date.now()}`, roomId, {
      msgtype: 'm.notice',
      body,
      'm.mentions': {},
    });
  }
}
