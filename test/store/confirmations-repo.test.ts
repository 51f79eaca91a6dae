import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmationCodePattern } from '../../src/core/confirmations.ts';
import type { NewConfirmation } from '../../src/core/confirmations.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { fakeClock, tempDb } from './helpers.ts';
import type { FakeClock, TempDb } from './helpers.ts';

const ttlMs = 5 * 60 * 1000;

const restore: NewConfirmation = {
  text: 'restore wiki 2025-01-01',
  command: 'restore',
  actor: 'alice',
  room: 'ops',
  description: 'Restore wiki from the snapshot of 2025-01-01, replacing current data.',
  ttlMs,
};

/** A code source that replays `codes`, to force collisions. */
function codes(...list: string[]): () => string {
  let next = 0;
  return () => {
    const code = list[next++];
    if (code === undefined) throw new Error('ran out of codes');
    return code;
  };
}

describe('SqliteConfirmationStore', () => {
  let temp: TempDb;
  let clock: FakeClock;
  let store: SqliteConfirmationStore;

  beforeEach(() => {
    temp = tempDb();
    clock = fakeClock();
    store = new SqliteConfirmationStore(temp.db, { now: clock.now });
  });
  afterEach(() => {
    temp.cleanup();
  });

  it('creates a pending confirmation with a readable code and an expiry', () => {
    const created = store.create(restore);
    expect(created.code).toMatch(confirmationCodePattern);
    expect(created).toMatchObject({
      text: restore.text,
      command: 'restore',
      actor: 'alice',
      room: 'ops',
      description: restore.description,
      state: 'pending',
      decidedBy: undefined,
    });
    expect(created.createdAt).toEqual(clock.now());
    expect(created.expiresAt.getTime() - created.createdAt.getTime()).toBe(ttlMs);
    expect(store.get(created.code)).toEqual(created);
    expect(store.get('ZZZZ')).toBeUndefined();
  });

  it('is decided once; a second decision is refused', () => {
    const { code } = store.create(restore);
    expect(store.decide(code, 'confirmed', 'bob')).toBe(true);
    expect(store.decide(code, 'declined', 'carol')).toBe(false);
    expect(store.decide(code, 'confirmed', 'bob')).toBe(false);
    expect(store.get(code)).toMatchObject({ state: 'confirmed', decidedBy: 'bob' });
  });

  it('can be declined', () => {
    const { code } = store.create(restore);
    expect(store.decide(code, 'declined', 'alice')).toBe(true);
    expect(store.get(code)).toMatchObject({ state: 'declined', decidedBy: 'alice' });
  });

  it('accepts the code typed in lower case', () => {
    const store2 = new SqliteConfirmationStore(temp.db, { now: clock.now, newCode: codes('AB2C') });
    store2.create(restore);
    expect(store2.get('ab2c')?.code).toBe('AB2C');
    expect(store2.decide(' ab2c ', 'confirmed', 'bob')).toBe(true);
  });

  it('expires after its time and can no longer be decided', () => {
    const { code } = store.create(restore);
    clock.advance(ttlMs - 1);
    expect(store.get(code)?.state).toBe('pending');
    clock.advance(1);
    expect(store.get(code)?.state).toBe('expired');
    expect(store.decide(code, 'confirmed', 'bob')).toBe(false);
    expect(store.get(code)).toMatchObject({ state: 'expired', decidedBy: undefined });
  });

  it('is decided through another connection exactly once', () => {
    const { code } = store.create(restore);
    const other = new SqliteConfirmationStore(temp.reopen(), { now: clock.now });
    expect(other.get(code)?.state).toBe('pending');
    expect(other.decide(code, 'confirmed', 'bob')).toBe(true);
    expect(store.decide(code, 'confirmed', 'carol')).toBe(false);
  });

  it('picks another code when the drawn one is pending', () => {
    const fixed = new SqliteConfirmationStore(temp.db, {
      now: clock.now,
      newCode: codes('AAAA', 'AAAA', 'AAAA', 'BBBB'),
    });
    expect(fixed.create(restore).code).toBe('AAAA');
    expect(fixed.create(restore).code).toBe('BBBB');
  });

  it('reuses a code once its confirmation is closed or expired, and get shows the newest', () => {
    const fixed = new SqliteConfirmationStore(temp.db, {
      now: clock.now,
      newCode: codes('AAAA', 'AAAA', 'AAAA'),
    });
    fixed.create(restore);
    fixed.decide('AAAA', 'declined', 'alice');
    const second = fixed.create({ ...restore, text: 'second' });
    expect(second.code).toBe('AAAA');
    expect(fixed.get('AAAA')).toMatchObject({ text: 'second', state: 'pending' });

    clock.advance(ttlMs);
    const third = fixed.create({ ...restore, text: 'third' });
    expect(third.code).toBe('AAAA');
    expect(fixed.get('AAAA')).toMatchObject({ text: 'third', state: 'pending' });
    expect(fixed.decide('AAAA', 'confirmed', 'bob')).toBe(true);
  });

  it('gives up when no free code can be found', () => {
    const fixed = new SqliteConfirmationStore(temp.db, {
      now: clock.now,
      newCode: () => 'AAAA',
    });
    fixed.create(restore);
    expect(() => fixed.create(restore)).toThrow(/no free confirmation code/);
  });
});
