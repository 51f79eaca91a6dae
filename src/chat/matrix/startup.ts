/**
 * How the Matrix client starts: encryption first when a passphrase is configured, so that
 * the keys are there before the first sync brings encrypted events, then the sync itself
 * (resumed from the stored token by the sync store).
 */
import type { MatrixClient } from 'matrix-js-sdk';
import type { Logger } from '../../core/logger.ts';
import type { CryptoPersistence } from './crypto-store.ts';
import { startCrypto, type BotCrypto } from './crypto.ts';
import type { SqliteSyncStore } from './sync-store.ts';
import type { MatrixSettings } from './types.ts';

export interface StartupDeps {
  readonly client: MatrixClient;
  readonly settings: MatrixSettings;
  readonly persistence: CryptoPersistence;
  readonly syncStore: SqliteSyncStore;
  readonly log: Logger;
  /** The /sync long-poll timeout asked of the homeserver. */
  readonly pollTimeoutMs: number;
  /** Told once encryption works, before the first sync. */
  readonly encrypted: (crypto: BotCrypto) => void;
}

export async function startSyncing(deps: StartupDeps): Promise<void> {
  const { client, settings, log } = deps;
  const passphrase = settings.cryptoPassphrase;
  if (passphrase !== undefined) {
    try {
      const crypto = await startCrypto(client, {
        userId: settings.userId,
        deviceId: settings.deviceId,
        passphrase,
        persistence: deps.persistence,
        log,
      });
      deps.encrypted(crypto);
      // The keys are copied to SQLite with every saved sync, so a restart keeps the device.
      deps.syncStore.onSave = () => crypto.save();
    } catch (error) {
      // Without its keys the bot still works in unencrypted rooms, and says so in the others.
      log.error('matrix end-to-end encryption could not start', { error });
    }
  }
  await client.startClient({
    initialSyncLimit: 10,
    disablePresence: true,
    lazyLoadMembers: false,
    pollTimeout: deps.pollTimeoutMs,
  });
}
