/**
 * The audit log in SQLite: append-only and hash-chained.
 *
 * Each row stores the previous row's hash and its own hash, sha256(prev_hash + canonical JSON
 * of its fields, id included). Editing a row breaks its own hash; deleting one leaves a gap in
 * the ids and a broken link; the one-row `audit_head` holds the end of the chain, so cutting
 * the tail shows too. This detects tampering; it cannot prevent someone with write access to
 * the file from rewriting the whole chain, which would need an anchor kept elsewhere.
 */
import { createHash } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AuditEntry, AuditLog, AuditProblem, AuditRecord, Decision } from '../core/audit.ts';
import type { Source } from '../core/identity.ts';
import { immediate, snapshot } from './transactions.ts';
import { fromIso, toIso } from './values.ts';

/** The prev_hash of the first row. */
export const genesisHash = '0'.repeat(64);

/** The fields a row's hash covers, exactly as stored. */
interface HashedFields {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly room: string;
  readonly source: string;
  readonly raw: string;
  readonly command: string;
  readonly decision: string;
  readonly result: string;
  readonly durationMs: number;
}

interface AuditRow {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly room: string;
  readonly source: string;
  readonly raw: string;
  readonly command: string;
  readonly decision: string;
  readonly result: string;
  readonly duration_ms: number;
  readonly prev_hash: string;
  readonly hash: string;
}

interface HeadRow {
  readonly last_id: number;
  readonly last_hash: string;
}

interface MaxIdRow {
  readonly max_id: number | null;
}

/** JSON with keys in a fixed (sorted) order, so the same fields always hash the same. */
function canonicalJson(fields: HashedFields): string {
  const sorted = Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(sorted));
}

export function auditHash(prevHash: string, fields: HashedFields): string {
  return createHash('sha256')
    .update(prevHash + canonicalJson(fields))
    .digest('hex');
}

function hashedFields(row: AuditRow): HashedFields {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    room: row.room,
    source: row.source,
    raw: row.raw,
    command: row.command,
    decision: row.decision,
    result: row.result,
    durationMs: row.duration_ms,
  };
}

// Source and decision are cast, not checked: a reader of the log should see a row even if
// its values are odd, and verify() is what judges whether a row is genuine.
function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: fromIso(row.at),
    actor: row.actor,
    room: row.room,
    source: row.source as Source,
    raw: row.raw,
    command: row.command,
    decision: row.decision as Decision,
    result: row.result,
    durationMs: row.duration_ms,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class SqliteAuditLog implements AuditLog {
  private readonly db: DatabaseSync;
  private readonly head: StatementSync;
  private readonly maxId: StatementSync;
  private readonly insert: StatementSync;
  private readonly setHead: StatementSync;
  private readonly newest: StatementSync;
  private readonly all: StatementSync;

  // No clock: every entry carries its own time, taken by the caller when the command arrived.
  constructor(db: DatabaseSync) {
    this.db = db;
    this.head = db.prepare('SELECT last_id, last_hash FROM audit_head WHERE singleton = 1');
    this.maxId = db.prepare('SELECT max(id) AS max_id FROM audit');
    this.insert = db.prepare(
      `INSERT INTO audit (id, at, actor, room, source, raw, command, decision, result,
                          duration_ms, prev_hash, hash)
       VALUES (:id, :at, :actor, :room, :source, :raw, :command, :decision, :result,
               :durationMs, :prevHash, :hash)`,
    );
    this.setHead = db.prepare(
      `INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id,
                                             last_hash = excluded.last_hash`,
    );
    this.newest = db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?');
    this.all = db.prepare('SELECT * FROM audit ORDER BY id');
  }

  append(entry: AuditEntry): AuditRecord {
    const [record] = this.appendMany([entry]);
    if (record === undefined) throw new Error('no audit record appended');
    return record;
  }

  appendMany(entries: readonly AuditEntry[]): AuditRecord[] {
    if (entries.length === 0) return [];
    // IMMEDIATE: two processes appending at once must not both chain onto the same head.
    return immediate(this.db, () => {
      const head = this.readHead();
      // Past the maximum id too, so that a tampered table (a row inserted behind the head's
      // back) does not stop auditing with a key conflict; verify() still reports it.
      const maxId = (this.maxId.get() as MaxIdRow | undefined)?.max_id ?? 0;
      let lastId = Math.max(head.last_id, maxId);
      let lastHash = head.last_hash;
      const records = entries.map((entry) => {
        const fields: HashedFields = {
          id: lastId + 1,
          at: toIso(entry.at),
          actor: entry.actor,
          room: entry.room,
          source: entry.source,
          raw: entry.raw,
          command: entry.command,
          decision: entry.decision,
          result: entry.result,
          durationMs: Math.max(0, Math.round(entry.durationMs)),
        };
        const hash = auditHash(lastHash, fields);
        this.insert.run({ ...fields, prevHash: lastHash, hash });
        const record = toRecord({
          ...fields,
          duration_ms: fields.durationMs,
          prev_hash: lastHash,
          hash,
        });
        lastId = fields.id;
        lastHash = hash;
        return record;
      });
      // The head moves once per batch, in the same transaction as the rows.
      this.setHead.run(lastId, lastHash);
      return records;
    });
  }

  last(limit: number): AuditRecord[] {
    const rows = this.newest.all(Math.max(0, Math.floor(limit))) as unknown as AuditRow[];
    return rows.map(toRecord);
  }

  verify(): AuditProblem[] {
    // One snapshot for rows and head, so an append by another process meanwhile does not
    // look like a cut tail.
    return snapshot(this.db, () => {
      const problems: AuditProblem[] = [];
      let prevId = 0;
      let prevHash = genesisHash;
      for (const raw of this.all.iterate()) {
        const row = raw as unknown as AuditRow;
        // A gap in the ids, or a link to something other than the row before: rows are
        // missing here (or the row before was replaced wholesale, hash and all).
        if (row.id !== prevId + 1 || row.prev_hash !== prevHash) {
          problems.push({ id: row.id, kind: 'deleted' });
        }
        if (auditHash(row.prev_hash, hashedFields(row)) !== row.hash) {
          problems.push({ id: row.id, kind: 'edited' });
        }
        prevId = row.id;
        prevHash = row.hash;
      }
      const head = this.readHead();
      if (head.last_id > prevId) {
        // The tail was cut: the head remembers rows that are gone.
        problems.push({ id: head.last_id, kind: 'deleted' });
      } else if (head.last_id < prevId) {
        // Rows the application never appended (appends move the head in the same transaction).
        problems.push({ id: head.last_id + 1, kind: 'edited' });
      } else if (head.last_hash !== prevHash && !problems.some((p) => p.id === prevId)) {
        // The last row was replaced, hash recomputed, so only the head disagrees.
        problems.push({ id: prevId, kind: 'edited' });
      }
      return problems;
    });
  }

  /** A missing head (deleted by hand) reads as an empty chain; verify() then reports the rows. */
  private readHead(): HeadRow {
    return (this.head.get() as HeadRow | undefined) ?? { last_id: 0, last_hash: genesisHash };
  }
}
