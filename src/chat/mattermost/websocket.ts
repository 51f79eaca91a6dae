/**
 * The bot's WebSocket (Mattermost WebSocket API, /api/v4/websocket) through
 * @mattermost/client's WebSocketClient: it authenticates with `authentication_challenge`,
 * checks that event `seq` numbers rise one by one, pings, and reconnects with backoff and
 * jitter. A missed-message listener must be registered, or the client does not keep its
 * connection id and can loop on "missed websocket event" after a reconnect; it is also where
 * the adapter learns that events were lost and must be read over REST.
 */
import mm from '@mattermost/client';
import type { Logger } from '../../core/logger.ts';
import { asInboundPost, type InboundPost } from './inbound.ts';

export interface SocketTiming {
  readonly minRetryMs?: number;
  readonly jitterMs?: number;
  readonly maxRetryMs?: number;
  readonly pingIntervalMs?: number;
}

export interface SocketOptions extends SocketTiming {
  /** The server's base URL (http or https). */
  readonly url: string;
  readonly token: string;
  readonly log: Logger;
  readonly onPost: (post: InboundPost, meta: { direct: boolean; senderName?: string }) => void;
  /**
   * Authenticated (`hello`): from now on posts arrive here; whatever came before, during a
   * drop or while the bot was stopped, must be read over REST.
   */
  readonly onHello: () => void;
  readonly newWebSocket?: (url: string) => WebSocket;
}

/** The `posted` event: `data.post` is the post as a JSON string (WebSocket API reference). */
export function postFromEvent(
  data: unknown,
): { post: InboundPost; channelType: string; senderName?: string } | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  if (typeof d['post'] !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(d['post']);
  } catch {
    return undefined;
  }
  const post = asInboundPost(parsed);
  if (post === undefined) return undefined;
  const channelType = typeof d['channel_type'] === 'string' ? d['channel_type'] : '';
  const senderName = typeof d['sender_name'] === 'string' ? d['sender_name'] : undefined;
  return { post, channelType, ...(senderName === undefined ? {} : { senderName }) };
}

export class MattermostSocket {
  readonly #o: SocketOptions;
  readonly #client: InstanceType<typeof mm.WebSocketClient>;
  #stopped = false;
  #current: WebSocket | undefined;

  constructor(options: SocketOptions) {
    this.#o = options;
    const make = options.newWebSocket ?? ((url: string) => new WebSocket(url));
    this.#client = new mm.WebSocketClient({
      minWebSocketRetryTime: options.minRetryMs ?? 3000,
      reconnectJitterRange: options.jitterMs ?? 2000,
      maxWebSocketRetryTime: options.maxRetryMs ?? 300_000,
      clientPingInterval: options.pingIntervalMs ?? 30_000,
      newWebSocketFn: (url) => {
        const socket = make(url);
        this.#current = socket;
        socket.addEventListener('open', () => {
          if (this.#stopped) socket.close();
        });
        socket.addEventListener('close', () => {
          // The client schedules a reconnect in its own close handler; undo it once stopped.
          if (this.#stopped) setTimeout(() => this.#client.close(), 0);
        });
        return socket;
      },
    });
    this.#client.addMessageListener((msg) => {
      // WebSocketEvents is a const enum, which verbatimModuleSyntax cannot read: compare its value.
      if ((msg.event as string) === 'hello') {
        options.onHello();
        return;
      }
      if ((msg.event as string) !== 'posted') return;
      const found = postFromEvent(msg.data);
      if (found === undefined) {
        options.log.warn('posted event without a readable post', { seq: msg.seq });
        return;
      }
      options.onPost(found.post, {
        direct: found.channelType === 'D',
        ...(found.senderName === undefined ? {} : { senderName: found.senderName }),
      });
    });
    // Registered so the client keeps its connection id (else it can loop on "missed
    // websocket event"); the catch-up itself starts on every `hello`.
    this.#client.addMissedMessageListener(() => options.log.info('mattermost events were missed'));
    this.#client.addReconnectListener(() => options.log.info('mattermost websocket reconnected'));
    this.#client.addCloseListener((failures) =>
      options.log.warn('mattermost websocket closed', { failures }),
    );
  }

  start(): void {
    const wsUrl = this.#o.url.replace(/^http/, 'ws').replace(/\/+$/, '') + '/api/v4/websocket';
    this.#client.initialize(wsUrl, this.#o.token);
  }

  stop(): void {
    this.#stopped = true;
    this.#client.close();
    this.#current?.close();
  }
}
