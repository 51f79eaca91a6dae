/**
 * Approvals on the invocation path: a command the configuration says needs approval
 * (`approvals.commands`: `restore` of `moodle` by 2 admins) becomes a card in the approvers'
 * room instead of running; once enough approvers agree, it runs as the person who asked,
 * and its own confirmation (if it has one) is asked then.
 */
import { approvalTexts, votesText } from './approval-texts.ts';
import {
  approvalsOf,
  type Approval,
  type ApprovalStore,
  type ApprovalVerdict,
  type CommandApprovalRule,
} from './approvals.ts';
import type { Catalog } from './catalog.ts';
import type { CommandResult } from './command.ts';
import { exitCodes, UserError } from './errors.ts';
import { formatTime } from './format.ts';
import type { Actor } from './identity.ts';
import { localize, type Locale } from './i18n.ts';
import type { Invocation, InvocationSink } from './invocation.ts';
import type { Message } from './message.ts';
import type { Notices } from './notices.ts';
import { DelegatedOutcome, type Outcome } from './outcome.ts';
import { countText } from './plural.ts';

export interface CommandApprovals {
  readonly rules: readonly CommandApprovalRule[];
  readonly store: ApprovalStore;
  readonly notices: Notices;
  /**
   * Names of the people on cards (a display name, `@anna`) as the messengers told them, so
   * that a card edited later (a vote, the expiry) names them as plugin cards do; ids stay
   * where none came.
   */
  readonly names?: Map<string, string>;
}

/** The name a card shows for `actorId`: the one learned, else the id. */
export function cardName(approvals: CommandApprovals, actorId: string): string {
  return approvals.names?.get(actorId) ?? actorId;
}

/**
 * The rule of this command on this service; a rule may name the command by an alias too
 * (the configuration check maps it, src/config/plugins-schema.ts, but the lookup does not
 * rely on that).
 */
export function ruleFor(
  rules: readonly CommandApprovalRule[],
  command: { readonly name: string; readonly aliases?: readonly string[] | undefined },
  service: string | undefined,
): CommandApprovalRule | undefined {
  if (service === undefined) return undefined;
  const names = [command.name, ...(command.aliases ?? [])];
  return rules.find((r) => names.includes(r.command) && r.service === service);
}

export const commandSubject = 'command';

/**
 * Checks that approval `id` released exactly this invocation: an approved command approval,
 * for the same command line and the same requester, not used yet. With `use`, marks it used
 * (in one statement, so two runs of one approval cannot both pass).
 */
export function checkRelease(
  store: ApprovalStore,
  id: number,
  invocation: Pick<Invocation, 'actorId' | 'text'>,
  use: boolean,
): void {
  const approval = store.get(id);
  if (
    approval === undefined ||
    approval.subject !== commandSubject ||
    approval.state !== 'approved' ||
    approval.text !== invocation.text ||
    approval.actor !== invocation.actorId
  ) {
    throw new UserError('approval-not-released', { id, text: invocation.text });
  }
  if (approval.usedAt !== undefined || (use && !store.use(id))) {
    throw new UserError('approval-used', { id });
  }
}

export function cardKey(approval: Pick<Approval, 'id'>): string {
  return `approval:${approval.id}`;
}

/** The card of a command approval as it is now: what, who asked, each decision, buttons. */
export function commandCard(
  approval: Approval,
  locale: Locale,
  catalog: Catalog,
  nameOf: (actorId: string) => string,
): Message {
  const at = (d: Date): string => formatTime(d, { timeZone: catalog.timeZone });
  const params = {
    id: approval.id,
    text: approval.text,
    who: nameOf(approval.actor),
    needed: approval.needed,
    roles: approval.roles.join(', '),
    until: at(approval.expiresAt),
  };
  const lines = [
    localize(approvalTexts.commandAsked, locale, params),
    // Resolved when it runs (the approvers approve "the newest", not one snapshot id).
    ...(approval.text.split(/\s+/).includes('latest')
      ? [localize(approvalTexts.latest, locale)]
      : []),
    countText(votesText, locale, approvalsOf(approval), { needed: approval.needed }),
    ...approval.votes.map(
      (v) =>
        localize(
          v.verdict === 'approve' ? approvalTexts.approvedLine : approvalTexts.rejectedLine,
          locale,
          { who: nameOf(v.actor), at: at(v.at) },
        ) + (v.reason === '' ? '' : localize(approvalTexts.because, locale, { reason: v.reason })),
    ),
    localize(approvalTexts.state[approval.state], locale, params),
  ];
  const open = approval.state === 'pending';
  return {
    severity: open ? 'warning' : approval.state === 'approved' ? 'success' : 'info',
    title: localize(approvalTexts.commandTitle, locale, params),
    text: [...lines, ...(open ? [localize(approvalTexts.how, locale, params)] : [])].join('\n'),
    ...(open
      ? {
          actions: [
            {
              label: localize(approvalTexts.approve, locale),
              style: 'primary',
              command: `approve ${approval.id}`,
            },
            {
              label: localize(approvalTexts.reject, locale),
              style: 'danger',
              command: `reject ${approval.id}`,
            },
          ],
        }
      : {}),
  };
}

export interface ApprovalCall {
  readonly invocation: Invocation;
  readonly actor: Actor;
  readonly locale: Locale;
  /** The language of what only this person sees (a refusal); `locale` when absent. */
  readonly privateLocale?: Locale;
  readonly sink: InvocationSink;
}

/** Files the approval, posts its card, and answers the requester that it waits. */
export function requestApproval(
  approvals: CommandApprovals,
  catalog: Catalog,
  call: ApprovalCall,
  rule: CommandApprovalRule,
  localeOf: (room: string) => Locale,
): Outcome {
  const approval = approvals.store.create({
    subject: commandSubject,
    text: call.invocation.text,
    actor: call.actor.id,
    room: call.invocation.room.id,
    policy: rule,
  });
  approvals.names?.set(call.actor.id, call.actor.displayName);
  const nameOf = (id: string): string =>
    id === call.actor.id ? call.actor.displayName : cardName(approvals, id);
  approvals.notices.post(
    approval.cardRoom,
    commandCard(approval, localeOf(approval.cardRoom), catalog, nameOf),
    cardKey(approval),
  );
  const text = localize(approvalTexts.pendingOutcome, call.locale, {
    id: approval.id,
    text: approval.text,
    needed: approval.needed,
    roles: approval.roles.join(', '),
    until: formatTime(approval.expiresAt, { timeZone: catalog.timeZone }),
  });
  return {
    status: 'pending',
    exitCode: exitCodes.ok,
    message: { severity: 'warning', text },
    data: { approval: approval.id, expiresAt: approval.expiresAt.toISOString() },
  };
}

export type Rerun = (invocation: Invocation, sink: InvocationSink) => Promise<Outcome>;

/** One approver's vote on a command approval; the command runs once it is approved. */
export async function decideCommandApproval(
  approvals: CommandApprovals,
  catalog: Catalog,
  call: ApprovalCall,
  id: number,
  verdict: ApprovalVerdict,
  reason: string,
  options: {
    localeOf: (room: string) => Locale;
    nameOf: (actorId: string) => string;
    rerun: Rerun;
  },
): Promise<CommandResult> {
  const before = approvals.store.get(id);
  if (before === undefined || before.subject !== commandSubject) {
    throw new UserError('approval-unknown', { id });
  }
  const after = approvals.store.vote(
    id,
    call.actor,
    verdict,
    reason,
    catalog,
    call.privateLocale ?? call.locale,
  );
  approvals.notices.edit(
    after.cardRoom,
    commandCard(after, options.localeOf(after.cardRoom), catalog, options.nameOf),
    cardKey(after),
    `vote:${call.actor.id}`,
  );
  const params = {
    have: approvalsOf(after),
    needed: after.needed,
    text: after.text,
    who: options.nameOf(after.actor),
  };
  if (after.state === 'rejected') {
    const text = localize(approvalTexts.rejectedOutcome, call.locale, params);
    approvals.notices.post(
      after.room,
      {
        severity: 'info',
        text: localize(approvalTexts.rejectedOutcome, options.localeOf(after.room), params),
      },
      `approval:${id}:rejected`,
    );
    return { message: { severity: 'info', text } };
  }
  if (after.state !== 'approved') {
    return {
      message: { severity: 'info', text: localize(approvalTexts.counted, call.locale, params) },
    };
  }
  // Released: it runs as the person who asked for it, in their room; its own confirmation,
  // if any, is asked of the approver who completed the approval.
  const outcome = await options.rerun(
    {
      actorId: after.actor,
      room: { id: after.room },
      source: call.invocation.source,
      text: after.text,
      locale: call.locale,
      approved: after.id,
    },
    call.sink,
  );
  if (outcome.status !== 'ok' && outcome.status !== 'pending') throw new DelegatedOutcome(outcome);
  const note = localize(approvalTexts.released, call.locale, params);
  return {
    message: { ...outcome.message, text: [note, outcome.message.text].filter(Boolean).join('\n') },
    data: outcome.data,
  };
}

/** Reminders and expiries that are due: the card edited, the requester told. */
export function approvalHousekeeping(
  approvals: CommandApprovals,
  catalog: Catalog,
  localeOf: (room: string) => Locale,
  nameOf: (actorId: string) => string,
): void {
  for (const a of approvals.store.claimReminders(commandSubject)) {
    const locale = localeOf(a.cardRoom);
    approvals.notices.post(
      a.cardRoom,
      {
        severity: 'warning',
        text: localize(approvalTexts.reminder, locale, {
          id: a.id,
          text: a.text,
          until: formatTime(a.expiresAt, { timeZone: catalog.timeZone }),
          left: a.needed - approvalsOf(a),
        }),
      },
      `${cardKey(a)}:reminder`,
    );
  }
  for (const a of approvals.store.claimExpired(commandSubject)) {
    approvals.notices.edit(
      a.cardRoom,
      commandCard(a, localeOf(a.cardRoom), catalog, nameOf),
      cardKey(a),
      'expired',
    );
    approvals.notices.post(
      a.room,
      {
        severity: 'info',
        text: localize(approvalTexts.expiredTold, localeOf(a.room), { id: a.id, text: a.text }),
      },
      `${cardKey(a)}:expired`,
    );
  }
}
