/**
 * The provisioning templates as commands see them: a port, so that `provision` never reads
 * files or configuration itself. The implementation (src/provision) validates the
 * parameters against the template and renders a platform-neutral WorkloadSpec.
 */
import type { ServiceDefinition } from './catalog.ts';
import { UserError } from './errors.ts';
import type { WorkloadSpec } from './platform.ts';

/** A template rendered for one instance, with what may and may not be shown of it. */
export interface RenderedWorkload {
  readonly spec: WorkloadSpec;
  /** Parameter values fit to show (given or defaulted), by key; secret ones are left out. */
  readonly shown: Readonly<Record<string, string>>;
  /** Keys of the secret parameters; their values are only in `spec.env`. */
  readonly secretKeys: readonly string[];
  /** The secret values themselves, so that anything that might echo one can be scrubbed. */
  readonly secretValues: readonly string[];
}

export interface TemplateCatalog {
  /** The template names, sorted. */
  names(): Promise<readonly string[]>;
  /**
   * Checks `key=value` assignments against the template and renders it for `instance`.
   * Throws a UserError for an unknown template, a bad or unknown parameter, a missing
   * required one, or a template file that is invalid; never with a secret value in it.
   */
  render(
    template: string,
    instance: string,
    assignments: readonly string[],
  ): Promise<RenderedWorkload>;
}

/** For a bot wired without templates: there are none. */
export const noTemplates: TemplateCatalog = {
  names: () => Promise.resolve([]),
  render: (template) =>
    Promise.reject(new UserError('unknown-template', { name: template, known: '—' })),
};

/**
 * A provisioned instance is not in the catalog, but its platform is picked the way a
 * service's is: it is described as a service of one container named like the instance.
 */
export function instanceService(instance: string): ServiceDefinition {
  return {
    name: instance,
    platform: 'docker',
    containers: { names: [instance] },
    scale: { min: 1, max: 1 },
    health: { minRunning: 1, timeoutSeconds: 60 },
    volumes: [],
    databases: [],
  };
}
