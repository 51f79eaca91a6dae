import type { Catalog } from './catalog.ts';
import type { Actor } from './identity.ts';

/** Commands anybody may run, even with no role: so that a stranger can learn who they are. */
export const publicCommands: ReadonlySet<string> = new Set(['help', 'whoami']);

/**
 * Commands anyone with some role may run. confirm and decline check for themselves whether
 * the person may decide on that particular confirmation.
 */
export const memberCommands: ReadonlySet<string> = new Set(['confirm', 'decline']);

/**
 * The scheduler of `pes serve` runs as this actor. No role can name it (the configuration
 * refuses `system:` members), so its rights are built in: exactly the scheduled commands.
 */
export const schedulerActor = 'system:scheduler';
export const scheduledCommands: ReadonlySet<string> = new Set(['backup', 'verify', 'backup-prune']);

function roleGrants(commands: readonly string[], command: string): boolean {
  return commands.includes('*') || commands.includes(command);
}

/** Deny by default: allowed only when public, or granted by one of the actor's roles. */
export function isAllowed(catalog: Catalog, actor: Actor, command: string): boolean {
  if (publicCommands.has(command)) return true;
  if (memberCommands.has(command)) return actor.roles.length > 0;
  if (actor.id === schedulerActor) return scheduledCommands.has(command);
  return catalog.roles.some(
    (role) => actor.roles.includes(role.name) && roleGrants(role.commands, command),
  );
}

/** The roles that would allow a command, to tell a refused person whom to ask. */
export function rolesAllowing(catalog: Catalog, command: string): string[] {
  return catalog.roles.filter((role) => roleGrants(role.commands, command)).map((r) => r.name);
}
