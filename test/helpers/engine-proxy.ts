/**
 * An HTTP proxy on 127.0.0.1 between a Docker client and the test engine of
 * scripts/test-env.sh that plays the engine's worst timing on purpose: one chosen request is
 * held back (not yet passed on) until the test releases it, so that its answer comes after
 * whatever the test does meanwhile (e.g. a cancel).
 *
 * If the client gives up on the held request (aborts it), the engine still gets it, as a
 * real engine may still carry out a request whose client has gone: late, by default just
 * after the first request the client sends after giving up has been answered, and before
 * any further request is passed on (so a client that aborts a `create` and then looks for the
 * container by name sees nothing, and the container appears right after it looked); or, for
 * a client that sends nothing more, when the test calls `release`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import type {
  ContainerReport,
  ScalePlan,
  StepReporter,
  UpdatePlan,
} from '../../src/core/platform.ts';
import { connectDocker } from '../../src/platforms/docker/client.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { createTestBot, type TestBot } from './bot.ts';
import { testCatalog } from './catalog.ts';

export interface HeldRequest {
  /** Resolves once the request has reached the proxy and is being held. */
  readonly arrived: Promise<void>;
  /** Resolves once the held request has been passed on to the engine and answered there. */
  readonly applied: Promise<void>;
  /** Whether the client gave up on the request while it was held. */
  readonly abandoned: () => boolean;
  /** Passes the request on, its answer to the client; if it was abandoned, see LateAt. */
  release(): void;
}

/** When an abandoned request reaches the engine after all. */
export type LateAt = 'after-next-answer' | 'on-release';

interface Hold {
  readonly match: (method: string, url: URL) => boolean;
  readonly lateAt: LateAt;
  state: 'waiting' | 'held' | 'released' | 'abandoned' | 'late';
  request?: http.IncomingMessage;
  response?: http.ServerResponse;
  body?: Buffer;
  arrived: () => void;
  applied: () => void;
}

export class EngineProxy {
  readonly #engineSocket: string;
  readonly #server: http.Server;
  #holds: Hold[] = [];
  /** Requests wait on this before they are passed on (closed while a late one is applied). */
  #gate: Promise<void> = Promise.resolve();
  /** An abandoned request waiting for the first request that arrives after it. */
  #late: Hold | undefined;

  private constructor(engineSocket: string) {
    this.#engineSocket = engineSocket;
    this.#server = http.createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  /** Starts a proxy in front of the engine at DOCKER_HOST (a unix socket). */
  static async start(dockerHost = process.env['DOCKER_HOST'] ?? ''): Promise<EngineProxy> {
    if (!dockerHost.startsWith('unix://')) throw new Error(`not a unix socket: ${dockerHost}`);
    const proxy = new EngineProxy(dockerHost.slice('unix://'.length));
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The address to give the client: `tcp://127.0.0.1:<port>`. */
  get address(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `tcp://127.0.0.1:${port}`;
  }

  /** Holds back the next request that matches, until `release` (or its abandonment). */
  hold(
    match: (method: string, url: URL) => boolean,
    lateAt: LateAt = 'after-next-answer',
  ): HeldRequest {
    let arrived!: () => void;
    let applied!: () => void;
    const arrivedPromise = new Promise<void>((resolve) => (arrived = resolve));
    const appliedPromise = new Promise<void>((resolve) => (applied = resolve));
    const hold: Hold = { match, lateAt, state: 'waiting', arrived, applied };
    this.#holds.push(hold);
    return {
      arrived: arrivedPromise,
      applied: appliedPromise,
      abandoned: () => hold.state === 'abandoned' || hold.state === 'late',
      release: () => {
        // A client that has just given up on the request has already closed its connection,
        // but the server sees that only when the event loop next reads its sockets: the
        // decision waits for that (a timer runs after at least one such round), so that a
        // request given up on is never passed on here, only late (see #handle).
        setTimeout(() => {
          if (hold.state === 'abandoned' && hold.lateAt === 'on-release') {
            hold.state = 'late';
            this.#gate = this.#apply(hold);
            return;
          }
          if (hold.state !== 'held') return;
          hold.state = 'released';
          const { request, response, body } = hold;
          if (request === undefined || response === undefined || body === undefined) return;
          this.#pass(request, body, response).then(hold.applied, hold.applied);
        }, 100);
      },
    };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://engine');
    const hold = this.#holds.find(
      (h) => h.state === 'waiting' && h.match(request.method ?? '', url),
    );
    const body = await readAll(request);
    if (hold !== undefined) {
      Object.assign(hold, { state: 'held', request, response, body });
      response.once('close', () => {
        if (hold.state !== 'held' || response.writableEnded) return;
        hold.state = 'abandoned';
        if (hold.lateAt === 'after-next-answer') this.#late = hold;
      });
      hold.arrived();
      return;
    }
    // Only a request that reached the proxy after the abandonment triggers the late one.
    const late = this.#late;
    await this.#gate;
    await this.#pass(request, body, response).catch(() => undefined);
    if (late !== undefined && late === this.#late) {
      this.#late = undefined;
      late.state = 'late';
      this.#gate = this.#apply(late);
    }
  }

  /** Passes a request on and its answer back; resolves when the answer is complete. */
  #pass(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const upstream = http.request(
        {
          socketPath: this.#engineSocket,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.once('end', () => resolve());
          answer.once('error', reject);
        },
      );
      upstream.once('error', (error) => {
        response.destroy();
        reject(error);
      });
      // A client that gives up on a passed-on request gives it up on the engine too.
      response.once('close', () => {
        if (response.writableEnded) return;
        upstream.destroy();
        resolve();
      });
      upstream.end(body);
    });
  }

  /** The engine gets an abandoned request after all; its answer goes nowhere. */
  #apply(hold: Hold): Promise<void> {
    const { request, body } = hold;
    if (request === undefined || body === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const upstream = http.request(
        {
          socketPath: this.#engineSocket,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          answer.resume();
          answer.once('end', () => resolve());
        },
      );
      upstream.once('error', () => resolve());
      upstream.end(body);
    }).then(() => hold.applied());
  }
}

function readAll(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/** The Docker platform, telling when the signal of an update or a scale it runs is aborted. */
export class WatchedPlatform extends DockerPlatform {
  #aborted: () => void = () => undefined;
  readonly aborted = new Promise<void>((resolve) => (this.#aborted = resolve));

  override update(
    service: ServiceDefinition,
    plan: UpdatePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    this.#watch(signal);
    return super.update(service, plan, onStep, signal);
  }

  override scale(
    service: ServiceDefinition,
    plan: ScalePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    this.#watch(signal);
    return super.scale(service, plan, onStep, signal);
  }

  #watch(signal: AbortSignal | undefined): void {
    signal?.addEventListener('abort', () => this.#aborted(), { once: true });
  }
}

/** A bot whose catalog holds exactly these services, on the engine through a new proxy. */
export async function proxiedEngineBot(
  services: readonly ServiceDefinition[],
  timeoutMs: number,
): Promise<{ proxy: EngineProxy; platform: WatchedPlatform; bot: TestBot }> {
  const proxy = await EngineProxy.start();
  const platform = new WatchedPlatform(connectDocker({ host: proxy.address, timeoutMs }));
  const catalog = testCatalog({ services: new Map(services.map((s) => [s.name, s])) });
  return { proxy, platform, bot: createTestBot({ catalog, platform }) };
}

/** Matches the engine request that creates the container of this name. */
export function createOf(name: string): (method: string, url: URL) => boolean {
  return (method, url) =>
    method === 'POST' &&
    url.pathname.endsWith('/containers/create') &&
    url.searchParams.get('name') === name;
}
