/**
 * The Mattermost front end, wired: the bot account's REST client, the outbox and its
 * dispatcher, the listener (WebSocket and catch-up, listener.ts), and the slash and button
 * handlers the HTTP routes call.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Bot } from '../../core/bot.ts';
import type { Logger } from '../../core/logger.ts';
import type { Message } from '../../core/message.ts';
import { SqliteMattermostSeen } from '../../store/mattermost-seen-repo.ts';
import { SqliteOutboxStore } from '../../store/outbox-repo.ts';
import { PeopleDirectory } from '../people/directory.ts';
import { MattermostPeopleSource } from '../people/mattermost-source.ts';
import { answerAction } from './actions.ts';
import { MattermostClient, type Fetch } from './client.ts';
import { Conversation, type BotUser } from './conversation.ts';
import { MattermostListener } from './listener.ts';
import { OutboxDispatcher } from './outbox-dispatch.ts';
import { MattermostOutbox, roomPrefix } from './outbox-writer.ts';
import { OutboxPostButtons } from './post-buttons.ts';
import { progressPostKey } from '../progress-throttle.ts';
import { editDecidedPrompt, promptKeyPrefix } from './prompt-story.ts';
import { renderMessage } from './render.ts';
import type { ConversationTarget } from './sink.ts';
import { answerSlash, type HttpAnswer, type SlashDeps } from './slash.ts';
import { mattermostIdPattern, type MattermostSettings, type RenderedPost } from './types.ts';
import type { SocketTiming } from './websocket.ts';

/** How often prompts decided or expired elsewhere are looked for. */
const settleEveryMs = 30_000;

export interface AdapterTiming extends SocketTiming {
  /** How long a slash or button answer waits for the result (Mattermost wants < ~200 ms). */
  readonly replyWithinMs?: number;
  readonly progressIntervalMs?: number;
  readonly retryBaseMs?: number;
  /** Commands older than this, found in a catch-up, are answered but not run. */
  readonly maxCommandAgeMs?: number;
}

export interface AdapterDeps {
  readonly settings: MattermostSettings;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly fetch?: Fetch;
  /** Where names and languages of people are looked up; this server is added to it. */
  readonly people?: PeopleDirectory;
  readonly newWebSocket?: (url: string) => WebSocket;
  readonly timing?: AdapterTiming;
}

export const actionsPath = '/mattermost/actions';

export class MattermostAdapter {
  readonly client: MattermostClient;
  readonly dispatcher: OutboxDispatcher;
  readonly #d: AdapterDeps;
  readonly #seen: SqliteMattermostSeen;
  readonly #outbox: MattermostOutbox;
  readonly #store: SqliteOutboxStore;
  readonly #render: (message: Message, target: ConversationTarget) => RenderedPost;
  readonly #handlers: SlashDeps;
  readonly #listener: MattermostListener;
  readonly #postButtons: OutboxPostButtons;
  #settleTimer: NodeJS.Timeout | undefined;

  constructor(deps: AdapterDeps) {
    this.#d = deps;
    this.#postButtons = new OutboxPostButtons(deps.db);
    const { settings, log, timing = {} } = deps;
    const store = new SqliteOutboxStore(deps.db);
    this.#store = store;
    this.client = new MattermostClient({
      url: settings.url,
      token: settings.botToken,
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    });
    const people = deps.people ?? new PeopleDirectory({ log });
    people.use('mattermost', new MattermostPeopleSource(this.client));
    this.dispatcher = new OutboxDispatcher({
      store,
      poster: this.client,
      log: log.child({ part: 'mattermost-outbox' }),
      ...(timing.retryBaseMs === undefined ? {} : { baseDelayMs: timing.retryBaseMs }),
    });
    const outbox = new MattermostOutbox(store, () => this.dispatcher.kick());
    this.#outbox = outbox;
    this.#seen = new SqliteMattermostSeen(deps.db);
    const render = (message: Message, target: ConversationTarget): RenderedPost =>
      renderMessage(
        message,
        deps.bot.localeFor({ room: { id: `mattermost:${target.channelId}` } }),
        this.#binding(target),
      );
    this.#render = render;
    const progress =
      timing.progressIntervalMs === undefined
        ? {}
        : { progressIntervalMs: timing.progressIntervalMs };
    this.#handlers = {
      settings,
      bot: deps.bot,
      outbox,
      render,
      log,
      people,
      replyWithinMs: timing.replyWithinMs ?? 150,
      ...progress,
    };
    const conversation = new Conversation({
      settings,
      bot: deps.bot,
      outbox,
      seen: this.#seen,
      render,
      log,
      people,
      maxAgeMs: timing.maxCommandAgeMs ?? 15 * 60 * 1000,
      ...progress,
    });
    this.#listener = new MattermostListener({
      settings,
      client: this.client,
      conversation,
      seen: this.#seen,
      log,
      timing,
      ...(deps.newWebSocket === undefined ? {} : { newWebSocket: deps.newWebSocket }),
      identified: (me) => {
        this.dispatcher.botId = me.id;
      },
    });
  }

  slash(form: URLSearchParams, headerToken: string | undefined): Promise<HttpAnswer> {
    return answerSlash(form, headerToken, this.#handlers);
  }

  action(body: unknown): Promise<HttpAnswer> {
    return answerAction(body, { ...this.#handlers, postButtons: this.#postButtons });
  }

  /**
   * Posts a message nobody asked for (an interrupted job, a scheduled result) into the room
   * `mattermost:<channel id>`, through the outbox: durable, and posted once per `key` even
   * when the caller repeats it after a restart. Works before `start` (it is sent once the
   * dispatcher runs). A room of another kind or a channel the bot does not serve is refused
   * (false) and logged, never thrown: the caller's own work must not fail for a notice.
   */
  announce(room: string, message: Message, key: string): boolean {
    const channelId = room.startsWith(roomPrefix) ? room.slice(roomPrefix.length) : undefined;
    if (channelId === undefined || !mattermostIdPattern.test(channelId)) {
      this.#d.log.warn('announcement refused: not a mattermost channel room', { room, key });
      return false;
    }
    if (!this.#serves(channelId)) {
      this.#d.log.warn('announcement refused: the bot does not serve this channel', { room, key });
      return false;
    }
    try {
      const target = { channelId, root: undefined, userId: '', direct: false };
      // Namespaced so that a caller's key cannot collide with the keys of replies and edits.
      this.#outbox.post(`announce:${key}`, channelId, this.#render(message, target));
      return true;
    } catch (error) {
      this.#d.log.error('announcement could not be queued', { room, key, error });
      return false;
    }
  }

  /**
   * Edits what `announce` posted under `key` (an approval card after each decision), through
   * the outbox, once per `revision`; false when refused, as `announce`.
   */
  amend(room: string, message: Message, key: string, revision: string): boolean {
    const channelId = room.startsWith(roomPrefix) ? room.slice(roomPrefix.length) : undefined;
    if (channelId === undefined || !mattermostIdPattern.test(channelId)) return false;
    try {
      const target = { channelId, root: undefined, userId: '', direct: false };
      const rendered = this.#render(message, target);
      this.#outbox.patch(`announce:${key}:${revision}`, `announce:${key}`, channelId, rendered);
      return true;
    } catch (error) {
      this.#d.log.error('announcement edit could not be queued', { room, key, error });
      return false;
    }
  }

  /**
   * Edits the prompt of confirmation `code` once it is decided elsewhere (the terminal), as a
   * decision typed here does (prompt-story.ts); false when pending or not posted here.
   */
  settlePrompt(code: string): boolean {
    return editDecidedPrompt(
      {
        bot: this.#d.bot,
        outbox: this.#outbox,
        render: this.#render,
        people: this.#handlers.people,
      },
      code,
      undefined,
    );
  }

  /**
   * Edits the progress post of job `jobId` in `room` to `message` (an interrupted job's post,
   * which no result will ever replace), through the outbox: it is sent after what the room
   * still has queued, and survives another restart. False when the job has no progress post
   * in that room.
   */
  closeProgress(room: string, jobId: number, message: Message): boolean {
    const post = this.#store.byKey(progressPostKey(jobId));
    if (post === undefined || post.kind !== 'post' || post.room !== room) return false;
    const channelId = room.slice(roomPrefix.length);
    const target = { channelId, root: undefined, userId: '', direct: false };
    try {
      this.#outbox.patch(
        `interrupted:${jobId}:progress`,
        post.key,
        channelId,
        this.#render(message, target),
      );
      return true;
    } catch (error) {
      this.#d.log.error('progress post could not be closed', { room, job: jobId, error });
      return false;
    }
  }

  /**
   * A channel of `channels` (all when it is empty), or one where the bot has taken commands
   * (direct messages included), so that a job typed in a DM can be reported there.
   */
  #serves(channelId: string): boolean {
    const { channels } = this.#d.settings;
    if (channels.length === 0 || channels.includes(channelId)) return true;
    return this.#seen.channels().some((c) => c.channelId === channelId);
  }

  /** Starts delivering and listening; returns at once (the server may be down for now). */
  start(): void {
    this.dispatcher.start();
    this.#listener.start();
    // Prompts decided where no Mattermost handler saw it (another `pes` process) or expired
    // are edited to their story too, as Matrix does in its housekeeping.
    this.#settleTimer = setInterval(() => this.#settleOpenPrompts(), settleEveryMs);
    this.#settleTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#settleTimer);
    await this.#listener.stop();
    await this.dispatcher.stop();
  }

  /**
   * Edits every prompt this adapter posted that is decided or expired and not yet edited so;
   * how many. Cheap: a range of the outbox's unique key, bounded by its retention.
   */
  settlePrompts(): number {
    let edited = 0;
    for (const key of this.#store.keysWithout(promptKeyPrefix, ':decided')) {
      const code = key.slice(promptKeyPrefix.length).split(':')[0] ?? '';
      if (this.settlePrompt(code)) edited++;
    }
    return edited;
  }

  #settleOpenPrompts(): void {
    try {
      this.settlePrompts();
    } catch (error) {
      this.#d.log.error('mattermost prompt housekeeping failed', { error });
    }
  }

  /** Resolves once a catch-up that is running (if any) has finished. */
  settled(): Promise<void> {
    return this.#listener.settled();
  }

  get me(): BotUser | undefined {
    return this.#listener.me;
  }

  #binding(target: ConversationTarget): Parameters<typeof renderMessage>[2] {
    const { publicUrl, actionSecret } = this.#d.settings;
    if (publicUrl === undefined || actionSecret === undefined) return undefined;
    return {
      url: publicUrl.replace(/\/+$/, '') + actionsPath,
      secret: actionSecret,
      channel: target.channelId,
      root: target.root ?? '',
    };
  }
}
