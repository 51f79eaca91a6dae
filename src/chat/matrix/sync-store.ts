/**
 * matrix-js-sdk's store with its sync state in SQLite: the client's in-memory store, plus
 * the accumulated sync (SyncAccumulator, as the SDK's own IndexedDB store keeps it) saved
 * after every sync. At start the SDK replays the saved rooms (before PREPARED, so the
 * adapter ignores them) and resumes /sync from the saved token: old commands are not seen
 * again, new ones are.
 */
import { MemoryStore, SyncAccumulator, type ISyncResponse } from 'matrix-js-sdk';
import type { ISavedSync } from 'matrix-js-sdk/lib/store/index.js';
import type { SavedSync } from '../../store/matrix-repo.ts';

export interface SyncPersistence {
  loadSync(userId: string): SavedSync | undefined;
  saveSync(userId: string, sync: SavedSync): void;
  deleteSync(userId: string): void;
}

export class SqliteSyncStore extends MemoryStore {
  readonly #persist: SyncPersistence;
  readonly #userId: string;
  readonly #accumulator = new SyncAccumulator();
  #dirty = false;
  /** Runs after each save, e.g. to save the crypto store with the token it belongs to. */
  onSave: (() => Promise<void>) | undefined;

  constructor(persist: SyncPersistence, userId: string) {
    super();
    this.#persist = persist;
    this.#userId = userId;
    const saved = this.#load();
    if (saved !== undefined) {
      this.#accumulator.accumulate(
        {
          next_batch: saved.nextBatch,
          rooms: saved.roomsData,
          account_data: { events: saved.accountData },
        },
        true,
      );
    }
  }

  #load(): ISavedSync | undefined {
    const row = this.#persist.loadSync(this.#userId);
    if (row === undefined) return undefined;
    const data = JSON.parse(row.data) as Omit<ISavedSync, 'nextBatch'>;
    return { nextBatch: row.nextBatch, roomsData: data.roomsData, accountData: data.accountData };
  }

  #token(): string | null {
    // Null until a sync was accumulated (the SDK's type says string).
    const token = this.#accumulator.getNextBatchToken() as string | null;
    return token === null || token === '' ? null : token;
  }

  override getSavedSync(): Promise<ISavedSync | null> {
    const token = this.#token();
    if (token === null) return Promise.resolve(null);
    const json = this.#accumulator.getJSON();
    return Promise.resolve({ ...json, nextBatch: token });
  }

  override getSavedSyncToken(): Promise<string | null> {
    return Promise.resolve(this.#token());
  }

  override setSyncData(syncData: ISyncResponse): Promise<void> {
    this.#accumulator.accumulate(syncData);
    this.#dirty = true;
    return Promise.resolve();
  }

  /** After every sync: the token must be on disk before the next commands can be seen. */
  override wantsSave(): boolean {
    return this.#dirty;
  }

  override save(): Promise<void> {
    if (!this.#dirty) return Promise.resolve();
    // The token is saved only after the sync was processed (crypto included).
    const json = this.#accumulator.getJSON(true);
    this.#persist.saveSync(this.#userId, {
      nextBatch: json.nextBatch,
      data: JSON.stringify({ roomsData: json.roomsData, accountData: json.accountData }),
    });
    this.#dirty = false;
    return this.onSave?.() ?? Promise.resolve();
  }

  override deleteAllData(): Promise<void> {
    this.#persist.deleteSync(this.#userId);
    return super.deleteAllData();
  }
}
