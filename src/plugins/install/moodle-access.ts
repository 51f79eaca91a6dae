/**
 * The Moodle container of a command: found among the service's running containers (or the
 * configured one), exec into it, and the site read from its own files.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { CommandContext } from '../../core/context.ts';
import { UserError } from '../../core/errors.ts';
import { readSite, SiteUnreadable, type Site } from '../site.ts';
import type { ContainerExec } from './moodle-cli.ts';

/** What reaching the container needs of a command's context (the start-up has no command). */
export type MoodleReach = Pick<CommandContext, 'platform' | 'signal'>;

export interface MoodleAccessSettings {
  readonly root: string;
  /** The container to use; the service's first running one when absent. */
  readonly container?: string;
}

/** The running container to work in; plugin-install-not-running when there is none. */
export async function moodleContainer(
  ctx: MoodleReach,
  service: ServiceDefinition,
  settings: MoodleAccessSettings,
): Promise<string> {
  const status = await ctx.platform(service).status(service, ctx.signal);
  const wanted = settings.container;
  const running = status.containers.find(
    (c) => c.state === 'running' && (wanted === undefined || c.name === wanted),
  );
  if (running === undefined) {
    throw new UserError('plugin-install-not-running', { service: service.name });
  }
  return execTarget(service, running.name);
}

/**
 * What exec takes for a container `status` named: the name on Docker; on a cluster
 * `<namespace>/<pod>` (src/platforms/kubernetes/exec-target.ts), as status names the pod.
 */
export function execTarget(service: ServiceDefinition, name: string): string {
  return service.kubernetes === undefined ? name : `${service.kubernetes.namespace}/${name}`;
}

/**
 * Exec in the Moodle container. On Docker the web server's user is asked for by name and
 * file work runs as root (tar keeps the owners of its headers only as root); pods/exec has
 * no user (kubernetes-exec-option), so there everything runs as the pod's own user.
 */
export function containerExec(
  ctx: MoodleReach,
  service: ServiceDefinition,
  container: string,
): ContainerExec {
  const platform = ctx.platform(service);
  const docker = service.platform === 'docker';
  return (argv, options, signal) =>
    platform.exec(
      container,
      argv,
      {
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(docker ? { user: options.user ?? '0' } : {}),
      },
      signal,
    );
}

/** The site's release and type directories; plugin-site-unreadable when it cannot be read. */
export async function moodleSite(
  ctx: CommandContext,
  service: ServiceDefinition,
  settings: MoodleAccessSettings,
): Promise<Site> {
  const exec = containerExec(ctx, service, await moodleContainer(ctx, service, settings));
  try {
    return await readSite((argv) => exec(argv, {}, ctx.signal), settings.root);
  } catch (error) {
    if (error instanceof SiteUnreadable) {
      throw new UserError('plugin-site-unreadable', {
        service: service.name,
        reason: error.message,
      });
    }
    throw error;
  }
}
