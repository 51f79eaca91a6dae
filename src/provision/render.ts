/**
 * A validated template plus resolved parameters → the platform-neutral WorkloadSpec. The
 * results that reach the engine as names (image, volumes, network) are checked once more:
 * a parameter's pattern in a template may be looser than Docker's rules.
 */
import { UserError } from '../core/errors.ts';
import type { WorkloadSpec } from '../core/platform.ts';
import type { RenderedWorkload } from '../core/templates.ts';
import type { ResolvedParams } from './params.ts';
import { instancePlaceholder, placeholderRe, type Template } from './template-schema.ts';

// Docker's own rules for object names, and a loose image reference (registry, path, tag,
// digest): enough to refuse what the engine would refuse, with a clearer message.
const dockerNameRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const imageRe =
  /^[a-z0-9]+(?:[._:/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function renderTemplate(
  template: Template,
  path: string,
  instance: string,
  params: ResolvedParams,
): RenderedWorkload {
  const fill = (value: string): string =>
    value.replace(placeholderRe, (_, key: string) =>
      key === instancePlaceholder ? instance : (params.values.get(key) ?? ''),
    );
  const problems: string[] = [];
  const checked = (what: string, value: string, re: RegExp): string => {
    if (!re.test(value)) problems.push(`${what} "${value}" is not valid for Docker`);
    return value;
  };

  const spec: WorkloadSpec = {
    name: instance,
    template: template.name,
    image: checked('image', fill(template.image), imageRe),
    env: Object.fromEntries(Object.entries(template.env).map(([k, v]) => [k, fill(v)])),
    command: template.command?.map(fill),
    volumes: template.volumes.map((v) => ({
      name: checked('volume', fill(v.name), dockerNameRe),
      target: v.target,
    })),
    labels: Object.fromEntries(Object.entries(template.labels).map(([k, v]) => [k, fill(v)])),
    healthcheck:
      template.healthcheck === undefined
        ? undefined
        : {
            test: template.healthcheck.test.map(fill),
            intervalSeconds: template.healthcheck.interval,
            timeoutSeconds: template.healthcheck.timeout,
            retries: template.healthcheck.retries,
            startPeriodSeconds: template.healthcheck.start_period,
          },
    network: checked('network', fill(template.network), dockerNameRe),
    stopTimeoutSeconds: template.stop_timeout,
  };
  // Only image, volume and network names are checked, and secrets never reach those.
  if (problems.length > 0) {
    throw new UserError('template-invalid', { path, problems: problems.join('; ') });
  }
  return {
    spec,
    shown: params.shown,
    secretKeys: params.secretKeys,
    secretValues: params.secretValues,
  };
}
