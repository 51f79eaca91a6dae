import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteMattermostSeen } from '../../src/store/mattermost-seen-repo.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';

const at = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function store() {
  let now = at(0);
  const db = openDatabase(':memory:');
  return { db, outbox: new SqliteOutboxStore(db, { now: () => now }), set: (d: Date) => (now = d) };
}

describe('SqliteOutboxStore', () => {
  it('keeps one item per idempotency key', () => {
    const { outbox } = store();
    const first = outbox.enqueue({ key: 'a', room: 'mattermost:x', kind: 'post', payload: '1' });
    const again = outbox.enqueue({ key: 'a', room: 'mattermost:x', kind: 'post', payload: '2' });
    expect(again.id).toBe(first.id);
    expect(again.payload).toBe('1');
  });

  it('offers only the head of each room, when due, and rooms of its prefix only', () => {
    const { outbox } = store();
    const a1 = outbox.enqueue({ key: 'a1', room: 'mattermost:a', kind: 'post', payload: '' });
    outbox.enqueue({ key: 'a2', room: 'mattermost:a', kind: 'post', payload: '' });
    outbox.enqueue({
      key: 'b1',
      room: 'mattermost:b',
      kind: 'post',
      payload: '',
      notBefore: at(10),
    });
    outbox.enqueue({ key: 'm1', room: 'matrix:!r:s', kind: 'post', payload: '' });
    expect(outbox.due('mattermost:', at(0), 10).map((i) => i.key)).toEqual(['a1']);
    expect(outbox.nextDue('mattermost:')).toEqual(at(0));
    outbox.retryAt(a1.id, at(5), 'HTTP 500', true);
    expect(outbox.due('mattermost:', at(1), 10)).toEqual([]);
    expect(outbox.nextDue('mattermost:')).toEqual(at(5));
    expect(outbox.due('mattermost:', at(10), 10).map((i) => i.key)).toEqual(['a1', 'b1']);
    expect(outbox.byKey('a1')).toMatchObject({
      uncertain: true,
      lastError: 'HTTP 500',
      state: 'pending',
    });
    outbox.markSent(a1.id, 'remote');
    expect(outbox.due('mattermost:', at(10), 10).map((i) => i.key)).toEqual(['a2', 'b1']);
  });

  it('counts attempts, marks sends uncertain until settled, and knows superseded edits', () => {
    const { outbox } = store();
    const post = outbox.enqueue({ key: 'p', room: 'mattermost:a', kind: 'post', payload: '' });
    outbox.markSending(post.id);
    expect(outbox.byKey('p')).toMatchObject({ state: 'sending', attempts: 1, uncertain: true });
    outbox.markSent(post.id, 'r1');
    const e1 = outbox.enqueue({
      key: 'e1',
      room: 'mattermost:a',
      kind: 'patch',
      payload: '',
      targetKey: 'p',
    });
    outbox.enqueue({ key: 'e2', room: 'mattermost:a', kind: 'patch', payload: '', targetKey: 'p' });
    expect(outbox.hasLaterPatch(e1)).toBe(true);
    outbox.supersede(e1.id);
    expect(outbox.byKey('e1')?.state).toBe('superseded');
    const e2 = outbox.byKey('e2');
    if (e2 === undefined) throw new Error('missing');
    expect(outbox.hasLaterPatch(e2)).toBe(false);
    outbox.fail(e2.id, 'HTTP 404');
    expect(outbox.due('mattermost:', at(0), 10)).toEqual([]);
  });
});

describe('SqliteMattermostSeen', () => {
  it('claims a post once and remembers the newest post per channel', () => {
    const seen = new SqliteMattermostSeen(openDatabase(':memory:'));
    expect(seen.claim('p1', 'c1', 100)).toBe(true);
    expect(seen.claim('p1', 'c1', 100)).toBe(false);
    seen.touch('c1', 'served', 100);
    seen.touch('c1', 'served', 50);
    seen.touch('c2', 'direct', 70);
    expect(seen.channels()).toEqual([
      { channelId: 'c1', kind: 'served', lastPostAt: 100 },
      { channelId: 'c2', kind: 'direct', lastPostAt: 70 },
    ]);
    seen.prune(200);
    expect(seen.claim('p1', 'c1', 100)).toBe(true);
  });
});
