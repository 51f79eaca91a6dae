/**
 * The bot listening in Mattermost: who it is (asked once, with backoff: a token login, no
 * password, no login storm), the WebSocket, and after each (re)connection a catch-up over
 * REST of what it missed, so every command posted meanwhile is answered exactly once (the
 * Conversation's claims see to "once").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logger.ts';
import type { SqliteMattermostSeen } from '../../store/mattermost-seen-repo.ts';
import { catchUp } from './catch-up.ts';
import { retryAfterOf, type MattermostClient } from './client.ts';
import type { BotUser, Conversation } from './conversation.ts';
import type { MattermostSettings } from './types.ts';
import { MattermostSocket, type SocketTiming } from './websocket.ts';

/** How soon a catch-up that could not read every channel runs again. */
const catchUpRetryMs = 30_000;

type Post = Parameters<Conversation['handle']>[0];
type PostMeta = Parameters<Conversation['handle']>[1];

export interface ListenerDeps {
  readonly settings: MattermostSettings;
  readonly client: MattermostClient;
  readonly conversation: Conversation;
  readonly seen: SqliteMattermostSeen;
  readonly log: Logger;
  readonly timing: SocketTiming;
  readonly newWebSocket?: (url: string) => WebSocket;
  /** Told once who the bot is. */
  readonly identified: (me: BotUser) => void;
}

export class MattermostListener {
  readonly #d: ListenerDeps;
  readonly #socket: MattermostSocket;
  #me: BotUser | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();
  #retryTimer: NodeJS.Timeout | undefined;
  #catchingUp: Promise<void> | undefined;
  #catchUpAgain = false;
  #lastConnectedAt = Date.now();

  constructor(deps: ListenerDeps) {
    this.#d = deps;
    this.#socket = new MattermostSocket({
      url: deps.settings.url,
      token: deps.settings.botToken,
      log: deps.log,
      ...deps.timing,
      ...(deps.newWebSocket === undefined ? {} : { newWebSocket: deps.newWebSocket }),
      onPost: (post, meta) => {
        this.#lastConnectedAt = Date.now();
        this.#handle(post, meta);
      },
      onHello: () => this.#resync(),
    });
  }

  get me(): BotUser | undefined {
    return this.#me;
  }

  /** Returns at once: the server may be down for now. */
  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    clearTimeout(this.#retryTimer);
    this.#socket.stop();
    await this.#catchingUp;
  }

  /** Resolves once a catch-up that is running (if any) has finished. */
  async settled(): Promise<void> {
    while (this.#catchingUp !== undefined) await this.#catchingUp;
  }

  async #connect(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const me = await this.#d.client.getMe();
        this.#me = { id: me.id, username: me.username };
        this.#d.identified(this.#me);
        break;
      } catch (error) {
        // A 429 says how long to wait (the limiter counts GETs too); anything else backs off.
        const wait =
          retryAfterOf(error) ?? Math.min(60_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.#d.log.warn('cannot reach mattermost; retrying', { error, waitMs: Math.round(wait) });
        await this.#pause(wait);
      }
    }
    if (this.#stopped) return;
    // The catch-up starts at the socket's `hello`, so nothing falls between the two.
    this.#socket.start();
  }

  /** Waits, or less when the listener stops meanwhile. */
  async #pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#stopping.signal, ref: false });
    } catch {
      // Stopped: the caller sees #stopped and ends.
    }
  }

  /** Starts handling a post; its claim is taken at once, the command runs on. */
  #handle(post: Post, meta: PostMeta): void {
    const me = this.#me;
    if (me === undefined) return;
    this.#d.conversation.handle(post, meta, me).catch((error: unknown) => {
      this.#d.log.error('handling a post failed', { error, post: post.id });
    });
  }

  /** One catch-up at a time; a request during one runs another right after it. */
  #resync(): void {
    if (this.#catchingUp !== undefined) {
      this.#catchUpAgain = true;
      return;
    }
    this.#catchingUp = this.#runCatchUp().finally(() => {
      this.#catchingUp = undefined;
      if (this.#catchUpAgain && !this.#stopped) {
        this.#catchUpAgain = false;
        this.#resync();
      }
    });
  }

  async #runCatchUp(): Promise<void> {
    const me = this.#me;
    if (me === undefined || this.#stopped) return;
    const now = Date.now();
    const { handled, unread } = await catchUp(
      {
        client: this.#d.client,
        settings: this.#d.settings,
        channels: () => this.#d.seen.channels(),
        handle: (post, direct) => {
          this.#handle(post, { direct });
          return Promise.resolve();
        },
        log: this.#d.log,
        pause: (ms) => this.#pause(ms),
        stopped: () => this.#stopped,
      },
      now,
      this.#lastConnectedAt - 60_000,
    );
    this.#d.seen.prune(now - 2 * 24 * 60 * 60 * 1000);
    this.#d.log.info('mattermost catch-up done', { posts: handled, unread });
    // A channel that could not be read is read again later (claims keep every command to one
    // answer), rather than its commands waiting for the next reconnect.
    if (unread > 0 && !this.#stopped) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#resync(), catchUpRetryMs);
      this.#retryTimer.unref();
    }
  }
}
