/**
 * matrix-js-sdk clients for the tests that drive the fake (or the bot through it) with the
 * real SDK: silent, since the SDK logs every retry and state change to the console, and
 * started up to the PREPARED state, after which the initial sync is done.
 */
import {
  ClientEvent,
  createClient,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import { logger as sdkRootLogger, type Logger as SdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { FakeHomeserver, FakeMatrixUser } from './index.ts';

const silent = (): void => undefined;

export const silentLogger: SdkLogger = {
  trace: silent,
  debug: silent,
  info: silent,
  warn: silent,
  error: silent,
  getChild: () => silentLogger,
};

/**
 * Silences the module-level logger, which some SDK modules still write to: `setLevel` alone
 * does not reach the child loggers made later (loglevel children take the default level,
 * e.g. MatrixRTCSession's), so those are replaced too.
 */
export function silenceSdkRootLogger(): void {
  // Deprecated for use by applications, but some SDK modules still log through it.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const root = sdkRootLogger as unknown as {
    setLevel: (level: string, persist: boolean) => void;
    getChild: (namespace: string) => SdkLogger;
  };
  root.setLevel('silent', false);
  root.getChild = () => silentLogger;
}

export interface SdkClientOptions {
  /** Rust crypto with its keys in memory. */
  readonly crypto?: boolean;
  /** Told at once, before anything can fail, so that the test can stop the client. */
  readonly created?: (client: MatrixClient) => void;
  readonly onEvent?: (event: MatrixEvent, client: MatrixClient) => void;
  readonly onSync?: (state: SyncState) => void;
}

/** A client of `user` on the fake, resolved once its initial sync is done. */
export async function startSdkClient(
  hs: FakeHomeserver,
  user: FakeMatrixUser,
  options: SdkClientOptions = {},
): Promise<MatrixClient> {
  const c = createClient({
    baseUrl: hs.url,
    accessToken: user.accessToken,
    userId: user.userId,
    deviceId: user.deviceId,
    logger: silentLogger,
  });
  options.created?.(c);
  if (options.crypto === true) await c.initRustCrypto({ useIndexedDB: false });
  const { onEvent, onSync } = options;
  if (onEvent !== undefined) c.on(RoomEvent.Timeline, (event: MatrixEvent) => onEvent(event, c));
  const prepared = new Promise<void>((resolve) => {
    c.on(ClientEvent.Sync, (state: SyncState) => {
      onSync?.(state);
      if (state === SyncState.Prepared) resolve();
    });
  });
  await c.startClient({ initialSyncLimit: 5 });
  await prepared;
  return c;
}
