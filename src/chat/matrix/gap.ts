/**
 * The events of a gap: when a sync is limited (more happened in a room than one sync
 * returns), the events between the previous sync and the new timeline are read back with
 * `GET /rooms/{roomId}/messages` (backwards from the timeline's `prev_batch`), so that no
 * command typed meanwhile is missed.
 */
import { Direction, type MatrixClient } from 'matrix-js-sdk';
import type { InboundEvent } from './inbound.ts';

/** The gap's events up to `lookBackMs` old, oldest first, except the bot's own and encrypted ones. */
export async function readGap(
  client: MatrixClient,
  roomId: string,
  from: string,
  me: string,
  lookBackMs: number,
  roomEncrypted: boolean,
): Promise<InboundEvent[]> {
  const oldest = Date.now() - lookBackMs;
  const found: InboundEvent[] = [];
  let token: string | undefined = from;
  for (let page = 0; page < 20 && token !== undefined; page++) {
    const res = await client.createMessagesRequest(roomId, token, 100, Direction.Backward);
    let done = res.chunk.length === 0;
    for (const raw of res.chunk) {
      if (raw.origin_server_ts < oldest) done = true;
      else if (raw.type !== 'm.room.encrypted' && raw.sender !== me) {
        found.push({
          eventId: raw.event_id,
          roomId,
          sender: raw.sender,
          type: raw.type,
          originTs: raw.origin_server_ts,
          content: raw.content,
          encrypted: false,
          roomEncrypted,
        });
      }
    }
    token = done ? undefined : res.end;
  }
  return found.reverse();
}
