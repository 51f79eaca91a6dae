/**
 * Alert posts for Matrix rooms, written into the Matrix outbox inside the delivery's
 * transaction: the root of a group as an `m.notice` whose reaction menu acknowledges (👀) and
 * silences (1️⃣ 2️⃣ 3️⃣), later notifications as replies in its thread (`m.thread`), and the
 * root edited (`m.replace`) with the group's current state.
 *
 * Mentions come only from the configuration: `@user:server` entries notify those people
 * through `m.mentions.user_ids`, `channelOnCritical` the whole room (`m.mentions.room`);
 * other entries (Mattermost names) are shown but notify nobody.
 */
import type { Locale } from '../core/i18n.ts';
import type { Message } from '../core/message.ts';
import type { OutboxStore } from '../core/outbox.ts';
import { escapeHtml } from '../chat/matrix/html.ts';
import { MatrixOutbox } from '../chat/matrix/outbox-writer.ts';
import { renderMessage } from '../chat/matrix/render.ts';
import type { RenderedEvent } from '../chat/matrix/types.ts';

const matrixUser = /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.:-]+$/;

/** The mention line above the alert, and the `m.mentions` it carries. */
export function withMentions(rendered: RenderedEvent, line: string): RenderedEvent {
  if (line === '') return rendered;
  const words = line.split(/\s+/).filter((w) => w !== '');
  const room = words.includes('@channel');
  const userIds = words.filter((w) => matrixUser.test(w));
  const shown = words.map((w) => (w === '@channel' ? '@room' : w)).join(' ');
  const { content } = rendered;
  return {
    ...rendered,
    content: {
      ...content,
      body: `${shown}\n${String(content['body'])}`,
      formatted_body: `${escapeHtml(shown)}<br>${String(content['formatted_body'])}`,
      'm.mentions': {
        ...(userIds.length === 0 ? {} : { user_ids: userIds }),
        ...(room ? { room: true } : {}),
      },
    },
  };
}

export class MatrixAlertWriter {
  readonly #outbox: MatrixOutbox;

  constructor(store: OutboxStore) {
    // The delivery wakes the dispatcher itself once its transaction is committed.
    this.#outbox = new MatrixOutbox(store, () => undefined);
  }

  post(
    key: string,
    room: string,
    message: Message,
    mentions: string,
    locale: Locale,
    rootKey?: string,
  ): void {
    const roomId = room.slice('matrix:'.length);
    const rendered = withMentions(renderMessage(message, locale), mentions);
    // Thread replies get no reaction menu: the root carries the buttons.
    const body = rootKey === undefined ? rendered : { ...rendered, actions: [] };
    this.#outbox.post(
      key,
      roomId,
      body,
      rootKey === undefined ? undefined : { threadRootKey: rootKey },
    );
  }

  patch(
    key: string,
    targetKey: string,
    room: string,
    message: Message,
    mentions: string,
    locale: Locale,
    notBefore?: Date,
  ): void {
    const roomId = room.slice('matrix:'.length);
    const rendered = withMentions(renderMessage(message, locale), mentions);
    // An edit notifies nobody again (spec: m.mentions in replacement events).
    this.#outbox.edit(
      key,
      targetKey,
      roomId,
      { ...rendered, content: { ...rendered.content, 'm.mentions': {} } },
      notBefore === undefined ? {} : { notBefore },
    );
  }
}
