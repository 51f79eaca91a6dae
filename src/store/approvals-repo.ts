/** Approvals and their votes in SQLite: a vote is judged and recorded in one transaction. */
import type { DatabaseSync } from 'node:sqlite';
import {
  judgeVote,
  stateAfter,
  type Approval,
  type ApprovalState,
  type ApprovalStore,
  type ApprovalVerdict,
  type NewApproval,
} from '../core/approvals.ts';
import type { Catalog } from '../core/catalog.ts';
import type { Actor } from '../core/identity.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orNull, systemClock, toIso, type Clock } from './values.ts';

const states: readonly ApprovalState[] = ['pending', 'approved', 'rejected', 'expired'];
const verdicts: readonly ApprovalVerdict[] = ['approve', 'reject'];

interface ApprovalRow {
  readonly id: number;
  readonly subject: string;
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly card_room: string;
  readonly needed: number;
  readonly roles: string;
  readonly state: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly remind_at: string | null;
  readonly reminded_at: string | null;
  readonly told_at: string | null;
  readonly used_at: string | null;
}

interface VoteRow {
  readonly actor: string;
  readonly verdict: string;
  readonly reason: string;
  readonly at: string;
}

export class SqliteApprovalStore implements ApprovalStore {
  readonly #db: DatabaseSync;
  readonly #now: Clock;
  /** How people number what they approve (a request's number), for refusals. */
  readonly #numberOf: (approval: Approval) => number;

  constructor(
    db: DatabaseSync,
    options: { now?: Clock; numberOf?: (approval: Approval) => number } = {},
  ) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
    this.#numberOf = options.numberOf ?? ((a) => a.id);
  }

  create(approval: NewApproval): Approval {
    const now = this.#now();
    const { policy } = approval;
    const expires = new Date(now.getTime() + policy.ttlMs);
    const remind =
      policy.remindBeforeMs === undefined || policy.remindBeforeMs >= policy.ttlMs
        ? undefined
        : new Date(expires.getTime() - policy.remindBeforeMs);
    const row = this.#db
      .prepare(
        `INSERT INTO approvals (subject, text, actor, room, card_room, needed, roles, state,
           created_at, expires_at, remind_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`,
      )
      .get(
        approval.subject,
        approval.text,
        approval.actor,
        approval.room,
        policy.room ?? approval.room,
        policy.count,
        JSON.stringify(policy.roles),
        toIso(now),
        toIso(expires),
        orNull(remind === undefined ? undefined : toIso(remind)),
      ) as { id: number };
    const created = this.get(row.id);
    if (created === undefined) throw new Error('approval vanished after insert');
    return created;
  }

  get(id: number): Approval | undefined {
    const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as
      ApprovalRow | undefined;
    return row === undefined ? undefined : this.#toApproval(row);
  }

  bySubject(subject: string): Approval | undefined {
    const row = this.#db
      .prepare('SELECT * FROM approvals WHERE subject = ? ORDER BY id DESC LIMIT 1')
      .get(subject) as ApprovalRow | undefined;
    return row === undefined ? undefined : this.#toApproval(row);
  }

  vote(
    id: number,
    voter: Actor,
    verdict: ApprovalVerdict,
    reason: string,
    catalog: Catalog,
    locale?: 'ru' | 'en',
  ): Approval {
    return immediate(this.#db, () => {
      const approval = this.get(id);
      if (approval === undefined) throw new Error(`no approval ${id}`);
      const now = this.#now();
      const refusal = judgeVote(approval, voter, verdict, now, {
        number: this.#numberOf(approval),
        timeZone: catalog.timeZone,
        locale: locale ?? catalog.locale,
      });
      if (refusal !== undefined) throw refusal;
      this.#db
        .prepare(
          'INSERT INTO approval_votes (approval, actor, verdict, reason, at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, voter.id, verdict, reason, toIso(now));
      const voted = this.get(id);
      if (voted === undefined) throw new Error(`no approval ${id}`);
      const state = stateAfter(voted);
      if (state !== 'pending') {
        this.#db
          .prepare('UPDATE approvals SET state = ?, closed_at = ? WHERE id = ?')
          .run(state, toIso(now), id);
      }
      return { ...voted, state };
    });
  }

  use(id: number): boolean {
    const done = this.#db
      .prepare(
        `UPDATE approvals SET used_at = ? WHERE id = ? AND state = 'approved' AND used_at IS NULL`,
      )
      .run(toIso(this.#now()), id);
    return Number(done.changes) === 1;
  }

  claimReminders(subjectPrefix: string): Approval[] {
    return immediate(this.#db, () => {
      const now = toIso(this.#now());
      const rows = this.#db
        .prepare(
          `SELECT * FROM approvals WHERE state = 'pending' AND remind_at IS NOT NULL
             AND reminded_at IS NULL AND remind_at <= ? AND expires_at > ?
             AND substr(subject, 1, length(?)) = ?`,
        )
        .all(now, now, subjectPrefix, subjectPrefix) as unknown as ApprovalRow[];
      const mark = this.#db.prepare('UPDATE approvals SET reminded_at = ? WHERE id = ?');
      for (const row of rows) mark.run(now, row.id);
      return rows.map((r) => this.#toApproval({ ...r, reminded_at: now }));
    });
  }

  claimExpired(subjectPrefix: string): Approval[] {
    return immediate(this.#db, () => {
      const now = toIso(this.#now());
      const rows = this.#db
        .prepare(
          `SELECT * FROM approvals WHERE state = 'pending' AND expires_at <= ?
             AND substr(subject, 1, length(?)) = ?`,
        )
        .all(now, subjectPrefix, subjectPrefix) as unknown as ApprovalRow[];
      const mark = this.#db.prepare(
        `UPDATE approvals SET state = 'expired', told_at = ?, closed_at = ? WHERE id = ?`,
      );
      for (const row of rows) mark.run(now, now, row.id);
      return rows.map((r) => this.#toApproval({ ...r, state: 'expired', told_at: now }));
    });
  }

  #toApproval(row: ApprovalRow): Approval {
    const votes = (
      this.#db
        .prepare(
          'SELECT actor, verdict, reason, at FROM approval_votes WHERE approval = ? ORDER BY at, rowid',
        )
        .all(row.id) as unknown as VoteRow[]
    ).map((v) => ({
      actor: v.actor,
      verdict: oneOf(verdicts, v.verdict, 'approval verdict'),
      reason: v.reason,
      at: fromIso(v.at),
    }));
    return {
      id: row.id,
      subject: row.subject,
      text: row.text,
      actor: row.actor,
      room: row.room,
      cardRoom: row.card_room,
      needed: row.needed,
      roles: JSON.parse(row.roles) as string[],
      state: oneOf(states, row.state, 'approval state'),
      createdAt: fromIso(row.created_at),
      expiresAt: fromIso(row.expires_at),
      remindAt: fromIso(row.remind_at),
      remindedAt: fromIso(row.reminded_at),
      toldAt: fromIso(row.told_at),
      usedAt: fromIso(row.used_at),
      votes,
    };
  }
}
