/**
 * The bot's HTTP server: liveness and readiness, plus the routes it is given (Mattermost's
 * slash commands and actions, the Alertmanager webhook, metrics).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An extra endpoint mounted beside /healthz and /readyz (e.g. the Mattermost routes). */
export interface Route {
  readonly methods: readonly string[];
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface Readiness {
  /** Throws when the bot cannot do its work (state store gone). */
  check(): Promise<Readonly<Record<string, string>>>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  readiness: Readiness,
  routes: readonly Route[] = [],
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = routes.find((r) => r.path === path);
  if (route !== undefined) {
    if (!route.methods.includes(req.method ?? '')) {
      res.setHeader('allow', route.methods.join(', '));
      send(res, 405, { error: 'method-not-allowed' });
      return;
    }
    await route.handle(req, res);
    return;
  }
  if (path !== '/healthz' && path !== '/readyz') {
    send(res, 404, { error: 'not-found' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, { error: 'method-not-allowed' });
    return;
  }
  if (path === '/healthz') {
    send(res, 200, { status: 'ok' });
    return;
  }
  try {
    send(res, 200, { status: 'ready', ...(await readiness.check()) });
  } catch {
    send(res, 503, { status: 'not-ready' });
  }
}

export async function startHttpServer(options: {
  host: string;
  port: number;
  readiness: Readiness;
  onError: (error: unknown) => void;
  routes?: readonly Route[];
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res, options.readiness, options.routes).catch((error: unknown) => {
      options.onError(error);
      if (!res.headersSent) send(res, 500, { error: 'internal' });
    });
  });
  // Slow clients must not hold sockets for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
