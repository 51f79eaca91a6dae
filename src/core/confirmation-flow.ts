/**
 * Confirmations on the invocation path: a destructive command becomes a pending
 * confirmation with a code and buttons; a decision on it, by someone allowed to make it,
 * releases the command (as the person who asked for it) or drops it.
 */
import type { BotDeps, Call } from './bot-deps.ts';
import { confirmTexts } from './bot-texts.ts';
import type { AnyCommand, CommandResult } from './command.ts';
import { defaultConfirmationTtlMs } from './confirmations.ts';
import { UserError, exitCodes } from './errors.ts';
import { identify } from './identity.ts';
import { localize } from './i18n.ts';
import type { Invocation, InvocationSink } from './invocation.ts';
import { DelegatedOutcome, type Outcome } from './outcome.ts';
import { idsOnly, nameOf } from './people.ts';
import { quoteValue } from './parse.ts';
import { isAllowed, rolesAllowing } from './permissions.ts';

export function pendingOutcome(
  deps: BotDeps,
  call: Call,
  command: AnyCommand,
  description: string,
  step: number,
): Outcome {
  const pending = deps.confirmations.create({
    text: call.invocation.text,
    command: command.name,
    actor: call.actor.id,
    room: call.invocation.room.id,
    description,
    step,
    // An approved command carries its approval to the run its confirmation releases.
    approval: call.invocation.approved,
    ttlMs: deps.confirmationTtlMs ?? defaultConfirmationTtlMs,
  });
  const t = (text: { ru: string; en: string }): string =>
    localize(text, call.locale, {
      code: pending.code,
      minutes: Math.round((pending.expiresAt.getTime() - pending.createdAt.getTime()) / 60000),
    });
  return {
    status: 'pending',
    exitCode: exitCodes.ok,
    message: {
      severity: 'warning',
      title: t(confirmTexts.title),
      text: `${description}\n${t(confirmTexts.how)}`,
      actions: [
        { label: t(confirmTexts.confirm), style: 'danger', command: `confirm ${pending.code}` },
        { label: t(confirmTexts.cancel), style: 'default', command: `decline ${pending.code}` },
      ],
    },
    data: { confirmation: pending.code, expiresAt: pending.expiresAt.toISOString() },
  };
}

/** Runs an invocation through the whole path again (the Bot's `invoke`). */
export type Rerun = (invocation: Invocation, sink: InvocationSink) => Promise<Outcome>;

export async function decideConfirmation(
  deps: BotDeps,
  call: Call,
  code: string,
  decision: 'confirmed' | 'declined',
  rerun: Rerun,
): Promise<CommandResult> {
  const { confirmations, catalog } = deps;
  const pending = confirmations.get(code.toUpperCase());
  if (pending === undefined)
    throw new UserError('unknown-confirmation', { code: quoteValue(code) });
  if (pending.state === 'expired')
    throw new UserError('confirmation-expired', { code: pending.code });
  if (pending.state !== 'pending')
    throw new UserError('unknown-confirmation', { code: pending.code });
  const requester = identify(catalog, pending.actor);
  const mayDecide =
    (call.actor.id === pending.actor && isAllowed(catalog, requester, pending.command)) ||
    isAllowed(catalog, call.actor, pending.command);
  if (!mayDecide) {
    throw new UserError('confirmation-not-allowed', {
      actor: call.actor.displayName,
      code: pending.code,
      command: pending.text,
      allowed: [
        await nameOf(deps.people ?? idsOnly, pending.actor),
        ...rolesAllowing(catalog, pending.command),
      ].join(', '),
    });
  }
  if (!confirmations.decide(pending.code, decision, call.actor.id)) {
    throw new UserError('unknown-confirmation', { code: pending.code });
  }
  const who = { who: call.actor.displayName, code: pending.code };
  if (decision === 'declined') {
    return {
      message: { severity: 'info', text: localize(confirmTexts.declinedBy, call.locale, who) },
    };
  }
  // The released command runs as the person who asked for it, in their room.
  const outcome = await rerun(
    {
      actorId: pending.actor,
      room: { id: pending.room },
      source: call.invocation.source,
      text: pending.text,
      locale: call.locale,
      // A command that asks twice gets its next question now, under a new code.
      confirmedSteps: pending.step + 1,
      ...(pending.approval === undefined ? {} : { approved: pending.approval }),
    },
    call.sink,
  );
  if (outcome.status !== 'ok') throw new DelegatedOutcome(outcome);
  const note = localize(confirmTexts.confirmedBy, call.locale, who);
  return {
    message: {
      ...outcome.message,
      text: [outcome.message.text, note].filter(Boolean).join('\n'),
    },
    data: outcome.data,
  };
}
