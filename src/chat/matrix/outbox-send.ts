/**
 * One outbox item sent to the homeserver: a message (its file uploaded first), an edit of a
 * message sent earlier, or a reaction to one. Every attempt of an item uses its stored
 * transaction id, so a send whose answer was lost is not posted a second time (spec:
 * Transaction identifiers).
 */
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import type { MatrixSender } from './client.ts';
import { fileContent } from './render.ts';
import type { Content, MatrixOutboxPayload } from './types.ts';

export interface SendContext {
  readonly store: OutboxStore;
  readonly sender: MatrixSender;
}

/** The event of an edit (spec: Event replacements): a fallback body and `m.new_content`. */
export function editContent(eventId: string, content: Content): Content {
  const fallback = (value: unknown): unknown => (typeof value === 'string' ? `* ${value}` : value);
  return {
    ...content,
    body: fallback(content['body']),
    ...(content['formatted_body'] === undefined
      ? {}
      : { formatted_body: fallback(content['formatted_body']) }),
    'm.new_content': content,
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
    // Nobody is newly mentioned by an edit of the bot's message.
    'm.mentions': {},
  };
}

/** The event id the row stands for (an edit: the edited event), or undefined if settled. */
export async function sendItem(item: OutboxItem, ctx: SendContext): Promise<string | undefined> {
  const { store, sender } = ctx;
  let payload = JSON.parse(item.payload) as MatrixOutboxPayload;
  if (item.kind === 'patch') {
    const target = item.targetKey === undefined ? undefined : store.byKey(item.targetKey);
    if (target?.remoteId === undefined) {
      store.fail(item.id, `the message it edits (${item.targetKey ?? '?'}) was never sent`);
      return undefined;
    }
    // Only the newest edit of a message matters; older ones still queued are skipped.
    if (store.hasLaterPatch(item)) {
      store.supersede(item.id);
      return undefined;
    }
    store.markSending(item.id);
    const content = editContent(target.remoteId, payload.content);
    await sender.send(payload.room_id, payload.type, payload.txn_id, content);
    return target.remoteId;
  }
  if (payload.type === 'm.reaction') {
    const key = payload.annotates_key;
    const target = key === undefined ? undefined : store.byKey(key);
    const emoji = payload.reaction;
    if (target?.remoteId === undefined || emoji === undefined) {
      store.fail(item.id, `the message it annotates (${key ?? '?'}) was never sent`);
      return undefined;
    }
    store.markSending(item.id);
    const content = {
      'm.relates_to': { rel_type: 'm.annotation', event_id: target.remoteId, key: emoji },
    };
    return sender.send(payload.room_id, 'm.reaction', payload.txn_id, content);
  }
  if (payload.upload !== undefined) {
    // Uploaded once; the stored row then carries the mxc URI, so a retry does not upload again.
    const ref = await sender.upload(payload.room_id, payload.upload);
    const { upload, ...rest } = payload;
    payload = { ...rest, content: fileContent(upload, ref) };
    store.updatePayload(item.id, JSON.stringify(payload));
  }
  store.markSending(item.id);
  const content = { ...payload.content, ...relatesTo(payload, store) };
  return sender.send(payload.room_id, payload.type, payload.txn_id, content);
}

/** `m.relates_to` for a reply, in a thread when there is one (spec: Threading, Rich replies). */
function relatesTo(payload: MatrixOutboxPayload, store: OutboxStore): Content {
  const r = payload.relation;
  if (r === undefined) return {};
  const root =
    r.threadRoot ??
    (r.threadRootKey === undefined ? undefined : store.byKey(r.threadRootKey)?.remoteId);
  if (root !== undefined) {
    return {
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: root,
        is_falling_back: r.replyTo === undefined,
        'm.in_reply_to': { event_id: r.replyTo ?? root },
      },
    };
  }
  if (r.replyTo !== undefined)
    return { 'm.relates_to': { 'm.in_reply_to': { event_id: r.replyTo } } };
  return {};
}
