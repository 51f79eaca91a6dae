/**
 * The shared delivery loop (src/chat/outbox-loop.ts) on the real store: an item waiting for a
 * retry holds the later items of its room, in the order they were written, and holds no
 * other room.
 */
import { describe, expect, it } from 'vitest';
import { OutboxLoop } from '../../src/chat/outbox-loop.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { OutboxItem } from '../../src/core/outbox.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { waitFor } from '../helpers/wait.ts';

describe('outbox delivery order', () => {
  it('retries a room in order while another room goes on', async () => {
    const db = openDatabase(':memory:');
    const store = new SqliteOutboxStore(db);
    const sent: string[] = [];
    let failures = 3;
    const log = createLogger({ level: 'error', write: () => undefined });
    const loop = new OutboxLoop(
      { store, roomPrefix: 'matrix:', log, baseDelayMs: 20, maxDelayMs: 40 },
      (item: OutboxItem) => {
        store.markSending(item.id);
        // Room a's server is down for its first three attempts.
        if (item.room === 'matrix:a' && failures > 0) {
          failures--;
          store.retryAt(
            item.id,
            new Date(Date.now() + loop.backoff(item.attempts + 1)),
            'down',
            true,
          );
        } else {
          sent.push(item.key);
          store.markSent(item.id, `$${item.key}`);
        }
        return Promise.resolve();
      },
    );
    for (const key of ['whoami', 'status', 'jobs']) {
      store.enqueue({ key, room: 'matrix:a', kind: 'post', payload: '{}' });
    }
    store.enqueue({ key: 'elsewhere', room: 'matrix:b', kind: 'post', payload: '{}' });
    loop.start();
    try {
      await waitFor(() => sent.length === 4, 'every item sent');
    } finally {
      await loop.stop();
      db.close();
    }
    expect(sent.filter((k) => k !== 'elsewhere')).toEqual(['whoami', 'status', 'jobs']);
    // Room b did not wait for room a's retries.
    expect(sent[0]).toBe('elsewhere');
  });
});
