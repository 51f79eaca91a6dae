/** Pending confirmations in SQLite, so a click on "confirm" works whichever process shows it. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { newConfirmationCode } from '../core/confirmations.ts';
import type {
  Confirmation,
  ConfirmationState,
  ConfirmationStore,
  NewConfirmation,
} from '../core/confirmations.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orUndefined, systemClock, toIso } from './values.ts';
import type { Clock } from './values.ts';

const confirmationStates: readonly ConfirmationState[] = [
  'pending',
  'confirmed',
  'declined',
  'expired',
];

/** 32^4 codes; even a few hundred pending at once collide rarely, so this is never reached. */
const maxCodeAttempts = 100;

interface ConfirmationRow {
  readonly code: string;
  readonly text: string;
  readonly command: string;
  readonly actor: string;
  readonly room: string;
  readonly description: string;
  readonly step: number;
  readonly approval: number | null;
  readonly created_at: string;
  readonly expires_at: string;
  readonly state: string;
  readonly decided_by: string | null;
  readonly decided_at: string | null;
}

/** Expiry is computed on read, so a confirmation never shows as pending past its time. */
function toConfirmation(row: ConfirmationRow, now: string): Confirmation {
  const stored = oneOf(confirmationStates, row.state, 'confirmation state');
  return {
    code: row.code,
    text: row.text,
    command: row.command,
    actor: row.actor,
    room: row.room,
    description: row.description,
    step: row.step,
    ...(row.approval === null ? {} : { approval: row.approval }),
    createdAt: fromIso(row.created_at),
    expiresAt: fromIso(row.expires_at),
    state: stored === 'pending' && row.expires_at <= now ? 'expired' : stored,
    decidedBy: orUndefined(row.decided_by),
    decidedAt: row.decided_at === null ? undefined : fromIso(row.decided_at),
  };
}

/** Codes are shown in upper case; accept them typed in lower case too. */
function normalize(code: string): string {
  return code.trim().toUpperCase();
}

export interface SqliteConfirmationStoreOptions {
  readonly now?: Clock;
  /** Where codes come from; tests inject a fixed sequence to force collisions. */
  readonly newCode?: () => string;
}

export class SqliteConfirmationStore implements ConfirmationStore {
  private readonly db: DatabaseSync;
  private readonly now: Clock;
  private readonly newCode: () => string;
  private readonly expireDue: StatementSync;
  private readonly pendingWithCode: StatementSync;
  private readonly insert: StatementSync;
  private readonly latestWithCode: StatementSync;
  private readonly close: StatementSync;

  constructor(db: DatabaseSync, options: SqliteConfirmationStoreOptions = {}) {
    this.db = db;
    this.now = options.now ?? systemClock;
    this.newCode = options.newCode ?? (() => newConfirmationCode());
    // Stored dates are fixed-width ISO strings, so comparing the text compares the times.
    this.expireDue = db.prepare(
      "UPDATE confirmations SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?",
    );
    this.pendingWithCode = db.prepare(
      "SELECT 1 AS found FROM confirmations WHERE code = ? AND state = 'pending'",
    );
    this.insert = db.prepare(
      `INSERT INTO confirmations (code, text, command, actor, room, description, step,
                                  approval, created_at, expires_at, state)
       VALUES (:code, :text, :command, :actor, :room, :description, :step, :approval, :createdAt,
               :expiresAt, 'pending')`,
    );
    // A code is reused once its confirmation is closed; the newest one is the one meant.
    this.latestWithCode = db.prepare(
      'SELECT * FROM confirmations WHERE code = ? ORDER BY id DESC LIMIT 1',
    );
    this.close = db.prepare(
      `UPDATE confirmations SET state = :state, decided_by = :by, decided_at = :now
       WHERE code = :code AND state = 'pending' AND expires_at > :now`,
    );
  }

  create(confirmation: NewConfirmation): Confirmation {
    return immediate(this.db, () => {
      const now = this.now();
      const nowIso = toIso(now);
      // Persist expiries first: an expired confirmation no longer holds its code.
      this.expireDue.run(nowIso);
      const code = this.freeCode();
      this.insert.run({
        code,
        text: confirmation.text,
        command: confirmation.command,
        actor: confirmation.actor,
        room: confirmation.room,
        description: confirmation.description,
        step: confirmation.step ?? 0,
        approval: confirmation.approval ?? null,
        createdAt: nowIso,
        expiresAt: toIso(new Date(now.getTime() + confirmation.ttlMs)),
      });
      const row = this.latestWithCode.get(code) as ConfirmationRow | undefined;
      if (row === undefined)
        throw new Error(`confirmation ${code} vanished inside its own transaction`);
      return toConfirmation(row, nowIso);
    });
  }

  get(code: string): Confirmation | undefined {
    const row = this.latestWithCode.get(normalize(code)) as ConfirmationRow | undefined;
    return row === undefined ? undefined : toConfirmation(row, toIso(this.now()));
  }

  decide(code: string, state: 'confirmed' | 'declined', by: string): boolean {
    // One conditional UPDATE: of two clicks racing (even from two processes), one changes
    // the row and the other finds it no longer pending.
    return immediate(this.db, () => {
      const changed = this.close.run({
        code: normalize(code),
        state,
        by,
        now: toIso(this.now()),
      });
      return Number(changed.changes) === 1;
    });
  }

  private freeCode(): string {
    for (let attempt = 0; attempt < maxCodeAttempts; attempt++) {
      const code = this.newCode();
      if (this.pendingWithCode.get(code) === undefined) return code;
    }
    throw new Error(`no free confirmation code after ${maxCodeAttempts} attempts`);
  }
}
