/**
 * `plugins:` (teachers' Moodle plugin requests) and `approvals:` (commands that need the
 * approval of others, per service) in the configuration, and their resolved form.
 */
import { z } from 'zod';
import type { CommandApprovalRule, ApprovalPolicy } from '../core/approvals.ts';
import type { PluginDeskSettings } from '../plugins/desk.ts';
import { formatPath } from './problems.ts';
import { closeCommands, type KnownCommand } from './role-commands.ts';

const roleName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a role name');
const roomName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a room name of rooms:');

/** N of the members of `roles`, within `hours`, reminded `remindHours` before the end. */
const policy = {
  roles: z.array(roleName).min(1),
  count: z.int().min(1).max(20).default(1),
  hours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(72),
  remindHours: z
    .number()
    .positive()
    .max(24 * 365)
    .optional(),
  /** The room (a name of `rooms:`) the card goes to; where it was asked when absent. */
  room: roomName.optional(),
};

export const pluginsSection = z.strictObject({
  /** The Moodle service of `services:`. */
  service: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'expected a service name'),
  /** Moodle's root inside its container (config.php is there); 5.1's public/ is found by itself. */
  root: z
    .string()
    .regex(/^\/[^\s]*$/, 'expected an absolute path')
    .default('/var/www/html'),
  /** The container to read the site in; the service's first running one when absent. */
  container: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a Docker name')
    .optional(),
  /** The plugins directory API (Moodle's own: https://download.moodle.org/api/1.3). */
  directoryUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'expected an http(s) URL')
    .optional(),
  approvals: z.strictObject(policy),
  /**
   * The web server's user in the Moodle container: it owns the plugin's files and runs
   * admin/cli (on Docker; pods/exec has no user, so on Kubernetes the pod's own user).
   */
  webUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'expected a user name')
    .default('www-data'),
  /** The PHP CLI in the container. */
  php: z
    .string()
    .regex(/^[A-Za-z0-9_./-]{1,200}$/, 'expected a program name or path')
    .default('php'),
  /**
   * The volume that holds Moodle's database, when it is not one of the service's databases
   * (SQLite, or a database server's data directory): what a failed upgrade restores.
   */
  databaseVolume: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a volume name')
    .optional(),
  /** Limits of a plugin's download. */
  downloadMaxMB: z.int().min(1).max(1024).default(100),
  downloadTimeoutSeconds: z.int().min(5).max(3600).default(300),
  /**
   * Origins (`https://host[:port]`) a plugin's ZIP may be downloaded from, and each redirect
   * on the way, besides the directory's own origin and https://download.moodle.org.
   */
  downloadOrigins: z
    .array(
      z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected http(s)://host[:port]'),
    )
    .default([]),
});

export const approvalsSection = z.strictObject({
  commands: z
    .array(
      z.strictObject({
        // A command's name or one of its aliases (checked against the registry on load).
        command: z.string().regex(/^[\p{L}][\p{L}0-9-]{0,39}$/u),
        service: z.string(),
        ...policy,
      }),
    )
    .default([]),
});

type PolicyInput = {
  roles: string[];
  count: number;
  hours: number;
  remindHours?: number | undefined;
  room?: string | undefined;
};

function resolvePolicy(
  p: PolicyInput,
  rooms: Readonly<Record<string, { address: string }>>,
): ApprovalPolicy {
  const room = p.room === undefined ? undefined : rooms[p.room]?.address;
  return {
    roles: p.roles,
    count: p.count,
    ttlMs: p.hours * 3_600_000,
    ...(p.remindHours === undefined ? {} : { remindBeforeMs: p.remindHours * 3_600_000 }),
    ...(room === undefined ? {} : { room }),
  };
}

/** How the installer reaches the site (plugins.webUser, php, databaseVolume, download…). */
export interface PluginInstallConfig {
  readonly webUser: string;
  readonly php: string;
  readonly databaseVolume: string | undefined;
  readonly maxDownloadBytes: number;
  readonly downloadTimeoutMs: number;
  /** Allowed download origins besides the directory's own and download.moodle.org. */
  readonly downloadOrigins?: readonly string[];
}

export interface PluginsConfig {
  readonly desk:
    | (PluginDeskSettings & {
        readonly directoryUrl: string | undefined;
        /** Absent (tests that only file requests): the defaults of the schema. */
        readonly install?: PluginInstallConfig;
      })
    | undefined;
  readonly commandRules: readonly CommandApprovalRule[];
}

export function resolvePlugins(
  plugins: z.output<typeof pluginsSection> | undefined,
  approvals: z.output<typeof approvalsSection> | undefined,
  rooms: Readonly<Record<string, { address: string }>>,
): PluginsConfig {
  return {
    desk:
      plugins === undefined
        ? undefined
        : {
            service: plugins.service,
            root: plugins.root,
            ...(plugins.container === undefined ? {} : { container: plugins.container }),
            directoryUrl: plugins.directoryUrl,
            policy: resolvePolicy(plugins.approvals, rooms),
            install: {
              webUser: plugins.webUser,
              php: plugins.php,
              databaseVolume: plugins.databaseVolume,
              maxDownloadBytes: plugins.downloadMaxMB * 1024 * 1024,
              downloadTimeoutMs: plugins.downloadTimeoutSeconds * 1000,
              downloadOrigins: plugins.downloadOrigins,
            },
          },
    commandRules: (approvals?.commands ?? []).map((c) => ({
      command: c.command,
      service: c.service,
      ...resolvePolicy(c, rooms),
    })),
  };
}

/** Names the configuration refers to that must exist: services, rooms, roles. */
export function pluginReferenceProblems(file: {
  services: Record<string, unknown>;
  rooms: Record<string, unknown>;
  roles: Record<string, unknown>;
  plugins?: z.output<typeof pluginsSection> | undefined;
  approvals?: z.output<typeof approvalsSection> | undefined;
}): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const check = (p: PolicyInput, at: (string | number)[]): void => {
    if (p.room !== undefined && !(p.room in file.rooms))
      problems.push({ path: [...at, 'room'], message: `no room "${p.room}" in rooms:` });
    p.roles.forEach((r, i) => {
      if (!(r in file.roles))
        problems.push({ path: [...at, 'roles', i], message: `no role "${r}" in roles:` });
    });
  };
  if (file.plugins !== undefined) {
    if (!(file.plugins.service in file.services))
      problems.push({
        path: ['plugins', 'service'],
        message: `no service "${file.plugins.service}" in services:`,
      });
    check(file.plugins.approvals, ['plugins', 'approvals']);
  }
  file.approvals?.commands.forEach((c, i) => {
    if (!(c.service in file.services))
      problems.push({
        path: ['approvals', 'commands', i, 'service'],
        message: `no service "${c.service}" in services:`,
      });
    check(c, ['approvals', 'commands', i]);
  });
  return problems;
}

/**
 * Every `approvals.commands[].command` must be a command (its name or an alias: the lookup,
 * src/core/approval-flow.ts, matches both) that locks a service, since a rule is matched on
 * that service: a typo, or a command with no service, would otherwise gate nothing and say
 * nothing. Lines in the format of the other configuration problems (problems.ts).
 */
export function approvalCommandProblems(
  approvals: z.output<typeof approvalsSection> | undefined,
  known: readonly KnownCommand[],
): string[] {
  const locking = known.filter((c) => c.mutating?.lock !== undefined).map((c) => c.name);
  return (approvals?.commands ?? []).flatMap((rule, i) => {
    const at = formatPath(['approvals', 'commands', i, 'command']);
    const command = known.find((c) => c.name === rule.command || c.aliases?.includes(rule.command));
    if (command === undefined) {
      const close = closeCommands(rule.command, known);
      return [
        close.length > 0
          ? `${at}: no command "${rule.command}", did you mean ${close.join(' or ')}?`
          : `${at}: no command "${rule.command}" (the commands: ${known.map((c) => c.name).join(', ')})`,
      ];
    }
    if (command.mutating?.lock === undefined) {
      return [
        `${at}: ${command.name} works on no one service, so no rule can match it (rules apply to ${locking.join(', ')})`,
      ];
    }
    return [];
  });
}
