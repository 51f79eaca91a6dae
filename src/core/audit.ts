/** The audit log: append-only, every row hash-chained to the previous one. */
import type { Source } from './identity.ts';

export type Decision = 'allowed' | 'denied' | 'invalid' | 'declined' | 'pending';

export interface AuditEntry {
  readonly at: Date;
  readonly actor: string;
  readonly room: string;
  readonly source: Source;
  /** The text as typed. */
  readonly raw: string;
  /** The parsed command and arguments, or empty when parsing failed. */
  readonly command: string;
  readonly decision: Decision;
  /** ok, failed, an error code, or a job reference. */
  readonly result: string;
  readonly durationMs: number;
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditProblem {
  readonly id: number;
  readonly kind: 'edited' | 'deleted' | 'reordered';
}

export interface AuditLog {
  append(entry: AuditEntry): AuditRecord;
  /** Appends in order, all or nothing, in one transaction. */
  appendMany(entries: readonly AuditEntry[]): AuditRecord[];
  last(limit: number): AuditRecord[];
  verify(): AuditProblem[];
}
