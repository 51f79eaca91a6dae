/**
 * What comes in from Matrix, checked and turned into plain values: the command in a message,
 * the reaction on a bot message, and whether an invitation is accepted.
 */
import type { Content, MatrixSettings } from './types.ts';

/** A command longer than this is refused without being parsed (commands are one line). */
export const maxCommandBytes = 8192;

/** The parts of a room event the adapter reads (client-server API, "Room events"). */
export interface InboundEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly type: string;
  readonly originTs: number;
  readonly content: Content;
  /** It came as `m.room.encrypted` and was decrypted by the bot. */
  readonly encrypted: boolean;
  /** Its room has end-to-end encryption on. */
  readonly roomEncrypted: boolean;
}

/**
 * An event that came in clear text into an encrypted room. Whoever runs the homeserver can
 * put such an event into any room under any member's name; only an encrypted one shows that
 * it was written by a device holding the room's keys. So in an encrypted room clear text is
 * never taken as a command, nor a reaction as a decision.
 */
export function unencryptedInEncryptedRoom(event: InboundEvent): boolean {
  return event.roomEncrypted && !event.encrypted;
}

export interface TextMessage {
  readonly body: string;
  /** The thread the message is in (`m.thread`), to answer there. */
  readonly threadRoot: string | undefined;
}

function relatesTo(content: Content): Record<string, unknown> | undefined {
  const r = content['m.relates_to'];
  return typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : undefined;
}

/**
 * A message a person typed: `m.text` (or `m.emote`) that is not an edit. Notices are never
 * commands: bots send them, and answering a bot's notice could loop (spec: m.notice).
 */
export function textMessage(event: InboundEvent): TextMessage | undefined {
  if (event.type !== 'm.room.message') return undefined;
  const { msgtype, body } = event.content;
  if ((msgtype !== 'm.text' && msgtype !== 'm.emote') || typeof body !== 'string') return undefined;
  const rel = relatesTo(event.content);
  if (rel?.['rel_type'] === 'm.replace') return undefined;
  const threadRoot =
    rel?.['rel_type'] === 'm.thread' && typeof rel['event_id'] === 'string'
      ? rel['event_id']
      : undefined;
  return { body: stripReplyFallback(body), threadRoot };
}

/** Older clients quote the message answered to as `> ` lines before a blank line. */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith('> ')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]?.startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

/**
 * The command in a message, or undefined when it is not for the bot: in a room it must start
 * with `!pes`; in a direct chat every message is one (a leading `!pes` or `pes` is dropped).
 */
export function commandIn(body: string, direct: boolean): string | undefined {
  const prefixed = /^\s*!pes(?:\s+|$)/i.exec(body);
  if (prefixed !== null) return body.slice(prefixed[0].length).trim();
  if (!direct) return undefined;
  return body.replace(/^\s*\/?pes(?:\s+|$)/i, '').trim();
}

/** A reaction (`m.annotation`): the event it annotates and its key. */
export function reactionOf(event: InboundEvent): { target: string; key: string } | undefined {
  if (event.type !== 'm.reaction') return undefined;
  const rel = relatesTo(event.content);
  if (rel?.['rel_type'] !== 'm.annotation') return undefined;
  const target = rel['event_id'];
  const key = rel['key'];
  if (typeof target !== 'string' || typeof key !== 'string') return undefined;
  return { target, key };
}

/** Invitations are accepted from allowed people, or into allowed rooms; deny by default. */
export function acceptsInvite(
  settings: Pick<MatrixSettings, 'allowedInviters' | 'allowedRooms'>,
  inviter: string | undefined,
  roomId: string,
): boolean {
  return (
    settings.allowedRooms.includes(roomId) ||
    (inviter !== undefined && settings.allowedInviters.includes(inviter))
  );
}

/** Whether commands are taken in this room: direct chats always, others by config. */
export function isServed(
  settings: Pick<MatrixSettings, 'rooms'>,
  roomId: string,
  direct: boolean,
): boolean {
  return direct || settings.rooms.length === 0 || settings.rooms.includes(roomId);
}
