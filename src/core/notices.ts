/**
 * Messages nobody typed a command for — an approval card in the admins' room, a teacher told
 * that their request was decided — and edits of them. In `pes serve` they go through the
 * messengers' outboxes (posted once per key); a room no messenger serves is logged and
 * skipped, never an error of the work that said it.
 */
import type { Message } from './message.ts';

export interface Notices {
  /** Posts `message` into `room` once per `key`. */
  post(room: string, message: Message, key: string): void;
  /** Replaces what the message posted under `key` says; `revision` makes each edit unique. */
  edit(room: string, message: Message, key: string, revision: string): void;
}

export const noNotices: Notices = {
  post: () => undefined,
  edit: () => undefined,
};
