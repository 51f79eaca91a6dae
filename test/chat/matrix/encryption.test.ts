/**
 * End-to-end encryption with `matrix.encryption` set: a person's client (matrix-js-sdk with
 * Rust crypto, as Element uses) writes in an encrypted room; the bot decrypts the command,
 * answers encrypted, and after a restart has the same device keys and still reads the
 * person's Megolm session. Everything goes through the fake homeserver, which only relays keys.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import type { MatrixClient } from 'matrix-js-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeRoom } from '../../fakes/matrix/index.ts';
import { startSdkClient } from '../../fakes/matrix/sdk-client.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;
let anna: MatrixClient;
let room: FakeRoom;
/** What Anna's client shows of the bot's messages, decrypted. */
const seen: string[] = [];
/** The files among them. */
const files: Record<string, unknown>[] = [];

beforeEach(async () => {
  seen.length = 0;
  files.length = 0;
  h = await startHarness({ settings: { cryptoPassphrase: 'passphrase-for-the-test-store' } });
  await h.ready();
  expect(h.adapter.encryption).toBe(true);
  room = h.hs.createRoom(h.admin, { encrypted: true, members: [h.botUser] });
  await startSdkClient(h.hs, h.admin, {
    crypto: true,
    created: (client) => {
      anna = client;
    },
    onEvent: (event, client) => {
      if (event.getSender() !== h.botUser.userId) return;
      void client.decryptEventIfNeeded(event).then(() => {
        if (event.getType() !== 'm.room.message') return;
        seen.push(String(event.getContent()['body']));
        if (event.getContent()['msgtype'] === 'm.file') files.push(event.getContent());
      });
    },
  });
});

afterEach(async () => {
  anna.stopClient();
  await h.close();
});

/** Deletes every database of the process's in-memory IndexedDB (Anna's crypto is not in it). */
async function dropIndexedDb(): Promise<void> {
  const idb = (globalThis as unknown as { indexedDB: IdbLike }).indexedDB;
  for (const { name } of await idb.databases()) {
    if (name === undefined) continue;
    await new Promise<void>((resolve, reject) => {
      const req = idb.deleteDatabase(name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(new Error(`cannot delete ${name}`));
    });
  }
  expect(await idb.databases()).toEqual([]);
}

interface IdbLike {
  databases(): Promise<{ name?: string }[]>;
  deleteDatabase(name: string): { onsuccess: (() => void) | null; onerror: (() => void) | null };
}

async function annaSays(text: string): Promise<void> {
  // The bot's device must be known to Anna's client before it can share the room key.
  await waitFor(() => anna.getRoom(room.roomId) !== null, 'the room in Anna’s client');
  await anna.sendTextMessage(room.roomId, text);
}

describe('matrix end-to-end encryption', () => {
  it('sends long output as an encrypted attachment', async () => {
    await annaSays('!pes dump 3000');
    await waitFor(() => files.length === 1, 'the file in Anna’s client');
    const file = files[0]?.['file'] as {
      url: string;
      key: { k: string };
      iv: string;
      hashes: { sha256: string };
    };
    expect(files[0]?.['url']).toBeUndefined();
    const stored = h.hs.media(file.url)?.body ?? Buffer.alloc(0);
    // The server holds ciphertext only.
    expect(stored.toString('utf8')).not.toContain('line 2999');
    expect(createHash('sha256').update(stored).digest('base64').replace(/=+$/, '')).toBe(
      file.hashes.sha256,
    );
    const decipher = createDecipheriv(
      'aes-256-ctr',
      Buffer.from(file.key.k, 'base64url'),
      Buffer.from(file.iv, 'base64'),
    );
    const plain = Buffer.concat([decipher.update(stored), decipher.final()]).toString('utf8');
    expect(plain).toContain('line 2999 ');
  });

  it('reads an encrypted command and answers encrypted; same keys after a restart', async () => {
    await annaSays('!pes echo secret words');
    await waitFor(() => seen.some((b) => b.includes('secret words')), 'the decrypted answer');
    // Nothing the bot sent to the room is readable by the server.
    const sent = h.hs.eventsBy(room, h.botUser).filter((e) => e.type !== 'm.room.member');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((e) => e.type === 'm.room.encrypted')).toBe(true);
    expect(JSON.stringify(sent)).not.toContain('secret words');

    const before = await h.adapter.client.getCrypto()?.getOwnDeviceKeys();
    await h.restart(async () => {
      // A new process starts with an empty IndexedDB: only the copy in SQLite can bring the
      // keys back.
      expect(h.db.prepare('SELECT count(*) AS n FROM matrix_crypto').get()).toEqual({ n: 1 });
      await dropIndexedDb();
    });
    await h.ready();
    const after = await h.adapter.client.getCrypto()?.getOwnDeviceKeys();
    expect(after).toEqual(before);
    expect(after?.ed25519).toBeTruthy();

    // Anna's client keeps its Megolm session: the bot must still hold the key it got before.
    await annaSays('!pes echo after the restart');
    await waitFor(
      () => seen.some((b) => b.includes('after the restart')),
      'the answer after the restart',
      15_000,
    );
    expect(h.logs.some((l) => l.includes('could not be decrypted'))).toBe(false);
  });
});
