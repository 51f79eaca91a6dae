/**
 * The edges of the pods/exec channel protocol that a healthy cluster rarely shows, against a
 * scripted server (node:http + ws on 127.0.0.1): a connection cut before the Status on
 * channel 3, a Failure that is not an exit code (the kubelet could not run the command), a
 * server that speaks only `v4.channel.k8s.io` (no way to close stdin), and an upgrade
 * refused with 403 or 400. Each is one line, and stdout is closed as cut.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { PassThrough, Readable, Writable } from 'node:stream';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { isUserError } from '../../../src/core/errors.ts';
import type { KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { execInPod } from '../../../src/platforms/kubernetes/exec-stream.ts';

type Mode =
  'cut' | 'internal' | 'v4' | 'no-protocol' | 'refuse-403' | 'refuse-400' | 'silent' | 'flood';

let mode: Mode = 'cut';
/** What the server received on each connection: the channel bytes of its messages. */
let received: number[] = [];
/** Sessions the server started (the command ran). */
let sessions = 0;
/** Settles when the server sees the last connection's TCP socket close. */
let serverClosed: Promise<void> = Promise.resolve();
/** Settles when the last upgrade request reached the server. */
let upgradeSeen: Promise<void> = Promise.resolve();
let onUpgrade = (): void => undefined;
let server: Server;
let clients: KubeClients;
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => {
    if (mode === 'no-protocol') return false;
    const wanted = mode === 'v4' ? 'v4.channel.k8s.io' : 'v5.channel.k8s.io';
    return offered.has(wanted) ? wanted : false;
  },
});

function session(ws: WebSocket): void {
  sessions += 1;
  ws.on('message', (data: Buffer) => received.push(data[0] ?? -1));
  ws.send(Buffer.from([1]));
  if (mode === 'flood') {
    // Much more stdout than any consumer holds; no Status: the command runs on.
    for (let i = 0; i < 64; i += 1)
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.alloc(16 * 1024)]));
  }
  if (mode === 'cut') {
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('partial')]));
    // The connection drops (a node restarted, a proxy timed out): no Status ever comes.
    setTimeout(() => ws.terminate(), 50);
  } else if (mode === 'internal') {
    const status = {
      metadata: {},
      status: 'Failure',
      message:
        'Internal error occurred: error executing command in container: failed to exec in container: executable file not found in $PATH',
      reason: 'InternalError',
      code: 500,
    };
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
    ws.close(1000);
  }
  // v4: waits for the client, which must hang up without sending any input.
}

function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined);
  serverClosed = new Promise((resolve) => socket.once('close', () => resolve()));
  // node:http keeps an upgraded socket half-open: a server hangs up when its client does.
  socket.once('end', () => socket.destroy());
  onUpgrade();
  // Takes the connection and never answers (a stuck proxy, an overloaded server).
  if (mode === 'silent') return;
  // A kubelet without v5 (wsstream's handshake through x/net/websocket) refuses an offer it
  // has none of with a bare 403, before any command runs.
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (mode === 'v4' && !offered.includes('v4.channel.k8s.io')) {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  if (mode === 'refuse-403' || mode === 'refuse-400') {
    const code = mode === 'refuse-403' ? 403 : 400;
    const body = JSON.stringify({ kind: 'Status', status: 'Failure', code });
    socket.end(
      `HTTP/1.1 ${code} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, session);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'GET' && req.url?.startsWith('/api/v1/namespaces/lms/pods/web-0')) {
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web-0', namespace: 'lms' },
          spec: { containers: [{ name: 'app', image: 'registry.test/web:1' }] },
        }),
      );
      return;
    }
    if (req.method === 'POST' && req.url?.includes('/selfsubjectaccessreviews')) {
      req.resume();
      req.on('end', () => {
        res.statusCode = 201;
        res.end(
          JSON.stringify({
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: {} },
            status: { allowed: true },
          }),
        );
      });
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404 }));
  });
  server.on('upgrade', upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'lab', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'pes', token: 'scripted' }],
    contexts: [{ name: 'pes@lab', cluster: 'lab', user: 'pes' }],
    currentContext: 'pes@lab',
  });
  clients = {
    cluster: 'lab',
    config,
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    authorization: config.makeApiClient(AuthorizationV1Api),
  };
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise((resolve) => server.close(resolve));
});

async function run(
  which: Mode,
  stdin?: Readable,
  extra: { stdout?: Writable; signal?: AbortSignal; handshakeMs?: number } = {},
): Promise<{ error: unknown; stdout: Writable; received: number[] }> {
  mode = which;
  received = [];
  sessions = 0;
  upgradeSeen = new Promise((resolve) => (onUpgrade = resolve));
  const stdout = extra.stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
  const error = await execInPod(
    clients,
    { namespace: 'lms', pod: 'web-0' },
    ['pg_dump', 'moodle'],
    { stdout, ...(stdin === undefined ? {} : { stdin }) },
    extra.signal,
    extra.handshakeMs,
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, stdout, received };
}

function texts(error: unknown): { code: string; en: string; ru: string } {
  if (!isUserError(error)) throw error;
  return { code: error.code, en: error.text('en'), ru: error.text('ru') };
}

describe('pods/exec edges', () => {
  it('a connection cut before the Status is not an exit code: one line, stdout closed as cut', async () => {
    const { error, stdout } = await run('cut');
    expect(texts(error)).toEqual({
      code: 'kubernetes-exec-cut',
      en: 'The connection to the command in pod web-0 (container app) ended before its exit code; its outcome is unknown.',
      ru: 'Связь с командой в поде web-0 (контейнер app) оборвалась до её кода выхода — результат неизвестен.',
    });
    expect(stdout.destroyed).toBe(true);
    expect(stdout.writableFinished).toBe(false);
  });

  it('a Failure that is not NonZeroExitCode is the server’s own sentence', async () => {
    const { error } = await run('internal');
    expect(texts(error).en).toBe(
      'The command in pod web-0 (container app) could not run: Internal error occurred: error executing command in container: failed to exec in container: executable file not found in $PATH',
    );
  });

  it('a server without v5 refuses the upgrade before the command runs: nothing ran, no input sent', async () => {
    const input = new PassThrough();
    input.end('a dump that must not be restored half\n');
    const { error, stdout } = await run('v4', input);
    await serverClosed;
    expect(texts(error)).toEqual({
      code: 'kubernetes-exec-no-stdin-close',
      en: "The API server of cluster lab cannot close a command's input (no v5.channel.k8s.io: an older Kubernetes) and refused the connection; nothing was run.",
      ru: 'API-сервер кластера lab не умеет закрывать ввод команды (нет протокола v5.channel.k8s.io — старая версия Kubernetes) и не принял соединение — ничего не запущено.',
    });
    expect(sessions).toBe(0);
    expect(received).toEqual([]);
    expect(stdout.destroyed).toBe(true);
  });

  it('a server that upgrades with no protocol at all is an unknown outcome, not “nothing ran”', async () => {
    const input = new PassThrough();
    input.end('a dump\n');
    const { error } = await run('no-protocol', input);
    await serverClosed;
    // This server did start a session: the bot cannot say that nothing ran.
    expect(sessions).toBe(1);
    expect(texts(error).code).toBe('kubernetes-exec-cut');
    expect(received).toEqual([]);
  });

  it('a cancel during the upgrade closes the connection at once and ends the run', async () => {
    const controller = new AbortController();
    const running = run('silent', undefined, { signal: controller.signal });
    await upgradeSeen;
    controller.abort(new Error('cancelled by anna'));
    const { error, stdout } = await running;
    expect(error).toEqual(new Error('cancelled by anna'));
    await serverClosed;
    expect(stdout.destroyed).toBe(true);
  });

  it('an upgrade never answered is given up after the handshake bound, in one line', async () => {
    const { error } = await run('silent', undefined, { handshakeMs: 300 });
    expect(texts(error)).toEqual({
      code: 'kubernetes-exec-handshake-timeout',
      en: 'The API server of cluster lab did not open the connection to the command in pod web-0 (container app) within 1 s; the bot stopped waiting, and whether the command started is unknown.',
      ru: 'API-сервер кластера lab не открыл соединение с командой в поде web-0 (контейнер app) за 1 с — ожидание прервано, запустилась ли команда, неизвестно.',
    });
    await serverClosed;
  });

  it('a stdout consumer destroyed without an error ends the run as a premature close', async () => {
    let firstChunk = (): void => undefined;
    const first = new Promise<void>((resolve) => (firstChunk = resolve));
    // A consumer that takes one chunk and never finishes it (a stuck upload), then goes away
    // as run-backup's does when the engine failed: destroy() with no error.
    const stdout = new Writable({
      highWaterMark: 1,
      write: () => firstChunk(),
    });
    const running = run('flood', undefined, { stdout });
    await first;
    stdout.destroy();
    const { error } = await running;
    expect(error).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    await serverClosed;
  });

  it('an upgrade refused with 403 names the grant; another refusal its HTTP code', async () => {
    expect(texts((await run('refuse-403')).error).en).toBe(
      "The bot's account may not create pods/exec in namespace lms: grant verb create on pods/exec.",
    );
    expect(texts((await run('refuse-400')).error).en).toBe(
      'The command in pod web-0 (container app) could not run: pods/exec answered HTTP 400',
    );
  });
});
