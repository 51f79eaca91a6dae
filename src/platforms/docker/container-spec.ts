/**
 * Derives, from a container's inspect answer, the options that create a container with the
 * same configuration: a replica (scale) or the same container on another image (update).
 *
 * The inspect answer is not the create request that made the container: the engine merged
 * the image's defaults into it and added values of its own. What is undone here:
 * - `Config.Hostname` is the short container id unless it was set: dropped then;
 * - on an image change, values the container inherited from the OLD image (see
 *   image-defaults.ts) are dropped, so that the new image's defaults apply;
 * - on update, anonymous volumes are mounted again by name, so their data stays;
 * - links and network aliases are written back in the form a create request takes;
 * - API 1.41 takes one network at create: the others are connected before the start.
 */
import type {
  ContainerCreateOptions,
  EndpointSettings,
  HostConfig,
  MountSettings,
} from 'dockerode';
import { stripImageDefaults, type ImageConfig, type InspectedConfig } from './image-defaults.ts';

export type { ImageConfig, InspectedConfig } from './image-defaults.ts';

export interface InspectedMount {
  readonly Type: string;
  /** The volume's name; for an anonymous volume a 64-hex name the engine chose. */
  readonly Name?: string | undefined;
  readonly Source?: string | undefined;
  readonly Destination: string;
  readonly RW?: boolean | undefined;
}

/** The part of the engine's inspect answer the derivation reads; ContainerInspectInfo fits. */
export interface InspectedContainer {
  readonly Id: string;
  readonly Name: string;
  readonly Config: InspectedConfig;
  readonly HostConfig: HostConfig;
  readonly Mounts?: readonly InspectedMount[] | null | undefined;
  readonly NetworkSettings?:
    | { readonly Networks?: Readonly<Record<string, EndpointSettings>> | null | undefined }
    | undefined;
}

export interface SpecOptions {
  /** The new container's name. */
  readonly name: string;
  /**
   * A new image. `previous` is the old image's Config; undefined when the old image is gone,
   * and then nothing can be told apart as inherited, so everything is kept.
   */
  readonly image?: { readonly reference: string; readonly previous: ImageConfig | undefined };
  /** Labels to add or replace (the Compose replica number, the previous image…). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * true (update): the old container's anonymous volumes are mounted again by name, so the
   * data is not lost; false (scale): a replica gets fresh ones, as Compose gives it.
   */
  readonly keepAnonymousVolumes: boolean;
}

export interface NetworkAttachment {
  readonly network: string;
  readonly endpoint: EndpointSettings;
}

export interface ContainerSpec {
  readonly create: ContainerCreateOptions;
  /** Networks to connect after the create and before the start. */
  readonly connect: readonly NetworkAttachment[];
}

/** Network modes that have no endpoint of their own to configure. */
const modesWithoutEndpoint = new Set(['none', 'host']);

export function deriveContainerSpec(info: InspectedContainer, options: SpecOptions): ContainerSpec {
  const oldName = info.Name.replace(/^\//, '');
  const shortId = info.Id.slice(0, 12);
  const config = stripImageDefaults(
    info.Config,
    options.image?.previous,
    options.image !== undefined,
  );
  const labels = { ...(config.Labels ?? {}), ...options.labels };
  const create: ContainerCreateOptions = {
    name: options.name,
    ...definedOnly({
      Hostname: config.Hostname === shortId ? undefined : emptyToUndefined(config.Hostname),
      Domainname: emptyToUndefined(config.Domainname),
      User: emptyToUndefined(config.User),
      AttachStdin: config.AttachStdin,
      AttachStdout: config.AttachStdout,
      AttachStderr: config.AttachStderr,
      Tty: config.Tty,
      OpenStdin: config.OpenStdin,
      StdinOnce: config.StdinOnce,
      Env: config.Env ?? undefined,
      Cmd: config.Cmd ?? undefined,
      Entrypoint: config.Entrypoint ?? undefined,
      Image: options.image?.reference ?? config.Image,
      Volumes: keySet(config.Volumes),
      WorkingDir: emptyToUndefined(config.WorkingDir),
      ExposedPorts: keySet(config.ExposedPorts),
      StopSignal: emptyToUndefined(config.StopSignal),
      StopTimeout: config.StopTimeout ?? undefined,
      Healthcheck: config.Healthcheck ?? undefined,
      MacAddress: emptyToUndefined(config.MacAddress),
      NetworkDisabled: config.NetworkDisabled,
      Shell: config.Shell ?? undefined,
    }),
    Labels: labels,
    HostConfig: hostConfig(info, options.keepAnonymousVolumes),
  };
  const networks = endpoints(info, oldName, options.name, shortId);
  const primary = networks.find((n) => n.network === primaryNetwork(info.HostConfig));
  if (primary !== undefined) {
    create.NetworkingConfig = { EndpointsConfig: { [primary.network]: primary.endpoint } };
  }
  return { create, connect: networks.filter((n) => n !== primary) };
}

function hostConfig(info: InspectedContainer, keepAnonymousVolumes: boolean): HostConfig {
  const host = structuredClone(info.HostConfig);
  if (Array.isArray(host.Links)) host.Links = host.Links.map(toCreateLink);
  if (!keepAnonymousVolumes) return host;
  const anonymous = anonymousVolumes(info);
  if (anonymous.length === 0) return host;
  const mounts: MountSettings[] = [...(host.Mounts ?? [])];
  for (const volume of anonymous) {
    // `--mount type=volume,target=…` without a source is in HostConfig.Mounts already: give
    // it the volume's name; a `-v /path` or an image VOLUME gets a mount of its own.
    const declared = mounts.findIndex((m) => m.Target === volume.Destination);
    const named: MountSettings = {
      ...(declared === -1 ? {} : mounts[declared]),
      Type: 'volume',
      Source: volume.Name ?? '',
      Target: volume.Destination,
      ReadOnly: volume.RW === false,
    };
    if (declared === -1) mounts.push(named);
    else mounts[declared] = named;
  }
  host.Mounts = mounts;
  return host;
}

/**
 * Volumes the engine named itself: a volume mount whose destination no bind (`name:/path`)
 * and no mount with a source asked for.
 */
export function anonymousVolumes(info: InspectedContainer): InspectedMount[] {
  const named = new Set<string>();
  for (const bind of info.HostConfig.Binds ?? []) {
    const destination = bindDestination(bind);
    if (destination !== undefined) named.add(destination);
  }
  for (const mount of info.HostConfig.Mounts ?? []) {
    if (mount.Source !== undefined && mount.Source !== '') named.add(mount.Target);
  }
  return (info.Mounts ?? []).filter(
    (m) => m.Type === 'volume' && m.Name !== undefined && !named.has(m.Destination),
  );
}

/** `src:dst[:mode]`; a bind with one part (`/path`) is an anonymous volume in old engines. */
function bindDestination(bind: string): string | undefined {
  const parts = bind.split(':');
  return parts.length >= 2 ? parts[1] : undefined;
}

/** Inspect shows a link as `/db:/web/db`; a create request takes `db:db`. */
function toCreateLink(link: unknown): unknown {
  if (typeof link !== 'string') return link;
  const match = /^\/?([^:]+):\/?(?:[^/]+\/)*([^/]+)$/.exec(link);
  return match === null ? link : `${match[1]}:${match[2]}`;
}

function primaryNetwork(host: HostConfig): string | undefined {
  const mode = host.NetworkMode ?? 'default';
  if (modesWithoutEndpoint.has(mode) || mode.startsWith('container:')) return undefined;
  return mode === 'default' ? 'bridge' : mode;
}

function endpoints(
  info: InspectedContainer,
  oldName: string,
  newName: string,
  shortId: string,
): NetworkAttachment[] {
  if (primaryNetwork(info.HostConfig) === undefined) return [];
  return Object.entries(info.NetworkSettings?.Networks ?? {}).map(([network, settings]) => {
    // The engine adds the short id as an alias on user-defined networks; Compose adds the
    // container's name. A replica must answer to its own.
    const aliases = (settings.Aliases ?? [])
      .filter((alias) => alias !== shortId)
      .map((alias) => (alias === oldName ? newName : alias));
    const endpoint: EndpointSettings = definedOnly({
      IPAMConfig: settings.IPAMConfig ?? undefined,
      Links: settings.Links ?? undefined,
      Aliases: aliases.length === 0 ? undefined : aliases,
      DriverOpts: settings.DriverOpts ?? undefined,
    });
    return { network, endpoint };
  });
}

/** Volumes and ExposedPorts are sets written as objects: `{"/data": {}}`. */
function keySet(
  value: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, object> | undefined {
  if (value === null || value === undefined) return undefined;
  return Object.fromEntries(Object.keys(value).map((key) => [key, {}]));
}

function emptyToUndefined(value: string | undefined | null): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** Leaves out undefined values, so that the request (and a test's expectation) stays small. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
