/**
 * The bot's rooms: which invitations it accepts (allowed inviters or rooms; deny by
 * default), which rooms are direct chats, and the plain notice in encrypted rooms it cannot
 * read (without `matrix.encryption`).
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
      this.#d.client.joinRoom(roomId).then(() => {
        this.#d.log.info('matrix invitation accepted', { room: roomId, inviter, direct });
      }),
      'joining a matrix room failed',
    );
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
    const direct = this.#d.client.getAccountData(EventType.Direct)?.getContent();
    return Object.values(direct ?? {}).some((ids) => Array.isArray(ids) && ids.includes(roomId));
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
