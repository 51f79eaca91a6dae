/**
 * What `pes init` writes: from the containers an engine has, the services a first
 * configuration names. Pure, so that the naming rules are tested without an engine.
 */
import { dockerNameRe, nameRe as serviceNameRe } from '../config/schema.ts';
import { composeLabels, leftoverSuffix, ownName } from '../platforms/docker/discover.ts';

/** The part of the engine's container list this reads (`GET /containers/json?all=1`). */
export interface ContainerSummary {
  readonly Names: readonly string[];
  readonly Labels: Readonly<Record<string, string>>;
  readonly Mounts?: readonly { readonly Type?: string; readonly Name?: string }[];
}

export interface PlannedService {
  readonly name: string;
  readonly containers:
    | { readonly compose: { readonly project: string; readonly service: string } }
    | { readonly names: readonly string[] };
  /** Named volumes the containers mount: what `backup <service>` would take. */
  readonly volumes: readonly string[];
}

/** An anonymous volume is named by 64 hex digits: it belongs to one container, not a service. */
const anonymousVolumeRe = /^[0-9a-f]{64}$/;

/**
 * Containers the bot made for its own work (backup helpers, scratch copies, the services it
 * provisioned and tracks itself) or that a running update keeps aside are not services.
 */
const botLabels = ['pes.bot/helper', 'pes.bot/scratch', 'pes.bot/managed'];

/**
 * One service per Compose service (named by it; by `<project>-<service>` where two projects
 * share a name) and, when no project is asked for, one per container outside Compose.
 * `projects` narrows the plan to those Compose projects.
 */
export function planServices(
  containers: readonly ContainerSummary[],
  projects: readonly string[] = [],
): PlannedService[] {
  const compose = new Map<string, { project: string; service: string; volumes: Set<string> }>();
  const standalone: { container: string; volumes: Set<string> }[] = [];
  for (const info of containers) {
    if (botLabels.some((label) => info.Labels[label] !== undefined)) continue;
    const own = ownName(info.Names);
    if (own === undefined || own.endsWith(leftoverSuffix)) continue;
    const project = info.Labels[composeLabels.project];
    const service = info.Labels[composeLabels.service];
    const volumes = namedVolumes(info);
    if (project !== undefined && service !== undefined) {
      if (info.Labels[composeLabels.oneoff]?.toLowerCase() === 'true') continue;
      if (projects.length > 0 && !projects.includes(project)) continue;
      const key = `${project}\u0000${service}`;
      const entry = compose.get(key) ?? { project, service, volumes: new Set<string>() };
      for (const v of volumes) entry.volumes.add(v);
      compose.set(key, entry);
    } else if (projects.length === 0 && dockerNameRe.test(own)) {
      standalone.push({ container: own, volumes: new Set(volumes) });
    }
  }

  const composeEntries = [...compose.values()].sort(
    (a, b) => a.project.localeCompare(b.project) || a.service.localeCompare(b.service),
  );
  const serviceCounts = new Map<string, number>();
  for (const e of composeEntries) {
    serviceCounts.set(e.service, (serviceCounts.get(e.service) ?? 0) + 1);
  }
  const taken = new Set<string>();
  const out: PlannedService[] = [];
  for (const e of composeEntries) {
    const wanted =
      (serviceCounts.get(e.service) ?? 0) > 1 ? `${e.project}-${e.service}` : e.service;
    const name = freeName(serviceName(wanted), taken);
    if (name === undefined) continue;
    out.push({
      name,
      containers: { compose: { project: e.project, service: e.service } },
      volumes: [...e.volumes].sort(),
    });
  }
  for (const s of standalone.sort((a, b) => a.container.localeCompare(b.container))) {
    const name = freeName(serviceName(s.container), taken);
    if (name === undefined) continue;
    out.push({ name, containers: { names: [s.container] }, volumes: [...s.volumes].sort() });
  }
  return out;
}

function namedVolumes(info: ContainerSummary): string[] {
  return (info.Mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name !== undefined)
    .map((m) => m.Name ?? '')
    .filter((n) => dockerNameRe.test(n) && !anonymousVolumeRe.test(n));
}

/** Lowercase letters, digits and "-", starting with a letter, at most 40 characters. */
function serviceName(raw: string): string | undefined {
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+/g, '-')
    .slice(0, 40)
    .replace(/-+$/, '');
  return serviceNameRe.test(cleaned) ? cleaned : undefined;
}

/** The name, or the name with -2, -3… when it is taken; undefined when none fits. */
function freeName(name: string | undefined, taken: Set<string>): string | undefined {
  if (name === undefined) return undefined;
  for (let n = 1; n < 100; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = `${name.slice(0, 40 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
  return undefined;
}
