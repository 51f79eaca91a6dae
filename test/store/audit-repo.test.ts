import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/audit.ts';
import { SqliteAuditLog, auditHash, genesisHash } from '../../src/store/audit-repo.ts';
import { tempDb } from './helpers.ts';
import type { TempDb } from './helpers.ts';

function entry(n: number): AuditEntry {
  return {
    at: new Date(Date.UTC(2025, 0, 1, 10, 0, n)),
    actor: 'alice',
    room: 'ops',
    source: 'mattermost',
    raw: `restart wiki ${n}`,
    command: 'restart',
    decision: 'allowed',
    result: 'ok',
    durationMs: 100 + n,
  };
}

describe('SqliteAuditLog', () => {
  let temp: TempDb;
  let log: SqliteAuditLog;

  beforeEach(() => {
    temp = tempDb();
    log = new SqliteAuditLog(temp.db);
  });
  afterEach(() => {
    temp.cleanup();
  });

  // What someone with the file and the sqlite3 tool can do: drop the guards, then tamper.
  function tamper(sql: string): void {
    temp.db.exec('DROP TRIGGER IF EXISTS audit_no_update');
    temp.db.exec('DROP TRIGGER IF EXISTS audit_no_delete');
    temp.db.exec(sql);
  }

  function appendSome(count: number): void {
    for (let n = 1; n <= count; n++) log.append(entry(n));
  }

  it('chains appended rows and verifies clean', () => {
    const first = log.append(entry(1));
    const second = log.append(entry(2));
    expect(first).toMatchObject({ ...entry(1), id: 1, prevHash: genesisHash });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ id: 2, prevHash: first.hash });
    expect(log.verify()).toEqual([]);
  });

  it('appends a batch in order, chained to what came before, as one transaction', () => {
    const first = log.append(entry(1));
    const batch = log.appendMany([entry(2), entry(3), entry(4)]);
    expect(batch.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(batch[0]?.prevHash).toBe(first.hash);
    expect(batch[2]?.prevHash).toBe(batch[1]?.hash);
    expect(log.append(entry(5)).prevHash).toBe(batch[2]?.hash);
    expect(log.verify()).toEqual([]);
  });

  it('appends nothing of a batch when one row cannot be stored', () => {
    log.append(entry(1));
    const broken = { ...entry(3), raw: null } as unknown as AuditEntry;
    expect(() => log.appendMany([entry(2), broken])).toThrow();
    expect(log.last(10).map((r) => r.id)).toEqual([1]);
    expect(log.verify()).toEqual([]);
  });

  it('verifies an empty log clean', () => {
    expect(log.verify()).toEqual([]);
  });

  it('hashes the previous hash and the row fields, id included', () => {
    const record = log.append(entry(1));
    const fields = {
      id: 1,
      at: '2025-01-01T10:00:01.000Z',
      actor: 'alice',
      room: 'ops',
      source: 'mattermost',
      raw: 'restart wiki 1',
      command: 'restart',
      decision: 'allowed',
      result: 'ok',
      durationMs: 101,
    };
    expect(record.hash).toBe(auditHash(genesisHash, fields));
    expect(record.hash).not.toBe(auditHash(genesisHash, { ...fields, id: 2 }));
  });

  it('stores durations as whole milliseconds', () => {
    const record = log.append({ ...entry(1), durationMs: 12.6 });
    expect(record.durationMs).toBe(13);
    expect(log.last(1)[0]?.durationMs).toBe(13);
    expect(log.verify()).toEqual([]);
  });

  it('returns the last rows newest first', () => {
    appendSome(5);
    const last = log.last(3);
    expect(last.map((record) => record.id)).toEqual([5, 4, 3]);
    expect(last[0]).toMatchObject(entry(5));
    expect(last[0]?.at).toEqual(entry(5).at);
    expect(log.last(0)).toEqual([]);
  });

  it('refuses updates and deletes through SQL', () => {
    appendSome(2);
    expect(() => {
      temp.db.exec("UPDATE audit SET raw = 'x' WHERE id = 1");
    }).toThrow(/append-only/);
    expect(() => {
      temp.db.exec('DELETE FROM audit WHERE id = 2');
    }).toThrow(/append-only/);
    expect(() => {
      temp.db.exec('DELETE FROM audit_head');
    }).toThrow(/cannot be deleted/);
    expect(log.verify()).toEqual([]);
  });

  it('detects an edited row', () => {
    appendSome(4);
    tamper("UPDATE audit SET raw = 'whoami' WHERE id = 2");
    expect(log.verify()).toEqual([{ id: 2, kind: 'edited' }]);
  });

  it('detects an edited field other than the text', () => {
    appendSome(3);
    tamper("UPDATE audit SET decision = 'denied' WHERE id = 3");
    expect(log.verify()).toEqual([{ id: 3, kind: 'edited' }]);
  });

  it('detects a deleted middle row', () => {
    appendSome(5);
    tamper('DELETE FROM audit WHERE id = 3');
    expect(log.verify()).toEqual([{ id: 4, kind: 'deleted' }]);
  });

  it('detects deleted first rows', () => {
    appendSome(3);
    tamper('DELETE FROM audit WHERE id <= 2');
    expect(log.verify()).toEqual([{ id: 3, kind: 'deleted' }]);
  });

  it('detects a deleted last row through the head', () => {
    appendSome(4);
    tamper('DELETE FROM audit WHERE id = 4');
    expect(log.verify()).toEqual([{ id: 4, kind: 'deleted' }]);
  });

  it('detects an emptied log through the head', () => {
    appendSome(2);
    tamper('DELETE FROM audit');
    expect(log.verify()).toEqual([{ id: 2, kind: 'deleted' }]);
  });

  it('detects a last row replaced with a recomputed hash', () => {
    appendSome(3);
    const fields = {
      ...entry(3),
      id: 3,
      at: entry(3).at.toISOString(),
      raw: 'harmless',
    };
    const prev = log.last(2)[1]?.hash ?? '';
    tamper(`UPDATE audit SET raw = 'harmless', hash = '${auditHash(prev, fields)}' WHERE id = 3`);
    expect(log.verify()).toEqual([{ id: 3, kind: 'edited' }]);
  });

  it('detects a row inserted behind the application, and keeps appending after it', () => {
    appendSome(2);
    temp.db.exec(
      `INSERT INTO audit VALUES (3, '2025-01-01T10:00:03.000Z', 'mallory', 'ops', 'terminal', 'x', 'x', 'allowed', 'ok', 1, '${genesisHash}', '${genesisHash}')`,
    );
    expect(log.verify()).toContainEqual({ id: 3, kind: 'edited' });
    const next = log.append(entry(4));
    expect(next.id).toBe(4);
    expect(log.verify().length).toBeGreaterThan(0);
  });

  it('keeps the chain intact with two connections appending in turn', () => {
    const other = new SqliteAuditLog(temp.reopen());
    for (let n = 1; n <= 10; n++) (n % 2 === 0 ? log : other).append(entry(n));
    expect(log.verify()).toEqual([]);
    expect(other.last(10).map((record) => record.id)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
