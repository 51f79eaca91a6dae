/**
 * A container's Config is the image's Config with the container's own settings merged over
 * it (docker/daemon: merge of image and container config). When the image changes, what the
 * container only inherited must not be carried to the new image, or the new image's own
 * defaults (its CMD, its ENV PATH, its HEALTHCHECK…) would be overridden by the old ones.
 *
 * A value equal to the old image's default is taken as inherited. A setting someone made
 * explicitly but equal to the old default is dropped too: the engine keeps no record that
 * tells them apart, and following the new image is the safer reading.
 */
import type { HealthConfig } from 'dockerode';

/** A container's Config as inspect shows it; the engine writes null for unset lists. */
export interface InspectedConfig {
  readonly Hostname?: string | undefined;
  readonly Domainname?: string | undefined;
  readonly User?: string | undefined;
  readonly AttachStdin?: boolean | undefined;
  readonly AttachStdout?: boolean | undefined;
  readonly AttachStderr?: boolean | undefined;
  readonly Tty?: boolean | undefined;
  readonly OpenStdin?: boolean | undefined;
  readonly StdinOnce?: boolean | undefined;
  readonly Env?: string[] | null | undefined;
  readonly Cmd?: string[] | null | undefined;
  readonly Entrypoint?: string | string[] | null | undefined;
  readonly Image?: string | undefined;
  readonly Labels?: Readonly<Record<string, string>> | null | undefined;
  readonly Volumes?: Readonly<Record<string, unknown>> | null | undefined;
  readonly WorkingDir?: string | undefined;
  readonly ExposedPorts?: Readonly<Record<string, unknown>> | null | undefined;
  readonly StopSignal?: string | undefined;
  readonly StopTimeout?: number | null | undefined;
  readonly Healthcheck?: HealthConfig | null | undefined;
  readonly MacAddress?: string | undefined;
  readonly NetworkDisabled?: boolean | undefined;
  readonly Shell?: string[] | null | undefined;
}

/** The defaults an image gives its containers (`docker image inspect` → Config). */
export type ImageConfig = Pick<
  InspectedConfig,
  | 'Env'
  | 'Cmd'
  | 'Entrypoint'
  | 'Labels'
  | 'Healthcheck'
  | 'WorkingDir'
  | 'User'
  | 'ExposedPorts'
  | 'Volumes'
  | 'StopSignal'
  | 'Shell'
>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The container's Config without what it inherited from `image`. Unchanged when the image
 * stays (`changing` false) or the old image's Config is unknown.
 */
export function stripImageDefaults(
  config: InspectedConfig,
  image: ImageConfig | undefined,
  changing: boolean,
): InspectedConfig {
  if (!changing || image === undefined) return config;
  const own: Mutable<InspectedConfig> = { ...config };
  const inherited = new Set(image.Env ?? []);
  own.Env = (config.Env ?? []).filter((entry) => !inherited.has(entry));
  own.Labels = withoutEqualEntries(config.Labels, image.Labels);
  own.ExposedPorts = withoutKeys(config.ExposedPorts, image.ExposedPorts);
  own.Volumes = withoutKeys(config.Volumes, image.Volumes);
  if (same(config.Cmd, image.Cmd)) own.Cmd = undefined;
  if (same(asList(config.Entrypoint), asList(image.Entrypoint))) own.Entrypoint = undefined;
  if (same(config.Healthcheck, image.Healthcheck)) own.Healthcheck = undefined;
  if (same(config.Shell, image.Shell)) own.Shell = undefined;
  if ((config.WorkingDir ?? '') === (image.WorkingDir ?? '')) own.WorkingDir = undefined;
  if ((config.User ?? '') === (image.User ?? '')) own.User = undefined;
  if ((config.StopSignal ?? '') === (image.StopSignal ?? '')) own.StopSignal = undefined;
  return own;
}

function withoutEqualEntries(
  mine: Readonly<Record<string, string>> | null | undefined,
  image: Readonly<Record<string, string>> | null | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(mine ?? {}).filter(([key, value]) => image?.[key] !== value),
  );
}

function withoutKeys(
  mine: Readonly<Record<string, unknown>> | null | undefined,
  image: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | undefined {
  const kept = Object.entries(mine ?? {}).filter(([key]) => image?.[key] === undefined);
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/** An entrypoint may be a string (shell form) or a list; an empty one counts as unset. */
function asList(value: string | string[] | null | undefined): string[] | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const list = typeof value === 'string' ? [value] : value;
  return list.length === 0 ? undefined : list;
}

/** Deep equality of JSON values, with null, undefined and [] meaning the same: unset. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && v !== null);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return value;
}
