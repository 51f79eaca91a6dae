/** Writes the adapter's posts, edits and ephemeral posts into the durable outbox. */
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import type { OutboxPayload, RenderedPost } from './types.ts';

/** The post prop that carries the idempotency key, to find a post whose send had no answer. */
export const keyProp = 'pes_key';

export const roomPrefix = 'mattermost:';

export function roomOf(channelId: string): string {
  return `${roomPrefix}${channelId}`;
}

function payload(
  key: string,
  channelId: string,
  rendered: RenderedPost,
  extra: { root?: string | undefined; userId?: string },
): string {
  const body: OutboxPayload = {
    channel_id: channelId,
    ...(extra.root === undefined || extra.root === '' ? {} : { root_id: extra.root }),
    ...(extra.userId === undefined ? {} : { user_id: extra.userId }),
    message: rendered.message,
    props: { attachments: rendered.attachments, [keyProp]: key },
    ...(rendered.files.length === 0 ? {} : { files: rendered.files }),
  };
  return JSON.stringify(body);
}

export class MattermostOutbox {
  readonly #store: OutboxStore;
  readonly #kick: () => void;

  constructor(store: OutboxStore, kick: () => void) {
    this.#store = store;
    this.#kick = kick;
  }

  post(key: string, channelId: string, rendered: RenderedPost, root?: string): OutboxItem {
    return this.#add({
      key,
      room: roomOf(channelId),
      kind: 'post',
      payload: payload(key, channelId, rendered, { root }),
    });
  }

  /** Edits the post written under `targetKey`, not before `notBefore`. */
  patch(
    key: string,
    targetKey: string,
    channelId: string,
    rendered: RenderedPost,
    notBefore?: Date,
  ): OutboxItem {
    return this.#add({
      key,
      room: roomOf(channelId),
      kind: 'patch',
      targetKey,
      payload: payload(targetKey, channelId, rendered, {}),
      ...(notBefore === undefined ? {} : { notBefore }),
    });
  }

  /** A post only `userId` sees (and that Mattermost does not keep). */
  ephemeral(
    key: string,
    userId: string,
    channelId: string,
    rendered: RenderedPost,
    root?: string,
  ): OutboxItem {
    return this.#add({
      key,
      room: roomOf(channelId),
      kind: 'ephemeral',
      payload: payload(key, channelId, rendered, { root, userId }),
    });
  }

  /** The row written under `key`, if any (e.g. a prompt post to edit once decided). */
  find(key: string): OutboxItem | undefined {
    return this.#store.byKey(key);
  }

  #add(item: Parameters<OutboxStore['enqueue']>[0]): OutboxItem {
    const stored = this.#store.enqueue(item);
    this.#kick();
    return stored;
  }
}
