/**
 * The Docker engine: its address (docker.host or DOCKER_HOST), whether it answers, its API
 * version, the permission on its socket; then every service's selector against the
 * containers it has. The selectors wait for the engine's check and are not run without it.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { LoadedConfig } from '../config/load.ts';
import type { ContainerSelector, ServiceDefinition } from '../core/catalog.ts';
import { isUserError } from '../core/errors.ts';
import {
  connectDocker,
  parseDockerHost,
  requestDocker,
  resolveDockerHost,
  type DockerConnection,
} from '../platforms/docker/client.ts';
import { findServiceContainers } from '../platforms/docker/discover.ts';
import { cannot, fail, fromError, ok, same, type Check, type Finding } from './check.ts';
import { plural } from './format.ts';

/** The oldest Engine API the bot is tested against (docs/FIELD-NOTES.md "Docker"). */
const minimumApi = [1, 41] as const;

export function dockerChecks(
  config: LoadedConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Check[] {
  const address = resolveDockerHost(config.docker.host, env);
  let connection: DockerConnection | undefined;
  const engine = (async (): Promise<Finding> => {
    try {
      parseDockerHost(address, env);
    } catch (error) {
      return fromError(error);
    }
    connection = connectDocker({ host: address, env, timeoutMs });
    return engineFinding(connection, address);
  })();
  // Services on a cluster have no containers on this engine (their platform is Kubernetes).
  const services = [...config.catalog.services.values()].filter((s) => s.platform === 'docker');
  return [
    { title: { ru: 'Docker', en: 'Docker' }, run: () => engine },
    ...services.map((service): Check => ({
      title: { ru: `Сервис ${service.name}`, en: `Service ${service.name}` },
      run: async (signal) => {
        if ((await engine).status !== 'ok' || connection === undefined) {
          return cannot({
            ru: 'не проверен: Docker недоступен',
            en: 'not checked: the Docker engine cannot be reached',
          });
        }
        return selectorFinding(connection, service, signal);
      },
    })),
  ];
}

async function engineFinding(connection: DockerConnection, address: string): Promise<Finding> {
  const denied = socketDenied(address);
  if (denied !== undefined) return denied;
  let version: { Version?: string; ApiVersion?: string };
  try {
    version = await requestDocker(connection, (abortSignal) => {
      // dockerode's version() takes `{abortSignal}` (lib/docker.js) though its types omit it.
      const ask = connection.docker.version.bind(connection.docker) as unknown as (opts: {
        abortSignal: AbortSignal;
      }) => Promise<{ Version?: string; ApiVersion?: string }>;
      return ask({ abortSignal });
    });
  } catch (error) {
    const finding = fromError(error);
    if (!isUserError(error) || error.code !== 'docker-unreachable') return finding;
    return fail(finding.detail, {
      ru: 'Запустите Docker (Debian/Ubuntu: apt-get install docker.io; systemctl enable --now docker) или укажите его адрес в DOCKER_HOST либо docker.host.',
      en: 'Start Docker (Debian/Ubuntu: apt-get install docker.io; systemctl enable --now docker) or give its address in DOCKER_HOST or docker.host.',
    });
  }
  const api = version.ApiVersion ?? '?';
  const detail = same(`${connection.host}: Docker ${version.Version ?? '?'}, API ${api}`);
  const [major = 0, minor = 0] = api.split('.').map(Number);
  if (major < minimumApi[0] || (major === minimumApi[0] && minor < minimumApi[1])) {
    return fail(
      {
        ru: `${detail.ru} — нужен API ${minimumApi.join('.')} или новее`,
        en: `${detail.en}; API ${minimumApi.join('.')} or newer is needed`,
      },
      { ru: 'Обновите Docker Engine.', en: 'Upgrade the Docker engine.' },
    );
  }
  return ok(detail);
}

/** A unix socket the bot's user may not open: who owns it, and how to get in. */
function socketDenied(address: string): Finding | undefined {
  if (!address.startsWith('unix://')) return undefined;
  const path = address.slice('unix://'.length);
  let stat;
  try {
    stat = statSync(path);
    accessSync(path, constants.R_OK | constants.W_OK);
    return undefined;
  } catch {
    // A missing socket is the engine's check to report (docker-unreachable, no such socket).
    if (stat === undefined) return undefined;
  }
  const group = groupName(stat.gid);
  const mode = (stat.mode & 0o777).toString(8);
  const user = userInfo().username;
  return fail(
    {
      ru: `нет доступа к ${path} (владелец uid ${stat.uid}, группа ${group}, права ${mode}) для пользователя ${user}`,
      en: `${path} cannot be opened by ${user} (owner uid ${stat.uid}, group ${group}, mode ${mode})`,
    },
    {
      ru: `Добавьте пользователя в группу ${group}: sudo usermod -aG ${group} ${user} — и войдите заново (в systemd-юните: SupplementaryGroups=${group}).`,
      en: `Add the user to the group ${group}: sudo usermod -aG ${group} ${user}, then log in again (in the systemd unit: SupplementaryGroups=${group}).`,
    },
  );
}

function groupName(gid: number): string {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // No /etc/group to read: the number is what can be shown.
  }
  return String(gid);
}

export function describeSelector(selector: ContainerSelector): string {
  const parts: string[] = [];
  if (selector.compose !== undefined) {
    parts.push(`compose ${selector.compose.project}/${selector.compose.service}`);
  }
  if (selector.names !== undefined && selector.names.length > 0) {
    parts.push(`names ${selector.names.join(', ')}`);
  }
  return parts.join('; ');
}

async function selectorFinding(
  connection: DockerConnection,
  service: ServiceDefinition,
  signal: AbortSignal,
): Promise<Finding> {
  const found = await findServiceContainers(connection, service.containers, signal);
  const selector = describeSelector(service.containers);
  if (found.length === 0) {
    return fail(
      {
        ru: `ни один контейнер не подходит под ${selector}`,
        en: `no container matches ${selector}`,
      },
      {
        ru: `Сверьте services.${service.name}.containers с docker ps -a (имена и метки com.docker.compose.project / com.docker.compose.service).`,
        en: `Compare services.${service.name}.containers with docker ps -a (names and the labels com.docker.compose.project / com.docker.compose.service).`,
      },
    );
  }
  const names = found.map((c) => c.name).join(', ');
  return ok({
    ru: `${plural(found.length, 'ru', { one: 'контейнер', few: 'контейнера', other: 'контейнеров' })} (${selector}): ${names}`,
    en: `${plural(found.length, 'en', { one: 'container', other: 'containers' })} (${selector}): ${names}`,
  });
}
