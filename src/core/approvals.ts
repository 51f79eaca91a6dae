/**
 * Approvals: unlike a confirmation (the person who typed the command says yes), an approval
 * asks others — N of the members of given roles, never the requester, before a deadline,
 * with a reminder before it. Plugin requests use them, and the configuration may require one
 * for any command on a service (`restore` of `moodle` by 2 admins). Stored in SQLite
 * (src/store/approvals-repo.ts); the rules are here, pure, so every front end and both
 * processes (terminal and `pes serve`) judge alike.
 */
import type { Catalog } from './catalog.ts';
import { UserError } from './errors.ts';
import { formatTime } from './format.ts';
import type { Actor } from './identity.ts';

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';
export type ApprovalVerdict = 'approve' | 'reject';

/** Who must agree, how many, and for how long (config: `approvals`). */
export interface ApprovalPolicy {
  readonly roles: readonly string[];
  readonly count: number;
  readonly ttlMs: number;
  /** How long before the deadline the approvers are reminded; none when absent. */
  readonly remindBeforeMs?: number;
  /** The room (address) the card goes to; the room it was asked in when absent. */
  readonly room?: string;
}

/** A command that needs approval on one service (config: `approvals.commands`). */
export interface CommandApprovalRule extends ApprovalPolicy {
  readonly command: string;
  readonly service: string;
}

export interface ApprovalVote {
  readonly actor: string;
  readonly verdict: ApprovalVerdict;
  readonly reason: string;
  readonly at: Date;
}

export interface Approval {
  readonly id: number;
  /** What it is for: `plugin-request:7`, or `command` for a command line. */
  readonly subject: string;
  /** The command line released once approved (for `command`), as typed. */
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly cardRoom: string;
  readonly needed: number;
  readonly roles: readonly string[];
  readonly state: ApprovalState;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly remindAt: Date | undefined;
  readonly remindedAt: Date | undefined;
  /** When the expiry was told (to the requester and the card). */
  readonly toldAt: Date | undefined;
  readonly votes: readonly ApprovalVote[];
  /** When the approved command ran (it runs once). */
  readonly usedAt?: Date | undefined;
}

export interface NewApproval {
  readonly subject: string;
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly policy: ApprovalPolicy;
}

export interface ApprovalStore {
  create(approval: NewApproval): Approval;
  get(id: number): Approval | undefined;
  bySubject(subject: string): Approval | undefined;
  /**
   * Judges and records one vote in one transaction (the rules of `judgeVote`, on the row as
   * it is inside the transaction), closing the approval when it is decided. Throws the
   * UserError of a refused vote.
   */
  vote(
    id: number,
    voter: Actor,
    verdict: ApprovalVerdict,
    reason: string,
    catalog: Catalog,
    locale?: 'ru' | 'en',
  ): Approval;
  /**
   * Marks an approved approval used, in one statement; false when it is not approved or was
   * used already (a second run of one approval).
   */
  use(id: number): boolean;
  /** Pending approvals of `subject*` whose reminder is due and not sent; each returned once. */
  claimReminders(subjectPrefix: string): Approval[];
  /** Approvals of `subject*` past their deadline, expiry not told yet; each returned once. */
  claimExpired(subjectPrefix: string): Approval[];
}

export function approvalsOf(approval: Approval): number {
  return approval.votes.filter((v) => v.verdict === 'approve').length;
}

/** The state after the votes: enough approvals → approved; one rejection → rejected. */
export function stateAfter(approval: Approval): ApprovalState {
  if (approval.votes.some((v) => v.verdict === 'reject')) return 'rejected';
  return approvalsOf(approval) >= approval.needed ? 'approved' : 'pending';
}

/** Whether the person holds one of the roles that decide. */
export function mayApprove(approval: Pick<Approval, 'roles'>, voter: Actor): boolean {
  return voter.roles.some((role) => approval.roles.includes(role));
}

const stateWords = {
  approved: { ru: 'одобрена', en: 'approved' },
  rejected: { ru: 'отклонена', en: 'rejected' },
  expired: { ru: 'просрочена', en: 'expired' },
  pending: { ru: 'ждёт решения', en: 'pending' },
} as const;

export function approvalStateWord(state: ApprovalState, locale: 'ru' | 'en'): string {
  return stateWords[state][locale];
}

/**
 * Why a vote is refused, or undefined when it counts. `number` is what people call it (the
 * request's number for a plugin request, the approval's id otherwise).
 */
export function judgeVote(
  approval: Approval,
  voter: Actor,
  verdict: ApprovalVerdict,
  now: Date,
  options: { number: number; timeZone?: string | undefined; locale?: 'ru' | 'en' },
): UserError | undefined {
  const id = options.number;
  if (approval.state === 'expired' || (approval.state === 'pending' && approval.expiresAt <= now)) {
    return new UserError('approval-expired', {
      id,
      at: formatTime(approval.expiresAt, { timeZone: options.timeZone }),
    });
  }
  if (approval.state !== 'pending') {
    return new UserError('approval-closed', {
      id,
      state: approvalStateWord(approval.state, options.locale ?? 'en'),
    });
  }
  if (!mayApprove(approval, voter)) {
    return new UserError('approval-not-allowed', {
      actor: voter.displayName,
      id,
      roles: approval.roles.join(', '),
    });
  }
  if (verdict === 'approve' && voter.id === approval.actor) {
    return new UserError('approval-self', { id });
  }
  if (approval.votes.some((v) => v.actor === voter.id))
    return new UserError('approval-twice', { id });
  return undefined;
}
