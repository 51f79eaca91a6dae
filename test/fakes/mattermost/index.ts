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
 * command, `click` presses a button of a post as the person's client shows it (`view` keeps a
 * post as it was loaded); faults (`rest.faults`, `rest.limiter`, `dropSockets`) are injected
 * where a real server would fail. It is no kinder than the server: a click is resolved on the
 * post as it is now, ephemeral posts need a granted permission (`data.grant`), and the
 * limiter counts every request. `forgeClick` is what someone without Mattermost could send.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeRest } from './rest.ts';
import {
  FakeData,
  newId,
  publicPost,
  type FakeChannel,
  type FakePost,
  type FakeUser,
} from './state.ts';
import { FakeSocketServer } from './websocket.ts';

export { visibleText } from './rest.ts';
export type { FakeChannel, FakePost, FakeUser } from './state.ts';

export interface HttpResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
  /** For a click: the HTTP status the integration answered with, if it was reached. */
  readonly integrationStatus?: number;
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
  /** Clicks the server refused itself (the action is no longer on the post): never sent on. */
  readonly refusedClicks: {
    readonly user: string;
    readonly postId: string;
    readonly actionId: string;
  }[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      this.rest.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    this.#server.on('upgrade', (req, socket, head) => {
      // The raw socket of an upgrade has no error listener (Node's http docs, event 'upgrade'):
      // a client that hangs up on a refusal (a reset while the 429 is written) must not end
      // the process with an unhandled ECONNRESET.
      socket.on('error', () => socket.destroy());
      if (new URL(req.url ?? '/', 'http://fake').pathname === '/api/v4/websocket') {
        const limited = this.rest.limitedUpgrade();
        if (limited !== undefined) {
          socket.end(
            `HTTP/1.1 429 Too Many Requests\r\nretry-after: ${limited.retryAfter}\r\n` +
              'content-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n' +
              'limit exceeded\n',
          );
          return;
        }
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

  /**
   * A person clicks a button of a post as their client shows it, which may be older than the
   * post now is. As the server does (server/channels/app/integration_action.go,
   * DoPostActionWithCookie): the client sends only the post id and the action id; the server
   * looks the action id up in the post as it is NOW, answers 404
   * (`api.post.do_action.action_id.app_error`) when it is not there, else POSTs that action's
   * integration context to its URL. An integration answer other than 200 becomes a 400 for the
   * client and its body is dropped (DoActionRequest); a 200 answer's `update` replaces the post
   * and its `ephemeral_text` is shown to the clicker only.
   *
   * `which` is the action's index in the post as shown, or its id. The result's `body` is the
   * integration's answer (for the test to read), `integrationStatus` its HTTP status.
   */
  async click(
    user: FakeUser,
    shown: Pick<FakePost, 'id' | 'props'>,
    which: number | string = 0,
  ): Promise<HttpResult> {
    const actionsOf = (post: Pick<FakePost, 'props'>): Action[] => {
      const attachments = (post.props['attachments'] ?? []) as { actions?: Action[] }[];
      return attachments.flatMap((a) => a.actions ?? []);
    };
    const shownActions = actionsOf(shown);
    const id = typeof which === 'string' ? which : shownActions[which]?.id;
    if (id === undefined) throw new Error(`post ${shown.id} shows no action ${String(which)}`);
    const started = performance.now();
    const post = this.data.post(shown.id);
    const action = post === undefined ? undefined : actionsOf(post).find((a) => a.id === id);
    if (post === undefined || action === undefined) {
      this.refusedClicks.push({ user: user.id, postId: shown.id, actionId: id });
      const ms = performance.now() - started;
      const code =
        post === undefined ? 'app.post.get.app_error' : 'api.post.do_action.action_id.app_error';
      return { status: 404, body: { id: code, status_code: 404 }, ms };
    }
    const channel = this.data.channels.get(post.channel_id);
    const result = await this.forgeClick(action.integration.url, {
      user_id: user.id,
      user_name: user.username,
      channel_id: post.channel_id,
      channel_name: channel?.name ?? '',
      team_id: channel?.team_id ?? '',
      team_domain: 'pes',
      post_id: post.id,
      trigger_id: newId(),
      type: '',
      data_source: '',
      context: action.integration.context,
    });
    if (result.status !== 200) {
      return {
        status: 400,
        body: { id: 'api.post.do_action.action_integration.app_error', status_code: 400 },
        ms: result.ms,
        integrationStatus: result.status,
      };
    }
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
    return { ...result, integrationStatus: 200 };
  }

  /**
   * A request straight to an integration URL, as anyone who can reach the bot could send it
   * without Mattermost in between (to test what the bot accepts).
   */
  async forgeClick(url: string, body: Record<string, unknown>): Promise<HttpResult> {
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return this.#result(response, started);
  }

  /** The post as a client loaded it (buttons without their integration), to click later. */
  view(post: FakePost): FakePost {
    return publicPost(post);
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
