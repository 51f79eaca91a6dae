/**
 * Writes the adapter's messages, edits, files and reactions into the durable outbox. Each
 * row gets its transaction id here, derived from its unique key, so every attempt of it
 * (after a 429, a timeout or a restart) is the same transaction for the homeserver.
 */
import { createHash } from 'node:crypto';
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import {
  roomOf,
  type Content,
  type MatrixOutboxPayload,
  type Relation,
  type RenderedEvent,
} from './types.ts';

export function txnIdFor(key: string): string {
  return 'pes' + createHash('sha256').update(key).digest('base64url').slice(0, 32);
}

export class MatrixOutbox {
  readonly #store: OutboxStore;
  readonly #kick: () => void;

  constructor(store: OutboxStore, kick: () => void) {
    this.#store = store;
    this.#kick = kick;
  }

  /** A message, then its files, then the bot's own reactions that make its reaction menu. */
  post(key: string, roomId: string, rendered: RenderedEvent, relation?: Relation): OutboxItem {
    const item = this.#add(key, roomId, 'post', {
      type: 'm.room.message',
      content: rendered.content,
      ...(relation === undefined ? {} : { relation }),
      ...(rendered.actions.length === 0 ? {} : { actions: rendered.actions }),
    });
    this.#extras(key, key, roomId, rendered, relation);
    this.#kick();
    return item;
  }

  /** Replaces the content of the message written under `targetKey` (`m.replace`). */
  edit(
    key: string,
    targetKey: string,
    roomId: string,
    rendered: RenderedEvent,
    options: { notBefore?: Date; relation?: Relation } = {},
  ): OutboxItem {
    const item = this.#add(
      key,
      roomId,
      'patch',
      {
        type: 'm.room.message',
        content: rendered.content,
        actions: rendered.actions,
      },
      targetKey,
      options.notBefore,
    );
    this.#extras(key, targetKey, roomId, rendered, options.relation);
    this.#kick();
    return item;
  }

  /** A plain message with no reaction menu or files (a notice of the adapter itself). */
  notice(key: string, roomId: string, content: Content): OutboxItem {
    const item = this.#add(key, roomId, 'post', { type: 'm.room.message', content });
    this.#kick();
    return item;
  }

  #extras(
    key: string,
    messageKey: string,
    roomId: string,
    rendered: RenderedEvent,
    relation: Relation | undefined,
  ): void {
    rendered.files.forEach((file, i) => {
      this.#add(`${key}:file:${i}`, roomId, 'post', {
        type: 'm.room.message',
        content: {},
        upload: file,
        ...(relation === undefined ? {} : { relation }),
      });
    });
    // Keyed by the message and the emoji: an edit that offers the same reaction again does
    // not react twice.
    for (const action of rendered.actions) {
      this.#add(`${messageKey}:react:${action.key}`, roomId, 'post', {
        type: 'm.reaction',
        content: {},
        annotates_key: messageKey,
        reaction: action.key,
      });
    }
  }

  #add(
    key: string,
    roomId: string,
    kind: 'post' | 'patch',
    body: Omit<MatrixOutboxPayload, 'room_id' | 'txn_id'>,
    targetKey?: string,
    notBefore?: Date,
  ): OutboxItem {
    const payload: MatrixOutboxPayload = { room_id: roomId, txn_id: txnIdFor(key), ...body };
    return this.#store.enqueue({
      key,
      room: roomOf(roomId),
      kind,
      payload: JSON.stringify(payload),
      ...(targetKey === undefined ? {} : { targetKey }),
      ...(notBefore === undefined ? {} : { notBefore }),
    });
  }
}
