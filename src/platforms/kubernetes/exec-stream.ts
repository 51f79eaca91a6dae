/**
 * `exec` on a cluster: argv in a pod's container through the `pods/exec` subresource
 * (API reference, Pod v1, "connect GET exec"), with client-node's Exec, which speaks the
 * WebSocket channel protocol (k8s.io/apimachinery remotecommand; KEP-4006): every message
 * starts with its channel byte, 0 stdin, 1 stdout, 2 stderr, 3 the final Status (Success, or
 * Failure with reason NonZeroExitCode and the exit code as the cause `ExitCode`), and, in
 * `v5.channel.k8s.io` only, 255 followed by 0 closes stdin. No TTY (it would corrupt binary
 * dumps), no shell.
 *
 * What client-node's Exec leaves out is done here: backpressure both ways (stdout full →
 * the socket stops being read; stdin is sent one message at a time, each after the last one
 * was written out), the command's end told apart from a cut connection (no Status on
 * channel 3), a consumer of stdout that goes away or a cancel ending the run at any point
 * (the upgrade included, which is also bounded in time), and the refusal of an upgrade
 * mapped to the person's one line.
 */
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { PassThrough, finished as eos } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { V1Status } from '@kubernetes/client-node';
import { UserError } from '../../core/errors.ts';
import type { ExecOptions, ExecResult } from '../../core/platform.ts';
import { settleInput } from '../docker/attach-stream.ts';
import { TailBuffer } from '../docker/log-stream.ts';
import { feed, type FeedOutcome } from '../../streams/feed.ts';
import { forbidden, networkCode, type ApiAction } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import type { ExecTarget } from './exec-target.ts';
import type { Pod } from './objects.ts';
import { call, checkAccess, toWire } from './workload-api.ts';

const tailBytes = 64 * 1024;
const closeChannel = 255;
const v5 = 'v5.channel.k8s.io';
/** How long the upgrade may take before the run is given up (ws's handshakeTimeout). */
const defaultHandshakeMs = 30_000;
const refusalBytes = 64 * 1024;
const stdinChannel = 0;

/** The part of the socket client-node returns (ws's WebSocket) that is used here. */
interface ExecSocket {
  readonly readyState: number;
  send(data: Buffer, callback: (error?: Error) => void): void;
  pause(): void;
  resume(): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

const wsOpen = 1;
const wsClosed = 3;

export async function execInPod(
  clients: KubeClients,
  target: ExecTarget,
  argv: readonly string[],
  options: ExecOptions,
  signal?: AbortSignal,
  handshakeMs = defaultHandshakeMs,
  onStderr?: (chunk: Buffer) => void,
): Promise<ExecResult> {
  let started = false;
  try {
    const container = await prepare(clients, target, options, signal);
    started = true;
    return await run(clients, target, container, argv, options, signal, handshakeMs, onStderr);
  } catch (error) {
    // As on Docker: a consumer of stdout must see a premature close, not a clean end; an
    // input never read is let flow so that its writer is not stuck.
    options.stdout?.destroy();
    if (!started) options.stdin?.resume();
    throw error;
  }
}

/** Everything that can be refused before anything runs; returns the container's name. */
async function prepare(
  clients: KubeClients,
  target: ExecTarget,
  options: ExecOptions,
  signal?: AbortSignal,
): Promise<string> {
  const { cluster } = clients;
  // pods/exec has neither: a user would need a wrapper inside the image, and environment
  // values would have to go on the command line, where PGPASSWORD must never be.
  if (options.user !== undefined) {
    throw new UserError('kubernetes-exec-option', { cluster, option: `user ${options.user}` });
  }
  const env = Object.keys(options.env ?? {});
  if (env.length > 0) {
    throw new UserError('kubernetes-exec-option', { cluster, option: `env ${env.join(', ')}` });
  }
  const action = podAction(clients, target, 'get');
  const pod = toWire(
    await call(action, () =>
      clients.core.readNamespacedPod({ name: target.pod, namespace: target.namespace }),
    ),
  ) as Pod;
  signal?.throwIfAborted();
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = target.container ?? names[0] ?? '';
  if (!names.includes(container)) {
    throw new UserError('kubernetes-exec-no-container', {
      pod: target.pod,
      namespace: target.namespace,
      container,
      known: names.join(', '),
    });
  }
  await checkAccess(clients, {
    cluster,
    namespace: target.namespace,
    verb: 'create',
    group: '',
    resource: 'pods',
    subresource: 'exec',
    name: target.pod,
  });
  signal?.throwIfAborted();
  return container;
}

function podAction(clients: KubeClients, target: ExecTarget, verb: string): ApiAction {
  return {
    cluster: clients.cluster,
    verb,
    resource: 'pods',
    group: '',
    namespace: target.namespace,
    ...(verb === 'create' ? { subresource: 'exec' } : {}),
  };
}

async function run(
  clients: KubeClients,
  target: ExecTarget,
  container: string,
  argv: readonly string[],
  options: ExecOptions,
  signal: AbortSignal | undefined,
  handshakeMs: number,
  onStderr: ((chunk: Buffer) => void) | undefined,
): Promise<ExecResult> {
  const kept = options.stdout === undefined ? new TailBuffer(tailBytes) : undefined;
  const sink = options.stdout ?? collect(kept);
  const stderr = new TailBuffer(tailBytes);
  let socket: ExecSocket | undefined;
  // Set by a cancel or a consumer that went away: no socket may live on after it, even one
  // still in its upgrade (its terminate() aborts the request and fails the upgrade).
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    socket?.terminate();
  };
  let outputError: Error | undefined;
  // As stream.pipeline does for Docker's exec: a consumer destroyed without an error is a
  // premature close, and ends the run as an error does; else the socket stays paused for a
  // 'drain' that never comes.
  const stopWatchingSink = eos(sink, (error) => {
    if (error === undefined || error === null) return;
    outputError ??= error;
    stop();
  });
  let waiting = false;
  // Exec writes every stdout message without looking at write()'s answer: a full consumer
  // (a slow upload of a dump) stops the socket being read until it drains.
  const relay = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!sink.write(chunk) && !waiting && !sink.destroyed) {
        waiting = true;
        socket?.pause();
        sink.once('drain', () => {
          waiting = false;
          socket?.resume();
        });
      }
      callback();
    },
    final(callback) {
      sink.end();
      finished(sink).then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
  relay.on('error', (error) => (outputError ??= error));
  let status: V1Status | undefined;
  let refusal: Refusal | undefined;
  // Given to Exec only so that it asks for stdin (`stdin=true`); the input is sent below,
  // with backpressure and the v5 close, instead of by Exec's own unthrottled reader.
  const stdinMarker = options.stdin === undefined ? null : new PassThrough();
  const { Exec } = await import('@kubernetes/client-node');
  const { WebSocketHandler } = await import('@kubernetes/client-node/dist/web-socket-handler.js');
  const { default: WebSocket } = await import('ws');
  // With input, only v5 is offered: a server without it (it could not close stdin) then
  // refuses the upgrade before the command starts, instead of running it on an input it can
  // never see the end of. ws bounds the upgrade: a server that takes the connection and
  // never answers must not hold the job for ever.
  const handler = new WebSocketHandler(clients.config, (uri, protocols, opts) => {
    const ws = new WebSocket(uri, options.stdin === undefined ? protocols : [v5], {
      ...opts,
      handshakeTimeout: handshakeMs,
    });
    socket = ws;
    if (stopped) ws.terminate();
    // ws keeps no body of a refusal; its Status tells RBAC's 403 from the kubelet's bare
    // one for a protocol it lacks (wsstream's handshake, through x/net/websocket).
    ws.on('unexpected-response', (_request, response) => {
      void readCapped(response, refusalBytes).then((body) => {
        refusal = { status: response.statusCode ?? 0, body };
        ws.terminate();
      });
    });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- ws's own WebSocket; @types/ws names it twice (class and alias), which this rule cannot match
    return ws;
  });
  try {
    signal?.throwIfAborted();
    signal?.addEventListener('abort', stop, { once: true });
    let open: ExecSocket;
    try {
      open = await new Exec(clients.config, handler).exec(
        target.namespace,
        target.pod,
        container,
        [...argv],
        relay,
        collect(stderr, onStderr),
        stdinMarker,
        false,
        (s) => {
          status = s;
        },
      );
    } catch (error) {
      signal?.throwIfAborted();
      if (outputError !== undefined) throw outputError;
      throw upgradeRefused(clients, target, container, options, handshakeMs, refusal, error);
    }
    socket = open;
    if (stopped) open.terminate();
    const closed = new Promise<void>((resolve) => {
      if (open.readyState === wsClosed) resolve();
      else open.once('close', resolve);
    });
    let feeding: Promise<FeedOutcome> = Promise.resolve({});
    if (options.stdin !== undefined) {
      const writer = stdinWriter(open);
      void closed.then(() => writer.destroy());
      feeding = feed(options.stdin, writer);
      // A broken input ends the run: the command must not take a cut stream for the whole.
      void feeding.then((fed) => {
        if (fed.inputError !== undefined) open.terminate();
      });
    }
    await closed;
    const fed = await feeding;
    signal?.throwIfAborted();
    if (fed.inputError !== undefined) throw fed.inputError;
    if (outputError !== undefined) throw outputError;
    const exitCode = exitCodeOf(target, container, status);
    // Exec ended stdout when the Status came; its consumer has it all once it finished.
    await finished(relay);
    const lateError = outputError as Error | undefined;
    if (lateError !== undefined) throw lateError;
    await settleInput(options.stdin, exitCode === 0);
    return { exitCode, stdout: kept?.text().text ?? '', stderr: stderr.text().text };
  } finally {
    signal?.removeEventListener('abort', stop);
    stopWatchingSink();
    stdinMarker?.destroy();
    if (socket !== undefined && socket.readyState !== wsClosed) socket.terminate();
  }
}

/** Sends each chunk on channel 0 once the previous one is written out; ending sends the v5 close. */
function stdinWriter(socket: ExecSocket): Writable {
  const send = (data: Buffer, callback: (error?: Error | null) => void): void => {
    if (socket.readyState !== wsOpen) {
      callback(new Error('the exec connection is closed'));
      return;
    }
    socket.send(data, (error) => callback(error ?? null));
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      send(Buffer.concat([Buffer.from([stdinChannel]), chunk]), callback);
    },
    final(callback) {
      send(Buffer.from([closeChannel, stdinChannel]), callback);
    },
  });
}

/** The exit code from the Status on channel 3; a missing one is a cut connection. */
function exitCodeOf(target: ExecTarget, container: string, status: V1Status | undefined): number {
  const where = { pod: target.pod, container };
  if (status === undefined) throw new UserError('kubernetes-exec-cut', where);
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code > 0) return code;
  }
  throw new UserError('kubernetes-exec-failed', {
    ...where,
    detail: status.message ?? status.reason ?? 'Failure',
  });
}

/** An upgrade answered with an HTTP error: its code and the start of its body. */
interface Refusal {
  readonly status: number;
  readonly body: string;
}

/** Reads a response body up to `limit` bytes; ends early on an error or a close. */
function readCapped(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    response.once('end', done).once('close', done).once('error', done);
  });
}

function isStatus(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return (
      typeof parsed === 'object' && parsed !== null && 'kind' in parsed && parsed.kind === 'Status'
    );
  } catch {
    return false;
  }
}

/**
 * Why the upgrade failed: an HTTP answer that was not one (kept by the 'unexpected-response'
 * listener), ws's own words when the answer was not a WebSocket one it accepts or did not
 * come in time, or the socket's error (client-node rejects with ws's error event).
 */
function upgradeRefused(
  clients: KubeClients,
  target: ExecTarget,
  container: string,
  options: ExecOptions,
  handshakeMs: number,
  refusal: Refusal | undefined,
  event: unknown,
): unknown {
  const error =
    typeof event === 'object' && event !== null && 'error' in event ? event.error : event;
  const { cluster } = clients;
  const code = networkCode(error);
  if (code !== undefined) {
    return new UserError('kubernetes-unreachable', { cluster, reason: code }, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Opening handshake has timed out') {
    return new UserError(
      'kubernetes-exec-handshake-timeout',
      { cluster, pod: target.pod, container, seconds: Math.ceil(handshakeMs / 1000) },
      { cause: error },
    );
  }
  // Only v5 was offered (input given): a kubelet without it (wsstream's handshake, through
  // x/net/websocket) refuses with a bare 403 before anything runs.
  if (options.stdin !== undefined && refusal?.status === 403 && !isStatus(refusal.body)) {
    return new UserError('kubernetes-exec-no-stdin-close', { cluster }, { cause: error });
  }
  // A server that upgraded with no protocol at all, which ws then closes: the command may
  // have started (on an input that ended at once), so its outcome is not known.
  if (message === 'Server sent no subprotocol') {
    return new UserError('kubernetes-exec-cut', { pod: target.pod, container }, { cause: error });
  }
  const http = refusal?.status ?? Number(/Unexpected server response: (\d{3})/.exec(message)?.[1]);
  if (http === 401) return new UserError('kubernetes-unauthorized', { cluster }, { cause: error });
  if (http === 403) return forbidden(podAction(clients, target, 'create'), error);
  if (Number.isInteger(http) && http > 0) {
    return new UserError(
      'kubernetes-exec-failed',
      { pod: target.pod, container, detail: `pods/exec answered HTTP ${http}` },
      { cause: error },
    );
  }
  return error;
}

function collect(kept: TailBuffer | undefined, each?: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      kept?.push(chunk);
      each?.(chunk);
      callback();
    },
  });
}
