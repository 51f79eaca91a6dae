/**
 * What is checked before an install or a removal starts, each refusal one line with nothing
 * changed: the backup must hold the database (the rollback puts it back from there); no
 * Moodle upgrade may be pending (upgrade.php would run it as a side effect of the install);
 * the site must not be in maintenance already (an admin put it there: the job would end it).
 * On a cluster, where pods/exec cannot choose a user, the pod must run as the web server's
 * user: as root, upgrade.php and purge_caches.php would leave root-owned files in moodledata
 * that the web server cannot write; as another uid, the copy could not give the files the web
 * server's owner.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { CommandContext } from '../../core/context.ts';
import { UserError } from '../../core/errors.ts';
import type { Site } from '../site.ts';
import { MoodleCli, requireSuccess, type ContainerExec } from './moodle-cli.ts';
import { webOwner } from './web-owner.ts';

export interface PreCheckSettings {
  readonly webUser: string;
  readonly php: string;
  readonly databaseVolume: string | undefined;
}

export async function preChecks(
  ctx: CommandContext,
  service: ServiceDefinition,
  site: Site,
  exec: ContainerExec,
  settings: PreCheckSettings,
): Promise<void> {
  const sources = ctx.backups.sources(service, undefined);
  const database = sources.some(
    (s) =>
      s.kind === 'database' ||
      (settings.databaseVolume !== undefined && s.id === `volume:${settings.databaseVolume}`),
  );
  if (!database)
    throw new UserError('plugin-install-no-database-backup', { service: service.name });
  if (service.platform !== 'docker') await samePodUser(exec, service, settings.webUser, ctx.signal);
  const cli = new MoodleCli(exec, site, settings);
  // admin/cli/upgrade.php --is-pending: exit 2 when an upgrade is pending, 0 when none is.
  const pending = await cli.run('upgrade.php', ['--is-pending'], ctx.signal);
  if (pending.exitCode === 2) {
    throw new UserError('plugin-install-upgrade-pending', { service: service.name });
  }
  requireSuccess('admin/cli/upgrade.php --is-pending', pending);
  // admin/cli/maintenance.php without an option prints "Status: enabled" or "Status: disabled".
  const status = requireSuccess(
    'admin/cli/maintenance.php',
    await cli.run('maintenance.php', [], ctx.signal),
  ).stdout;
  if (/Status: enabled/.test(status)) {
    throw new UserError('plugin-install-maintenance-already', { service: service.name });
  }
}

/** The uid every exec in the pod runs as must be the web server's. */
async function samePodUser(
  exec: ContainerExec,
  service: ServiceDefinition,
  user: string,
  signal: AbortSignal,
): Promise<void> {
  const own = Number(requireSuccess('id -u', await exec(['id', '-u'], {}, signal)).stdout.trim());
  const { uid } = await webOwner(exec, user, signal);
  if (own !== uid) {
    throw new UserError('plugin-install-pod-user', {
      service: service.name,
      uid: Number.isInteger(own) ? own : '?',
      user,
      webUid: uid,
    });
  }
}
