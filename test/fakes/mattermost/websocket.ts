/**
 * The fake's WebSocket API (Mattermost WebSocket API reference,
 * https://developers.mattermost.com/api-documentation/#/#websocket, and
 * https://api.mattermost.com/#tag/WebSocket): the client authenticates with an
 * `authentication_challenge` action and gets `{status: "OK", seq_reply}`, then a `hello`
 * event at seq 0 with a new `connection_id` (a socket authenticated this way is never
 * resumed, so missed events are not replayed). Every event carries a `seq` that rises by one
 * per connection; `posted` carries the post as a JSON string in `data.post`; a `ping` action
 * is answered with `{status: "OK", seq_reply, data: {text: "pong"}}`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { newId, publicPost, type FakeData, type FakePost, type FakeUser } from './state.ts';

interface Connection {
  readonly socket: WebSocket;
  readonly connectionId: string;
  user: FakeUser | undefined;
  seq: number;
}

export class FakeSocketServer {
  readonly #data: FakeData;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #connections = new Set<Connection>();
  /** While true, new sockets are refused (the server is "down" for WebSockets). */
  refusing = false;
  /** Counters a test can read: how often the client connected and authenticated. */
  readonly stats = { upgrades: 0, authentications: 0, pings: 0 };

  constructor(data: FakeData) {
    this.#data = data;
  }

  /** Handles an HTTP upgrade to /api/v4/websocket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.stats.upgrades++;
    if (this.refusing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws));
  }

  #open(socket: WebSocket): void {
    const connection: Connection = { socket, connectionId: newId(), user: undefined, seq: 0 };
    this.#connections.add(connection);
    socket.on('close', () => this.#connections.delete(connection));
    socket.on('message', (raw: Buffer) => this.#onMessage(connection, raw.toString('utf8')));
  }

  #onMessage(connection: Connection, text: string): void {
    let msg: { action?: unknown; seq?: unknown; data?: { token?: unknown } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    const seqReply = typeof msg.seq === 'number' ? msg.seq : 0;
    const reply = (body: Record<string, unknown>): void =>
      connection.socket.send(JSON.stringify({ ...body, seq_reply: seqReply }));
    if (msg.action === 'authentication_challenge') {
      const token = typeof msg.data?.token === 'string' ? msg.data.token : '';
      const user = this.#data.userByToken(token);
      if (user === undefined) {
        reply({
          status: 'FAIL',
          error: { id: 'api.web_socket_router.not_authenticated.app_error' },
        });
        connection.socket.close();
        return;
      }
      this.stats.authentications++;
      connection.user = user;
      reply({ status: 'OK' });
      this.#send(connection, 'hello', {
        connection_id: connection.connectionId,
        server_version: '10.5.0.fake',
        server_hostname: 'fake',
      });
      return;
    }
    if (connection.user === undefined) return;
    if (msg.action === 'ping') {
      this.stats.pings++;
      reply({
        status: 'OK',
        data: { text: 'pong', version: '10.5.0.fake', server_time: Date.now() },
      });
      return;
    }
    reply({ status: 'OK' });
  }

  #send(
    connection: Connection,
    event: string,
    data: Record<string, unknown>,
    channelId = '',
  ): void {
    const broadcast = {
      omit_users: null,
      user_id: connection.user?.id ?? '',
      channel_id: channelId,
      team_id: '',
    };
    connection.socket.send(JSON.stringify({ event, data, broadcast, seq: connection.seq++ }));
  }

  /** Sends `posted` to every authenticated member of the post's channel. */
  posted(post: FakePost): void {
    const channel = this.#data.channels.get(post.channel_id);
    if (channel === undefined) return;
    const sender = this.#data.users.get(post.user_id);
    const mentions = [...this.#data.users.values()]
      .filter((u) => post.message.includes(`@${u.username}`))
      .map((u) => u.id);
    for (const connection of this.#connections) {
      if (connection.user === undefined || !channel.members.has(connection.user.id)) continue;
      this.#send(
        connection,
        'posted',
        {
          channel_display_name: channel.display_name,
          channel_name: channel.name,
          channel_type: channel.type,
          post: JSON.stringify(publicPost(post)),
          sender_name: `@${sender?.username ?? 'unknown'}`,
          set_online: true,
          team_id: channel.team_id,
          ...(mentions.length === 0 ? {} : { mentions: JSON.stringify(mentions) }),
        },
        channel.id,
      );
    }
  }

  /** Sends `post_edited` (the post as a JSON string too). */
  edited(post: FakePost): void {
    const channel = this.#data.channels.get(post.channel_id);
    for (const connection of this.#connections) {
      if (connection.user === undefined || channel?.members.has(connection.user.id) !== true)
        continue;
      this.#send(
        connection,
        'post_edited',
        { post: JSON.stringify(publicPost(post)) },
        post.channel_id,
      );
    }
  }

  /** Cuts every connection without a close frame, as a network failure does. */
  dropAll(): void {
    for (const connection of this.#connections) connection.socket.terminate();
    this.#connections.clear();
  }

  get connected(): number {
    return [...this.#connections].filter((c) => c.user !== undefined).length;
  }

  close(): void {
    this.dropAll();
    this.#wss.close();
  }
}
