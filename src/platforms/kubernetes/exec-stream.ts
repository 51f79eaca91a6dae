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
 * channel 3), and the refusal of an upgrade mapped to the person's one line.
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
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
const stdinChannel = 0;

/** The part of the socket client-node returns (ws's WebSocket) that is used here. */
interface ExecSocket {
  readonly protocol: string;
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
): Promise<ExecResult> {
  let started = false;
  try {
    const container = await prepare(clients, target, options, signal);
    started = true;
    return await run(clients, target, container, argv, options, signal);
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
  signal?: AbortSignal,
): Promise<ExecResult> {
  const kept = options.stdout === undefined ? new TailBuffer(tailBytes) : undefined;
  const sink = options.stdout ?? collect(kept);
  const stderr = new TailBuffer(tailBytes);
  let socket: ExecSocket | undefined;
  let outputError: Error | undefined;
  sink.on('error', (error: Error) => {
    outputError ??= error;
    socket?.terminate();
  });
  // Exec writes every stdout message without looking at write()'s answer: a full consumer
  // (a slow upload of a dump) stops the socket being read until it drains.
  const relay = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!sink.write(chunk)) {
        socket?.pause();
        sink.once('drain', () => socket?.resume());
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
  // Given to Exec only so that it asks for stdin (`stdin=true`); the input is sent below,
  // with backpressure and the v5 close, instead of by Exec's own unthrottled reader.
  const stdinMarker = options.stdin === undefined ? null : new PassThrough();
  const { Exec } = await import('@kubernetes/client-node');
  try {
    socket = await new Exec(clients.config).exec(
      target.namespace,
      target.pod,
      container,
      [...argv],
      relay,
      collect(stderr),
      stdinMarker,
      false,
      (s) => {
        status = s;
      },
    );
  } catch (error) {
    throw upgradeRefused(clients, target, container, error);
  }
  const open = socket;
  const closed = new Promise<void>((resolve) => {
    if (open.readyState === wsClosed) resolve();
    else open.once('close', resolve);
  });
  const onAbort = (): void => open.terminate();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let feeding: Promise<FeedOutcome> = Promise.resolve({});
    if (options.stdin !== undefined) {
      if (open.protocol !== 'v5.channel.k8s.io') {
        open.terminate();
        throw new UserError('kubernetes-exec-no-stdin-close', { cluster: clients.cluster });
      }
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
    signal?.removeEventListener('abort', onAbort);
    stdinMarker?.destroy();
    if (open.readyState !== wsClosed) open.terminate();
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

/**
 * client-node rejects with ws's error event: "Unexpected server response: 403" when the
 * upgrade was answered with an error (its Status body is not kept), or the socket's error.
 */
function upgradeRefused(
  clients: KubeClients,
  target: ExecTarget,
  container: string,
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
  const http = /Unexpected server response: (\d{3})/.exec(message)?.[1];
  if (http === '401')
    return new UserError('kubernetes-unauthorized', { cluster }, { cause: error });
  if (http === '403') return forbidden(podAction(clients, target, 'create'), error);
  if (http !== undefined) {
    return new UserError(
      'kubernetes-exec-failed',
      { pod: target.pod, container, detail: `pods/exec answered HTTP ${http}` },
      { cause: error },
    );
  }
  return error;
}

function collect(kept: TailBuffer | undefined): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      kept?.push(chunk);
      callback();
    },
  });
}
