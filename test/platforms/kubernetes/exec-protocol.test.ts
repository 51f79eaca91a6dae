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

type Mode = 'cut' | 'internal' | 'v4' | 'refuse-403' | 'refuse-400';

let mode: Mode = 'cut';
/** What the server received on each connection: the channel bytes of its messages. */
let received: number[] = [];
let server: Server;
let clients: KubeClients;
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => {
    const wanted = mode === 'v4' ? 'v4.channel.k8s.io' : 'v5.channel.k8s.io';
    return offered.has(wanted) ? wanted : false;
  },
});

function session(ws: WebSocket): void {
  ws.on('message', (data: Buffer) => received.push(data[0] ?? -1));
  ws.send(Buffer.from([1]));
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
): Promise<{ error: unknown; stdout: Writable; received: number[] }> {
  mode = which;
  received = [];
  const stdout = new Writable({ write: (_c, _e, cb) => cb() });
  const error = await execInPod(
    clients,
    { namespace: 'lms', pod: 'web-0' },
    ['pg_dump', 'moodle'],
    { stdout, ...(stdin === undefined ? {} : { stdin }) },
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

  it('a server without v5 gets no input at all: the command must not take an open-ended stdin', async () => {
    const input = new PassThrough();
    input.end('a dump that must not be restored half\n');
    const { error } = await run('v4', input);
    expect(texts(error).code).toBe('kubernetes-exec-no-stdin-close');
    expect(received.filter((channel) => channel === 0)).toEqual([]);
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
