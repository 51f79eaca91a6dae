/**
 * The Matrix front end, wired: the outbox and its dispatcher, the listener (the
 * matrix-js-sdk client started with its sync state in SQLite, and its events, listener.ts),
 * invitations and the notice for encrypted rooms (rooms.ts), the conversation (commands and
 * reactions), and the confirmation prompts, settled after each decision and by the clock.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { MatrixClient } from 'matrix-js-sdk';
import type { Bot } from '../../core/bot.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Logger } from '../../core/logger.ts';
import type { Message } from '../../core/message.ts';
import { SqliteConfirmationStore } from '../../store/confirmations-repo.ts';
import { SqliteMatrixState } from '../../store/matrix-repo.ts';
import { SqliteOutboxStore } from '../../store/outbox-repo.ts';
import { PeopleDirectory } from '../people/directory.ts';
import { MatrixPeopleSource } from '../people/matrix-source.ts';
import { createMatrixClient, matrixSender } from './client.ts';
import { Conversation } from './conversation.ts';
import { MatrixListener } from './listener.ts';
import { MatrixOutboxDispatcher } from './outbox-dispatch.ts';
import { MatrixOutbox } from './outbox-writer.ts';
import { settlePrompts, type PromptDeps } from './prompts.ts';
import { progressPostKey } from '../progress-throttle.ts';
import { renderMessage } from './render.ts';
import { SqliteSyncStore } from './sync-store.ts';
import { RoomKeeper } from './rooms.ts';
import { TrackedWork } from './tracked-work.ts';
import { roomOf, roomPrefix, type MatrixSettings, type RenderedEvent } from './types.ts';

export interface MatrixTiming {
  readonly progressIntervalMs?: number;
  readonly retryBaseMs?: number;
  /** Commands older than this, found after a restart, are answered but not run. */
  readonly maxCommandAgeMs?: number;
  /** The /sync long-poll timeout asked of the homeserver. */
  readonly pollTimeoutMs?: number;
  /** How often expired prompts are looked for. */
  readonly housekeepingMs?: number;
}

export interface MatrixAdapterDeps {
  readonly settings: MatrixSettings;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly fetch?: typeof fetch;
  /** Where names of people are looked up; this homeserver is added to it. */
  readonly people?: PeopleDirectory;
  readonly timing?: MatrixTiming;
}

export class MatrixAdapter {
  readonly dispatcher: MatrixOutboxDispatcher;
  readonly outbox: MatrixOutbox;
  readonly client: MatrixClient;
  readonly #d: MatrixAdapterDeps;
  readonly #store: SqliteOutboxStore;
  readonly #state: SqliteMatrixState;
  readonly #prompts: PromptDeps;
  readonly #work: TrackedWork;
  readonly #rooms: RoomKeeper;
  readonly #listener: MatrixListener;
  #started = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: MatrixAdapterDeps) {
    this.#d = deps;
    const { settings, log, db, timing = {} } = deps;
    const store = new SqliteOutboxStore(db);
    this.#store = store;
    this.#state = new SqliteMatrixState(db);
    const syncStore = new SqliteSyncStore(this.#state, settings.userId);
    this.#work = new TrackedWork(log);
    this.client = createMatrixClient(settings, syncStore, log, deps.fetch);
    this.dispatcher = new MatrixOutboxDispatcher({
      store,
      sender: matrixSender(this.client, () => {
        const crypto = this.#listener.crypto;
        return crypto === undefined ? undefined : (...args) => crypto.seal(...args);
      }),
      log: log.child({ part: 'matrix-outbox' }),
      ...(timing.retryBaseMs === undefined ? {} : { baseDelayMs: timing.retryBaseMs }),
    });
    this.outbox = new MatrixOutbox(store, () => this.dispatcher.kick());
    const locale = (roomId: string): Locale => deps.bot.localeFor({ room: { id: roomOf(roomId) } });
    const people = deps.people ?? new PeopleDirectory({ log });
    people.use('matrix', new MatrixPeopleSource(this.client));
    this.#prompts = {
      state: this.#state,
      confirmations: new SqliteConfirmationStore(db),
      outbox: this.outbox,
      locale,
      render: (message, roomId) => this.render(message, roomId),
      name: (actorId) => people.cachedName(actorId),
      decided: (code, locale, who) => deps.bot.decidedPrompt(code, { locale, who })?.message,
    };
    this.#rooms = new RoomKeeper({
      client: this.client,
      settings,
      state: this.#state,
      outbox: this.outbox,
      locale,
      log,
      track: (work, what) => this.#work.track(work, what),
    });
    const conversation = new Conversation({
      settings,
      bot: deps.bot,
      outbox: this.outbox,
      state: this.#state,
      render: (message, roomId) => this.render(message, roomId),
      isDirect: (roomId) => this.#rooms.isDirect(roomId),
      settlePrompts: (roomId) => settlePrompts(this.#prompts, roomId),
      log,
      people,
      maxAgeMs: timing.maxCommandAgeMs ?? 15 * 60 * 1000,
      ...(timing.progressIntervalMs === undefined
        ? {}
        : { progressIntervalMs: timing.progressIntervalMs }),
    });
    this.#listener = new MatrixListener({
      client: this.client,
      settings,
      persistence: this.#state,
      syncStore,
      log,
      pollTimeoutMs: timing.pollTimeoutMs ?? 30_000,
      conversation,
      rooms: this.#rooms,
      work: this.#work,
    });
  }

  /** A neutral message for a room, in the room's language. */
  render(message: Message, roomId: string): RenderedEvent {
    return renderMessage(message, this.#d.bot.localeFor({ room: { id: roomOf(roomId) } }));
  }

  /**
   * Posts a message nobody asked for (an interrupted job, a scheduled result) into the room
   * `matrix:<room id>`, through the outbox, once per `key`. A room of another kind or one the
   * bot does not serve is refused (false) and logged, never thrown.
   */
  announce(room: string, message: Message, key: string): boolean {
    if (!room.startsWith(roomPrefix)) return false;
    const roomId = room.slice(roomPrefix.length);
    const { rooms } = this.#d.settings;
    if (rooms.length > 0 && !rooms.includes(roomId) && !this.#rooms.isDirect(roomId)) {
      this.#d.log.warn('announcement refused: the bot does not serve this room', { room, key });
      return false;
    }
    try {
      this.outbox.post(`announce:${key}`, roomId, this.render(message, roomId));
      return true;
    } catch (error) {
      this.#d.log.error('announcement could not be queued', { room, key, error });
      return false;
    }
  }
  /**
   * Replaces what `announce` posted under `key` (an approval card after each decision),
   * through the outbox, once per `revision`; false when refused, as `announce`.
   */
  amend(room: string, message: Message, key: string, revision: string): boolean {
    if (!room.startsWith(roomPrefix)) return false;
    const roomId = room.slice(roomPrefix.length);
    try {
      const rendered = this.render(message, roomId);
      this.outbox.edit(`announce:${key}:${revision}`, `announce:${key}`, roomId, rendered);
      return true;
    } catch (error) {
      this.#d.log.error('announcement edit could not be queued', { room, key, error });
      return false;
    }
  }

  /** Edits every decided prompt (a decision made elsewhere, e.g. the terminal); how many. */
  settlePrompts(): number {
    return settlePrompts(this.#prompts);
  }

  /**
   * Replaces the content of job `jobId`'s progress message in `room` with `message` (an
   * interrupted job's, which no result will ever replace), through the outbox: sent after
   * what the room still has queued, and kept across another restart. False when the job has
   * no progress message in that room.
   */
  closeProgress(room: string, jobId: number, message: Message): boolean {
    const post = this.#store.byKey(progressPostKey(jobId));
    if (post === undefined || post.kind !== 'post' || post.room !== room) return false;
    const roomId = room.slice(roomPrefix.length);
    try {
      this.outbox.edit(
        `interrupted:${jobId}:progress`,
        post.key,
        roomId,
        this.render(message, roomId),
      );
      return true;
    } catch (error) {
      this.#d.log.error('progress message could not be closed', { room, job: jobId, error });
      return false;
    }
  }

  /** Starts delivering and syncing; returns at once (the homeserver may be down for now). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.dispatcher.start();
    this.#listener.start();
    const every = this.#d.timing?.housekeepingMs ?? 30_000;
    this.#timer = setInterval(() => this.#housekeeping(), every);
    this.#timer.unref();
  }

  /** Whether the bot can read and write encrypted rooms. */
  get encryption(): boolean {
    return this.#listener.crypto !== undefined;
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    // The send in flight, which may be encrypting, ends before the client and its crypto
    // stop: the SDK's encryption starts key requests in the background without waiting for
    // them, and stopping its crypto under one rejects a promise nobody handles.
    await this.settled();
    await this.dispatcher.stop();
    await this.#listener.stop();
    // Answers to events handled meanwhile stay in the outbox, for the next start.
    await this.settled();
    // Keys made since the last sync (e.g. for a message just encrypted) are kept too.
    await this.#listener.crypto?.save();
  }

  /** Resolves once every event being handled has its answer in the outbox. */
  settled(): Promise<void> {
    return this.#work.settled();
  }

  /** Whether the first sync is done: events from before it are history, not commands. */
  get prepared(): boolean {
    return this.#listener.prepared;
  }

  #housekeeping(): void {
    try {
      settlePrompts(this.#prompts);
      this.#state.pruneSeen(Date.now() - 2 * 24 * 60 * 60 * 1000);
    } catch (error) {
      this.#d.log.error('matrix housekeeping failed', { error });
    }
  }
}
