/**
 * The bot's matrix-js-sdk client, and the two requests the outbox makes with it. Sends go
 * straight to `PUT /rooms/{roomId}/send/{eventType}/{txnId}` with the transaction id kept in
 * the outbox row, instead of through the SDK's send queue: the outbox already orders,
 * retries and keeps messages across restarts, and a second queue in memory would lose what it
 * holds on a crash.
 */
import { createClient, HTTPError, MatrixError, Method, type MatrixClient } from 'matrix-js-sdk';
import { logger as sdkRootLogger } from 'matrix-js-sdk/lib/logger.js';
import type { Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { Logger } from '../../core/logger.ts';
import { encryptAttachment, type EncryptedFile } from './attachment.ts';
import type { SqliteSyncStore } from './sync-store.ts';
import type { Content, FileToUpload, MatrixSettings } from './types.ts';

/**
 * The SDK logs every retry and state change at warn or error level, to the console; its
 * lines go to the bot's log at debug level instead (the adapter logs what matters itself).
 */
function quietLogger(log: Logger, prefix = 'matrix-sdk'): SdkLogger {
  const write = (...msg: unknown[]): void => {
    log.debug(prefix, {
      sdk: msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' '),
    });
  };
  return {
    trace: write,
    debug: write,
    info: write,
    warn: write,
    error: write,
    getChild: (namespace: string) => quietLogger(log, `${prefix}${namespace}`),
  };
}

/** Where the SDK's module-level logger writes: the log of the newest client. */
let rootLog: Logger | undefined;
let rootRouted = false;

/**
 * The module-level logger some SDK modules write to directly (`logger` of
 * matrix-js-sdk/lib/logger, a loglevel logger): its `methodFactory` is replaced, as the SDK
 * documents for redirecting its output, so its lines and those of the child loggers made
 * from it later (`getChild` copies the factory) reach the bot's log at debug level. Children
 * an SDK module made at import time keep writing to the console, which `pes serve` routes
 * through the log too (routeConsole in src/core/logger.ts).
 */
function routeRootLogger(log: Logger): void {
  rootLog = log;
  if (rootRouted) return;
  rootRouted = true;
  // A loglevel logger at run time; the SDK's type shows neither methodFactory nor setLevel.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- redirected here, never written to
  const root = sdkRootLogger as unknown as {
    methodFactory: (method: string) => (this: { prefix?: string }, ...msg: unknown[]) => void;
    setLevel: (level: string, persist: boolean) => void;
  };
  root.methodFactory = () =>
    function (this: { prefix?: string }, ...msg: unknown[]): void {
      rootLog?.debug(`matrix-sdk${this.prefix ?? ''}`, {
        sdk: msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' '),
      });
    };
  // setLevel rebuilds the methods with the new factory.
  root.setLevel('trace', false);
}

export function createMatrixClient(
  settings: MatrixSettings,
  store: SqliteSyncStore,
  log: Logger,
  fetchFn?: typeof fetch,
): MatrixClient {
  routeRootLogger(log);
  return createClient({
    baseUrl: settings.homeserverUrl,
    accessToken: settings.accessToken,
    userId: settings.userId,
    deviceId: settings.deviceId,
    store,
    logger: quietLogger(log),
    ...(fetchFn === undefined ? {} : { fetchFn }),
  });
}

/** What the outbox dispatcher needs of the homeserver. */
export interface MatrixSender {
  send(roomId: string, type: string, txnId: string, content: Content): Promise<string>;
  /** Uploads a file for a room: encrypted (attachment.ts) when the room's messages are. */
  upload(roomId: string, file: FileToUpload): Promise<{ url: string } | { file: EncryptedFile }>;
}

/** Turns an event into what is sent: encrypted in an encrypted room when crypto is on. */
export type Seal = (
  roomId: string,
  type: string,
  content: Content,
  txnId: string,
) => Promise<{ type: string; content: Content }>;

export function matrixSender(client: MatrixClient, seal?: () => Seal | undefined): MatrixSender {
  return {
    async send(roomId, clearType, txnId, clearContent) {
      const sealed = (await seal?.()?.(roomId, clearType, clearContent, txnId)) ?? {
        type: clearType,
        content: clearContent,
      };
      const { type, content } = sealed;
      const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
      const res = await client.http.authedRequest<{ event_id: string }>(
        Method.Put,
        path,
        undefined,
        content,
      );
      return res.event_id;
    },
    async upload(roomId, file) {
      const plain = Buffer.from(file.content, 'utf8');
      const room = client.getRoom(roomId);
      if (client.getCrypto() !== undefined && room?.hasEncryptionStateEvent() === true) {
        const { ciphertext, file: encrypted } = encryptAttachment(plain);
        const res = await client.uploadContent(new Blob([ciphertext]), {
          type: 'application/octet-stream',
          includeFilename: false,
        });
        return { file: encrypted(res.content_uri) };
      }
      const res = await client.uploadContent(new Blob([plain], { type: file.mimetype }), {
        name: file.name,
        type: file.mimetype,
        includeFilename: true,
      });
      return { url: res.content_uri };
    },
  };
}

/** How a failed request should be treated by the outbox. */
export type Failure =
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'transient'; readonly message: string }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string };

export function classify(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HTTPError) {
    const status = error.httpStatus ?? 0;
    if (status === 429 || (error instanceof MatrixError && error.errcode === 'M_LIMIT_EXCEEDED')) {
      let retryAfterMs: number | undefined;
      try {
        retryAfterMs = error.getRetryAfterMs() ?? undefined;
      } catch {
        retryAfterMs = undefined;
      }
      return { kind: 'rate-limited', retryAfterMs };
    }
    if (status >= 400 && status < 500) return { kind: 'refused', status, message };
    return { kind: 'transient', message };
  }
  // ConnectionError, timeouts, a server that is down: the same transaction id is safe to repeat.
  return { kind: 'transient', message };
}
