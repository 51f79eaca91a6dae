/**
 * End-to-end encryption for the bot, when `matrix.encryption` is configured: matrix-js-sdk's
 * Rust crypto (WASM, shipped in the npm package) on an in-memory IndexedDB
 * (fake-indexeddb), restored from SQLite before it starts and saved after every sync, so the
 * device keeps its keys and sessions across restarts. Outgoing messages in encrypted rooms
 * are encrypted here, before the outbox sends them with their stored transaction id.
 */
import { MatrixEvent, type MatrixClient } from 'matrix-js-sdk';
import type { CryptoBackend } from 'matrix-js-sdk/lib/common-crypto/CryptoBackend.js';
import type { Logger } from '../../core/logger.ts';
import {
  dropDatabases,
  restoreDatabases,
  snapshotDatabases,
  type CryptoPersistence,
  type IdbFactory,
} from './crypto-store.ts';
import type { Content } from './types.ts';

const idbGlobals = [
  'indexedDB',
  'IDBCursor',
  'IDBCursorWithValue',
  'IDBDatabase',
  'IDBFactory',
  'IDBIndex',
  'IDBKeyRange',
  'IDBObjectStore',
  'IDBOpenDBRequest',
  'IDBRequest',
  'IDBTransaction',
  'IDBVersionChangeEvent',
] as const;

export interface BotCrypto {
  /** Copies the crypto store into SQLite. */
  save(): Promise<void>;
  /** The event to send: encrypted when the room is, else as given. */
  seal(
    roomId: string,
    type: string,
    content: Content,
    txnId: string,
  ): Promise<{ type: string; content: Content }>;
}

export async function startCrypto(
  client: MatrixClient,
  options: {
    userId: string;
    deviceId: string;
    passphrase: string;
    persistence: CryptoPersistence;
    log: Logger;
  },
): Promise<BotCrypto> {
  // The Rust crypto's store looks for the IndexedDB API on globalThis (what
  // fake-indexeddb/auto does, done here to keep its types).
  // Its types build on the DOM's, which this project does not load.
  const fake = (await import('fake-indexeddb')) as unknown as Record<string, unknown>;
  const globals = globalThis as unknown as Record<string, unknown>;
  if (globals['indexedDB'] === undefined) {
    for (const name of idbGlobals) globals[name] = fake[name];
  }
  const factory = globals['indexedDB'] as IdbFactory;
  // Per device: a new login (a new device id) starts with new keys rather than failing on
  // the keys of the old one.
  const account = `${options.userId}/${options.deviceId}`;
  const prefix = `pes-crypto-${account}`;
  const saved = options.persistence.loadCrypto(account);
  if (saved === undefined) await dropDatabases(factory, prefix);
  else await restoreDatabases(factory, saved);
  await client.initRustCrypto({
    useIndexedDB: true,
    cryptoDatabasePrefix: prefix,
    storagePassword: options.passphrase,
  });
  const keys = await client.getCrypto()?.getOwnDeviceKeys();
  options.log.info('matrix end-to-end encryption ready', {
    restored: saved !== undefined,
    ed25519: keys?.ed25519,
  });
  const backend = client.getCrypto() as unknown as CryptoBackend;
  return {
    async save() {
      options.persistence.saveCrypto(account, await snapshotDatabases(factory, prefix));
    },
    async seal(roomId, type, content, txnId) {
      const room = client.getRoom(roomId);
      // Reactions stay in clear, as every client sends them (their relation must be readable).
      if (type === 'm.reaction' || room === null || !room.hasEncryptionStateEvent()) {
        return { type, content };
      }
      const event = new MatrixEvent({
        type,
        content,
        room_id: roomId,
        sender: options.userId,
        event_id: `~${roomId}:${txnId}`,
        origin_server_ts: Date.now(),
      });
      await backend.encryptEvent(event, room);
      return { type: event.getWireType(), content: event.getWireContent() };
    },
  };
}
