/**
 * `provision` and `deprovision` name an instance, not a catalog service: the commands ask the
 * platform of a Docker-shaped service for it (src/core/templates.ts, instanceService). When
 * the configuration provisions on a cluster (`provision.cluster`), this puts that cluster's
 * four provisioning verbs in front of the Docker platform and leaves everything else to
 * Docker (a proxy, so that what the port gains later is passed on too), so the commands stay
 * as they are.
 */
import type { Platform } from '../../core/platform.ts';

const routed: ReadonlySet<PropertyKey> = new Set<keyof Platform>([
  'planProvision',
  'provision',
  'planDeprovision',
  'deprovision',
]);

export function provisionOn(docker: Platform, cluster: Platform): Platform {
  return new Proxy(docker, {
    get(target, prop) {
      const owner: Platform = routed.has(prop) ? cluster : target;
      const value: unknown = Reflect.get(owner, prop, owner);
      // Methods keep their own platform as `this`.
      return typeof value === 'function' ? (value as () => unknown).bind(owner) : value;
    },
  });
}
