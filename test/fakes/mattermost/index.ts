/**
 * A fake Mattermost server for tests, on 127.0.0.1 only. It follows the Mattermost API v4
 * reference (https://api.mattermost.com/), the WebSocket API
 * (https://developers.mattermost.com/integrate/reference/websocket/ ), Slash Commands
 * (https://developers.mattermost.com/integrate/slash-commands/custom/ : form-encoded POST
 * or GET with token, team_id, team_domain, channel_id, channel_name, user_id, user_name,
 * command, text, trigger_id, response_url, and `Authorization: Token …`) and Interactive
 * Messages (https://developers.mattermost.com/integrate/plugins/interactive-messages/ : a
 * click POSTs JSON with user_id, user_name, channel_id, post_id, context…; the answer's
 * `update` replaces the post, `ephemeral_text` is shown to the clicker only).
 *
 * Tests drive it as Mattermost's users would: `say` posts as a person, `slash` types a slash
 * command, `click` presses a button; faults (`rest.faults`, `rest.limiter`, `dropSockets`)
 * are injected where a real server would fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeRest } from './rest.ts';
import { FakeData, newId, type FakeChannel, type FakePost, type FakeUser } from './state.ts';
import { FakeSocketServer } from './websocket.ts';

export { visibleText } from './rest.ts';
export type { FakeChannel, FakePost, FakeUser } from './state.ts';

export interface HttpResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

interface Action {
  readonly id: string;
  readonly integration: { readonly url: string; readonly context: unknown };
}

export class FakeMattermost {
  readonly data = new FakeData();
  readonly sockets = new FakeSocketServer(this.data);
  readonly rest = new FakeRest(this.data, this.sockets);
  /** Ephemeral slash answers and click answers, as the person saw them. */
  readonly seen: { readonly user: string; readonly text: string }[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      this.rest.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    this.#server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://fake').pathname === '/api/v4/websocket') {
        this.sockets.upgrade(req, socket, head);
      } else {
        socket.destroy();
      }
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.sockets.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get bot(): FakeUser {
    return this.data.bot;
  }

  /** A person posts in a channel (or a thread), as a user of the web app would. */
  say(user: FakeUser, channel: FakeChannel, message: string, rootId = ''): FakePost {
    return this.rest.addPost(user, channel.id, message, { rootId });
  }

  /** Cuts the bot's WebSocket; while `refuse` is true new sockets are refused too. */
  dropSockets(refuse = false): void {
    this.sockets.refusing = refuse;
    this.sockets.dropAll();
  }

  acceptSockets(): void {
    this.sockets.refusing = false;
  }

  /** A person types `/pes <text>`: the request Mattermost sends to the command's URL. */
  async slash(
    commandUrl: string,
    token: string,
    user: FakeUser,
    channel: FakeChannel,
    text: string,
    options: {
      method?: 'POST' | 'GET';
      tokenIn?: 'form' | 'header' | 'both';
      /**
       * Typed in a thread. Mattermost sends `root_id` with the command from its master
       * branch on (after 10.11); older servers send no thread id at all.
       */
      rootId?: string;
    } = {},
  ): Promise<HttpResult> {
    const tokenIn = options.tokenIn ?? 'both';
    const form = new URLSearchParams({
      ...(tokenIn === 'header' ? {} : { token }),
      team_id: this.data.teamId,
      team_domain: 'pes',
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: user.id,
      user_name: user.username,
      command: '/pes',
      text,
      trigger_id: newId(),
      response_url: `${this.url}/hooks/commands/${newId()}`,
      ...(options.rootId === undefined ? {} : { root_id: options.rootId }),
    });
    const headers: Record<string, string> =
      tokenIn === 'form' ? {} : { authorization: `Token ${token}` };
    const started = performance.now();
    const response =
      options.method === 'GET'
        ? await fetch(`${commandUrl}?${form.toString()}`, { headers })
        : await fetch(commandUrl, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
          });
    const result = await this.#result(response, started);
    if (result.status === 200) this.#showCommandResponse(user, channel, result.body);
    return result;
  }

  /** What Mattermost does with a slash answer: in_channel becomes a post, else only the user sees it. */
  #showCommandResponse(user: FakeUser, channel: FakeChannel, body: Record<string, unknown>): void {
    const text = typeof body['text'] === 'string' ? body['text'] : '';
    const attachments = Array.isArray(body['attachments']) ? body['attachments'] : [];
    if (text === '' && attachments.length === 0) return;
    if (body['response_type'] === 'in_channel') {
      this.rest.addPost(user, channel.id, text, { props: { attachments, from_webhook: 'true' } });
    } else {
      const shown = [
        text,
        ...attachments.map(
          (a: { text?: string; title?: string }) => `${a.title ?? ''} ${a.text ?? ''}`,
        ),
      ];
      this.seen.push({ user: user.id, text: shown.join('\n') });
    }
  }

  /** A person clicks a button of a post (by action index), as the web app does. */
  async click(
    user: FakeUser,
    post: FakePost,
    index = 0,
    contextOverride?: unknown,
  ): Promise<HttpResult> {
    const attachments = (post.props['attachments'] ?? []) as { actions?: Action[] }[];
    const action = attachments.flatMap((a) => a.actions ?? [])[index];
    if (action === undefined) throw new Error(`post ${post.id} has no action ${index}`);
    const channel = this.data.channels.get(post.channel_id);
    const started = performance.now();
    const response = await fetch(action.integration.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user_id: user.id,
        user_name: user.username,
        channel_id: post.channel_id,
        channel_name: channel?.name ?? '',
        team_id: this.data.teamId,
        team_domain: 'pes',
        post_id: post.id,
        trigger_id: newId(),
        type: '',
        data_source: '',
        context: contextOverride ?? action.integration.context,
      }),
    });
    const result = await this.#result(response, started);
    if (result.status !== 200) return result;
    const update = result.body['update'] as
      { message?: string; props?: Record<string, unknown> } | undefined;
    if (update !== undefined) {
      if (update.message !== undefined) post.message = update.message;
      if (update.props !== undefined) post.props = update.props;
      post.edit_at = post.update_at = this.data.now();
      this.sockets.edited(post);
    }
    const ephemeral = result.body['ephemeral_text'];
    if (typeof ephemeral === 'string' && ephemeral !== '')
      this.seen.push({ user: user.id, text: ephemeral });
    return result;
  }

  async #result(response: Response, started: number): Promise<HttpResult> {
    const text = await response.text();
    const ms = performance.now() - started;
    let body: Record<string, unknown>;
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { raw: text };
    }
    return { status: response.status, body, ms };
  }
}
