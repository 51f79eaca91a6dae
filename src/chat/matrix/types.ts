/** The pieces of the Matrix client-server API the adapter writes and reads. */

/** The settings of the adapter, resolved from the `matrix:` section of the config. */
export interface MatrixSettings {
  /** The homeserver's base URL (no trailing slash). */
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly allowedInviters: readonly string[];
  readonly allowedRooms: readonly string[];
  /** Rooms where `!pes` commands are taken; empty means every joined room. */
  readonly rooms: readonly string[];
  /** Set: end-to-end encryption is on, its store encrypted with this passphrase. */
  readonly cryptoPassphrase?: string | undefined;
}

/** Event content as JSON. */
export type Content = Record<string, unknown>;

export interface FileToUpload {
  readonly name: string;
  readonly content: string;
  readonly mimetype: string;
}

/** A reaction the bot offers on its message, and the command it runs for who reacts. */
export interface ReactionAction {
  readonly key: string;
  readonly command: string;
}

/** A neutral Message in Matrix terms: the `m.notice` content, files, and the reaction menu. */
export interface RenderedEvent {
  readonly content: Content;
  readonly files: readonly FileToUpload[];
  readonly actions: readonly ReactionAction[];
}

/** Where an answer goes in the room: a reply to the command, inside its thread if any. */
export interface Relation {
  /** The event answered (`m.in_reply_to`). */
  readonly replyTo?: string;
  /** The thread root, as an event id or as the outbox key of a bot message. */
  readonly threadRoot?: string;
  readonly threadRootKey?: string;
}

/**
 * What an outbox row of this adapter holds. `txn_id` is chosen when the row is written and
 * used for every attempt, also after a restart: the homeserver answers a repeated
 * transaction id with the first event instead of a second one (spec: Transaction
 * identifiers), so nothing posts twice.
 */
export interface MatrixOutboxPayload {
  readonly room_id: string;
  readonly txn_id: string;
  readonly type: 'm.room.message' | 'm.reaction';
  readonly content: Content;
  readonly relation?: Relation;
  /** For a reaction: the outbox key of the bot message it annotates, and the emoji. */
  readonly annotates_key?: string;
  readonly reaction?: string;
  /** For an `m.file`: the file still to upload; replaced by `content.url` once uploaded. */
  readonly upload?: FileToUpload;
  /** The reactions this message offers (kept to match a reaction with its command). */
  readonly actions?: readonly ReactionAction[];
}

export const roomPrefix = 'matrix:';

export function roomOf(roomId: string): string {
  return `${roomPrefix}${roomId}`;
}
