/**
 * Keeps the end-to-end encryption state across restarts. matrix-js-sdk's Rust crypto keeps
 * its store only in IndexedDB; in Node that is fake-indexeddb, which lives in memory. So the
 * crypto database is copied into SQLite after every sync (one read transaction over all its
 * object stores, so the copy is consistent) and copied back into IndexedDB before the crypto
 * starts: same device keys, same Olm and Megolm sessions after a restart. The values are
 * already encrypted by the crypto store with the configured passphrase.
 */
import { deserialize, serialize } from 'node:v8';

// The part of the IndexedDB API used here (the project has no DOM types).
type Key = unknown;
interface Req<T> {
  result: T;
  error: Error | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface OpenReq extends Req<Db> {
  onupgradeneeded: (() => void) | null;
}
interface Index {
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}
interface Store {
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexNames: Iterable<string>;
  index(name: string): Index;
  getAll(): Req<unknown[]>;
  getAllKeys(): Req<Key[]>;
  put(value: unknown, key?: Key): unknown;
  createIndex(
    name: string,
    keyPath: string | string[],
    options: { unique: boolean; multiEntry: boolean },
  ): unknown;
}
interface Tx {
  objectStore(name: string): Store;
  error: Error | null;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
}
interface Db {
  readonly version: number;
  readonly objectStoreNames: Iterable<string>;
  transaction(names: string[], mode: 'readonly' | 'readwrite'): Tx;
  createObjectStore(
    name: string,
    options: { keyPath: string | string[] | null; autoIncrement: boolean },
  ): Store;
  close(): void;
}
export interface IdbFactory {
  open(name: string, version?: number): OpenReq;
  deleteDatabase(name: string): Req<unknown>;
  databases(): Promise<{ name?: string }[]>;
}

/** Where the copy is kept (a row of matrix_crypto). */
export interface CryptoPersistence {
  loadCrypto(account: string): Buffer | undefined;
  saveCrypto(account: string, snapshot: Buffer): void;
}

interface IndexSnapshot {
  readonly name: string;
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}

interface StoreSnapshot {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexes: readonly IndexSnapshot[];
  readonly keys: readonly Key[];
  readonly values: readonly unknown[];
}

interface DatabaseSnapshot {
  readonly name: string;
  readonly version: number;
  readonly stores: readonly StoreSnapshot[];
}

function request<T>(req: Req<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function open(
  factory: IdbFactory,
  name: string,
  version?: number,
  upgrade?: (db: Db) => void,
): Promise<Db> {
  return new Promise((resolve, reject) => {
    const req = version === undefined ? factory.open(name) : factory.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open ${name}`));
  });
}

/** A consistent copy of the named databases (those that exist). */
export async function snapshotDatabases(factory: IdbFactory, prefix: string): Promise<Buffer> {
  const names = (await factory.databases())
    .map((d) => d.name)
    .filter((n): n is string => n !== undefined && n.startsWith(prefix));
  const out: DatabaseSnapshot[] = [];
  for (const name of names) {
    const db = await open(factory, name);
    try {
      const storeNames = [...db.objectStoreNames];
      const stores: StoreSnapshot[] = [];
      if (storeNames.length > 0) {
        const tx = db.transaction(storeNames, 'readonly');
        for (const storeName of storeNames) {
          const store = tx.objectStore(storeName);
          const indexes = [...store.indexNames].map((indexName) => {
            const index = store.index(indexName);
            return {
              name: indexName,
              keyPath: index.keyPath,
              unique: index.unique,
              multiEntry: index.multiEntry,
            };
          });
          const [keys, values] = await Promise.all([
            request(store.getAllKeys()),
            request(store.getAll()),
          ]);
          stores.push({
            name: storeName,
            keyPath: store.keyPath,
            autoIncrement: store.autoIncrement,
            indexes,
            keys,
            values,
          });
        }
      }
      out.push({ name, version: db.version, stores });
    } finally {
      db.close();
    }
  }
  return serialize(out);
}

/** Deletes the databases whose names start with `prefix` (a fresh start must be fresh). */
export async function dropDatabases(factory: IdbFactory, prefix: string): Promise<void> {
  for (const { name } of await factory.databases()) {
    if (name !== undefined && name.startsWith(prefix)) await request(factory.deleteDatabase(name));
  }
}

/** Recreates the databases of a snapshot (before anything has opened them). */
export async function restoreDatabases(factory: IdbFactory, snapshot: Buffer): Promise<void> {
  const databases = deserialize(snapshot) as DatabaseSnapshot[];
  for (const saved of databases) {
    // Whatever this process had under that name is replaced by the saved copy.
    await request(factory.deleteDatabase(saved.name));
    const db = await open(factory, saved.name, saved.version, (fresh) => {
      for (const s of saved.stores) {
        const store = fresh.createObjectStore(s.name, {
          keyPath: s.keyPath,
          autoIncrement: s.autoIncrement,
        });
        for (const i of s.indexes) {
          store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
        }
      }
    });
    try {
      if (saved.stores.length === 0) continue;
      const tx = db.transaction(
        saved.stores.map((s) => s.name),
        'readwrite',
      );
      for (const s of saved.stores) {
        const store = tx.objectStore(s.name);
        s.values.forEach((value, i) => {
          if (s.keyPath === null) store.put(value, s.keys[i]);
          else store.put(value);
        });
      }
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('restore failed'));
      });
    } finally {
      db.close();
    }
  }
}
