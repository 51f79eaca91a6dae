/**
 * Event contents as clients build them, after https://spec.matrix.org/v1.13/client-server-api/:
 * #mroommessage / #mtext (`body`, optional `format: org.matrix.custom.html` + `formatted_body`),
 * #user-and-room-mentions (`m.mentions`), #rich-replies (`m.in_reply_to`),
 * #event-annotations-and-reactions (`m.annotation` with `key`), #event-replacements
 * (`m.replace`, `m.new_content`, a `* ` fallback body) and #threading (`m.thread` with
 * `is_falling_back` and an `m.in_reply_to` to the latest event of the thread).
 */
import type { EventRef, JsonObject, TextOptions } from './types.ts';

export const eventIdOf = (event: EventRef): string =>
  typeof event === 'string' ? event : event.event_id;

/** An `m.room.message`. */
export function textContent(body: string, options: TextOptions = {}): JsonObject {
  const content: JsonObject = { msgtype: options.msgtype ?? 'm.text', body };
  if (options.html !== undefined) {
    content['format'] = 'org.matrix.custom.html';
    content['formatted_body'] = options.html;
  }
  if (options.mentions !== undefined) {
    content['m.mentions'] = {
      ...(options.mentions.user_ids === undefined
        ? {}
        : { user_ids: [...options.mentions.user_ids] }),
      ...(options.mentions.room === undefined ? {} : { room: options.mentions.room }),
    };
  }
  if (options.replyTo !== undefined) {
    content['m.relates_to'] = { 'm.in_reply_to': { event_id: eventIdOf(options.replyTo) } };
  }
  return content;
}

export function reactionContent(target: EventRef, key: string): JsonObject {
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventIdOf(target), key } };
}

export function editContent(target: EventRef, body: string, options: TextOptions = {}): JsonObject {
  const plain = { ...options, replyTo: undefined };
  const fallback = textContent(`* ${body}`, {
    ...plain,
    ...(options.html === undefined ? {} : { html: `* ${options.html}` }),
  });
  return {
    ...fallback,
    'm.new_content': textContent(body, plain),
    'm.relates_to': { rel_type: 'm.replace', event_id: eventIdOf(target) },
  };
}

/** A thread reply; `latest` is the thread's latest event, the fallback reply target. */
export function threadContent(
  root: EventRef,
  latest: string,
  body: string,
  options: TextOptions = {},
): JsonObject {
  return {
    ...textContent(body, { ...options, replyTo: undefined }),
    'm.relates_to': {
      rel_type: 'm.thread',
      event_id: eventIdOf(root),
      is_falling_back: options.replyTo === undefined,
      'm.in_reply_to': {
        event_id: options.replyTo === undefined ? latest : eventIdOf(options.replyTo),
      },
    },
  };
}
