/**
 * pods/exec over WebSocket, the way kubectl 1.33 asks for it
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/ , "connect
 * GET/POST exec"; the stream protocol of k8s.io/apimachinery/pkg/util/remotecommand and
 * KEP-4006 "Transition from SPDY to WebSockets"): subprotocol `v5.channel.k8s.io` (or
 * `v4.channel.k8s.io`), every binary message starts with its channel byte — 0 stdin,
 * 1 stdout, 2 stderr, 3 the final Status (Success, or Failure with reason NonZeroExitCode and
 * the exit code as the cause), 4 resize, 255 close (v5: [255, 0] closes stdin). The command
 * runs through the kubelet's `exec`; authorization is `create` on pods/exec.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isAllowed, forbidden, type Rule } from './access.ts';
import { at, list, str, type JsonObject } from './json.ts';
import type { Kubelet } from './kubelet.ts';
import { parseResourcePath } from './routes.ts';
import { ApiError, badRequest, pageNotFound, unauthorized } from './status.ts';
import type { ObjectStore } from './store.ts';

export interface ExecSettings {
  readonly store: ObjectStore;
  readonly token: string | undefined;
  readonly user: string;
  readonly rules: readonly Rule[];
  readonly kubelet: Kubelet | undefined;
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function refuse(socket: Duplex, err: ApiError): void {
  // A client that hangs up first (kubectl, on the answer) must not take the server down.
  socket.on('error', () => undefined);
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Query flags as the API server reads them (`true` or `1`; absent is false). */
function flag(q: URLSearchParams, name: string): boolean {
  const value = q.get(name);
  return value === 'true' || value === '1';
}

export class ExecServer {
  readonly #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  readonly #settings: () => ExecSettings;

  constructor(settings: () => ExecSettings) {
    this.#settings = settings;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const s = this.#settings();
    try {
      if (s.token !== undefined && req.headers.authorization !== `Bearer ${s.token}`)
        throw unauthorized();
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const target = parseResourcePath(url.pathname);
      if (target === undefined || target.subresource !== 'exec' || target.resource.kind !== 'Pod')
        throw pageNotFound();
      const attrs = {
        verb: 'create',
        group: '',
        resource: 'pods',
        subresource: 'exec',
        namespace: target.namespace,
        name: target.name,
      };
      if (!isAllowed(s.rules, attrs)) throw forbidden(s.user, attrs);
      const pod = s.store.mustGet(target.resource, target.namespace, target.name);
      const q = url.searchParams;
      const command = q.getAll('command');
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      const containers = list(at(pod, 'spec', 'containers')).map((c) => str(at(c, 'name')) ?? '');
      const container = q.get('container') ?? containers[0] ?? '';
      if (!containers.includes(container))
        throw badRequest(`container ${container} is not valid for pod ${target.name}`);
      const kubelet = s.kubelet;
      if (kubelet?.exec === undefined)
        throw badRequest('this kubelet runs no processes: exec is not served');
      const exec = kubelet.exec.bind(kubelet);
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#session(
          ws,
          pod,
          container,
          command,
          { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') },
          exec,
        );
      });
    } catch (e) {
      refuse(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e)));
    }
  }

  #session(
    ws: WebSocket,
    pod: JsonObject,
    container: string,
    command: string[],
    streams: { readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean },
    exec: NonNullable<Kubelet['exec']>,
  ): void {
    const stdin = streams.stdin ? new PassThrough() : undefined;
    ws.on('message', (data) => {
      const buf = toBuffer(data);
      if (buf[0] === 0) stdin?.write(buf.subarray(1));
      if (buf[0] === 255 && buf[1] === 0) stdin?.end();
    });
    const hangup = new AbortController();
    ws.on('close', () => {
      stdin?.end();
      hangup.abort();
    });
    const out = (channel: number) => (chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), chunk]));
    };
    // The kubelet's first message is an empty one on the lowest output channel asked for, so
    // that the client knows the streams are up (kubelet cri/streaming/remotecommand
    // websocket.go, createWebSocketStreams); a stream not asked for is not sent.
    out(streams.stdout ? 1 : streams.stderr ? 2 : 3)(Buffer.alloc(0));
    const ignore = (): void => undefined;
    exec(pod, container, command, {
      stdin,
      stdout: streams.stdout ? out(1) : ignore,
      stderr: streams.stderr ? out(2) : ignore,
      hangup: hangup.signal,
    }).then(
      (code) => {
        const status =
          code === 0
            ? { metadata: {}, status: 'Success' }
            : {
                metadata: {},
                status: 'Failure',
                message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
                reason: 'NonZeroExitCode',
                details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
              };
        out(3)(Buffer.from(JSON.stringify(status)));
        ws.close(1000);
      },
      (e: unknown) => {
        out(3)(
          Buffer.from(
            JSON.stringify({
              metadata: {},
              status: 'Failure',
              // The kubelet's words when the runtime could not run the command at all.
              message: `Internal error occurred: error executing command in container: ${e instanceof Error ? e.message : String(e)}`,
              reason: 'InternalError',
              code: 500,
            }),
          ),
        );
        ws.close(1000);
      },
    );
  }

  close(): void {
    for (const c of this.#wss.clients) c.terminate();
    this.#wss.close();
  }
}
