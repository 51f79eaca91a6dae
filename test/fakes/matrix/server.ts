/**
 * The fake homeserver as a process: a node:http server on 127.0.0.1 that can be stopped and
 * started again on the same port with all its state (a homeserver restart), and the switches
 * tests use to make it misbehave (429s, failures, cut long polls).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeHttp } from './http.ts';
import { RoomOps } from './room-ops.ts';
import { HomeserverState } from './state.ts';
import type { FaultRule, RateLimitRule, RequestRecord } from './types.ts';

export interface FakeHomeserverOptions {
  /** The server part of every id; default `pes.test`. */
  readonly serverName?: string;
  /**
   * The most timeline events one room gets in one `/sync`, whatever the filter asks (so tests
   * can force `limited: true`). Default: the filter's `room.timeline.limit`, else 10.
   */
  readonly timelineLimit?: number;
  /** Longest long poll, whatever `timeout` the client asks; default 30 000 ms. */
  readonly maxSyncTimeoutMs?: number;
}

export class HomeserverProcess {
  readonly state: HomeserverState;
  readonly ops: RoomOps;
  readonly #http: FakeHttp;
  #server: Server | undefined;
  #port = 0;

  constructor(options: FakeHomeserverOptions = {}) {
    this.state = new HomeserverState(options.serverName ?? 'pes.test');
    this.ops = new RoomOps(this.state);
    this.#http = new FakeHttp(this.state, this.ops, {
      timelineLimit: options.timelineLimit,
      maxSyncTimeoutMs: options.maxSyncTimeoutMs ?? 30_000,
    });
  }

  /** Listens on 127.0.0.1: a free port the first time, the same port after `stop()`. */
  async start(): Promise<this> {
    if (this.#server !== undefined) return this;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.#http.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: String(error) }));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Closes the port and every connection (long polls included); all state is kept. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#http.dropSyncs();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `stop()` then `start()` on the same port: a homeserver restart that keeps its data. */
  async restart(downForMs = 0): Promise<void> {
    await this.stop();
    if (downForMs > 0) await sleep(downForMs);
    await this.start();
  }

  /** Same as `stop()`; for `afterEach`. */
  async close(): Promise<void> {
    await this.stop();
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  get port(): number {
    return this.#port;
  }

  /** The homeserver base URL for `createClient({ baseUrl })`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get serverName(): string {
    return this.state.serverName;
  }

  /** Adds a 429 rule: the next `times` matching requests get `M_LIMIT_EXCEEDED`. */
  rateLimit(rule: RateLimitRule): void {
    this.#http.rateLimits.push({ ...rule, left: rule.times });
  }

  /** Adds a failure rule for the next `times` requests to one endpoint. */
  fail(rule: FaultRule): void {
    this.#http.faults.push({ ...rule, left: rule.times });
  }

  /** Removes every rate-limit and failure rule. */
  clearFaults(): void {
    this.#http.rateLimits.length = 0;
    this.#http.faults.length = 0;
  }

  /**
   * Resolves once `user`'s client has handled everything up to now (or `position`): that is,
   * once it asks `/sync` with a `since` at or past it, which clients do only after processing
   * the previous answer. Lets a test assert that something was ignored without sleeping.
   */
  async syncedPast(
    user: { userId: string; deviceId: string },
    position = this.state.position,
    timeoutMs = 10_000,
  ): Promise<void> {
    const key = `${user.userId}|${user.deviceId}`;
    const deadline = Date.now() + timeoutMs;
    while ((this.#http.syncedUpTo.get(key) ?? -1) < position) {
      if (Date.now() > deadline) {
        throw new Error(`${user.userId} did not sync past ${position} within ${timeoutMs} ms`);
      }
      await sleep(10);
    }
  }

  /** How many `/sync` long polls are waiting now. */
  get pendingSyncCount(): number {
    return this.#http.pendingSyncs.size;
  }

  /** Cuts every pending `/sync` long poll (its socket is destroyed); returns how many. */
  dropSyncs(): number {
    return this.#http.dropSyncs();
  }

  /** Caps the timeline of each room per `/sync` from now on (undefined: the filter decides). */
  set timelineLimit(limit: number | undefined) {
    this.#http.timelineLimit = limit;
  }

  get timelineLimit(): number | undefined {
    return this.#http.timelineLimit;
  }

  /** Every request answered so far, in order. */
  get requests(): readonly RequestRecord[] {
    return this.#http.log;
  }

  /** How many requests a status had (e.g. 429s), for an endpoint or all. */
  count(status: number, endpoint?: RequestRecord['endpoint']): number {
    return this.#http.log.filter(
      (r) => r.status === status && (endpoint === undefined || r.endpoint === endpoint),
    ).length;
  }
}
