/**
 * The repository-wide verbs, for admins: clearing a stale lock and freeing the space of
 * forgotten snapshots. Reached as `backup-unlock` / `backup-prune` or as people type them,
 * `backup unlock` / `backup prune`; either way the permission is the command's own.
 */
import type { CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { rolesAllowing } from '../src/core/permissions.ts';

const texts = {
  unlocked: {
    ru: 'Зависшие блокировки хранилища копий сняты.',
    en: 'Stale locks of the backup repository were removed.',
  },
  pruned: {
    ru: 'Место забытых снимков освобождено.',
    en: 'The space of forgotten snapshots was freed.',
  },
  planUnlock: {
    ru: 'План: снять зависшие блокировки хранилища (действующие не трогаются). Ничего не изменено.',
    en: 'Plan: remove stale repository locks (live ones are kept). Nothing was changed.',
  },
  planPrune: {
    ru: 'План: удалить из хранилища данные, на которые не ссылается ни один снимок. Ничего не изменено.',
    en: 'Plan: remove the repository data no snapshot refers to. Nothing was changed.',
  },
} as const;

/** `backup unlock` runs as `backup`, which operators may have: the admin check is here. */
function requirePermission(ctx: CommandContext, command: string): void {
  if (ctx.may(command)) return;
  const roles = rolesAllowing(ctx.catalog, command);
  const params = { actor: ctx.actor.displayName, command, roles: roles.join(', ') };
  throw new UserError(roles.length > 0 ? 'not-permitted' : 'not-permitted-no-role', params);
}

export async function runUnlock(ctx: CommandContext, dryRun: boolean): Promise<CommandResult> {
  requirePermission(ctx, 'backup-unlock');
  if (dryRun) {
    return { message: { severity: 'info', text: ctx.t(texts.planUnlock) }, data: { dryRun } };
  }
  await ctx.backups.unlock(ctx.signal);
  return {
    message: { severity: 'success', text: ctx.t(texts.unlocked) },
    data: { unlocked: true },
  };
}

export async function runPrune(ctx: CommandContext, dryRun: boolean): Promise<CommandResult> {
  requirePermission(ctx, 'backup-prune');
  if (dryRun) {
    return { message: { severity: 'info', text: ctx.t(texts.planPrune) }, data: { dryRun } };
  }
  await ctx.backups.prune(ctx.signal);
  return { message: { severity: 'success', text: ctx.t(texts.pruned) }, data: { pruned: true } };
}
