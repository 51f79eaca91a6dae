/**
 * A provisioning template's WorkloadSpec as the Kubernetes objects the bot applies for it:
 * a Secret with the environment, a PersistentVolumeClaim per volume, a headless Service and a
 * Deployment. Pure: the same spec gives the same objects, so applying them again changes
 * nothing (server-side apply, https://kubernetes.io/docs/reference/using-api/server-side-apply/).
 *
 * Why a Deployment with `Recreate` and claims of its own rather than a StatefulSet: a template
 * is one instance of one container, like Docker's; the claims then carry the template's volume
 * names (what the plan shows, as on Docker) and are applied, labelled and owned by the bot, so
 * deprovision decides itself whether they go. A StatefulSet's volumeClaimTemplates make claims
 * named `<claim>-<set>-<ordinal>` that its controller creates, not the bot. `Recreate` because
 * a ReadWriteOnce claim cannot be mounted by the old and the new pod at once on two nodes.
 *
 * Labels: the recommended ones (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/)
 * and the bot's own `pes.bot/*`, the same keys its Docker containers and volumes carry
 * (src/platforms/docker/provision-lookup.ts). The template's own labels are Docker labels,
 * free text: they become annotations, which take any value.
 */
import type { WorkloadSpec } from '../../core/platform.ts';

/** The field manager of every apply, so that the objects show who set which field. */
export const fieldManager = 'pes-bot';

/** The bot's own label keys, as on Docker (src/platforms/docker/provision-lookup.ts). */
export const ownLabelKeys = {
  managed: 'pes.bot/managed',
  template: 'pes.bot/template',
  instance: 'pes.bot/instance',
} as const;

/** What a claim asks for: the templates name no size; a class's default may be larger. */
export const claimSize = '1Gi';

export type ProvisionKind = 'Secret' | 'PersistentVolumeClaim' | 'Service' | 'Deployment';

export interface ProvisionObject {
  readonly kind: ProvisionKind;
  readonly name: string;
  /** The apply configuration, as JSON. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** `app.kubernetes.io/*` and `pes.bot/*` for one instance. */
export function instanceLabels(template: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': template,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/managed-by': fieldManager,
    [ownLabelKeys.managed]: 'true',
    [ownLabelKeys.template]: template,
    [ownLabelKeys.instance]: instance,
  };
}

/** The labelSelector of everything the bot made for an instance. */
export function instanceSelector(instance: string): string {
  return `${ownLabelKeys.managed}=true,${ownLabelKeys.instance}=${instance}`;
}

/** The Secret holding the template's environment (generated secrets among it). */
export function secretNameOf(instance: string): string {
  return `${instance}-env`;
}

function metadata(spec: WorkloadSpec, name: string, namespace: string): Record<string, unknown> {
  const annotations = { ...spec.labels };
  return {
    name,
    namespace,
    labels: instanceLabels(spec.template, spec.name),
    ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
  };
}

/** The objects in the order they are applied: what the pod needs first, the Deployment last. */
export function provisionObjects(spec: WorkloadSpec, namespace: string): ProvisionObject[] {
  const labels = instanceLabels(spec.template, spec.name);
  const selector = {
    'app.kubernetes.io/instance': spec.name,
    [ownLabelKeys.instance]: spec.name,
  };
  const env = Object.entries(spec.env);
  const secret = secretNameOf(spec.name);
  const objects: ProvisionObject[] = [];
  if (env.length > 0) {
    objects.push({
      kind: 'Secret',
      name: secret,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: metadata(spec, secret, namespace),
        type: 'Opaque',
        // `data`, not `stringData`: the server never stores stringData, so an apply of it
        // would always differ from what is stored.
        data: Object.fromEntries(
          env.map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
        ),
      },
    });
  }
  for (const volume of spec.volumes) {
    objects.push({
      kind: 'PersistentVolumeClaim',
      name: volume.name,
      body: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: metadata(spec, volume.name, namespace),
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: claimSize } } },
      },
    });
  }
  // Headless: the instance's name resolves to its pod, as a container's name does on a
  // Docker network; the templates name no ports, and a headless Service needs none.
  objects.push({
    kind: 'Service',
    name: spec.name,
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(spec, spec.name, namespace),
      spec: { clusterIP: 'None', selector },
    },
  });
  const check = spec.healthcheck;
  const container = {
    name: spec.name,
    image: spec.image,
    // Docker's Cmd is Kubernetes' args: both leave the image's entrypoint as it is.
    ...(spec.command === undefined ? {} : { args: [...spec.command] }),
    ...(env.length === 0 ? {} : { envFrom: [{ secretRef: { name: secret } }] }),
    ...(spec.volumes.length === 0
      ? {}
      : { volumeMounts: spec.volumes.map((v) => ({ name: v.name, mountPath: v.target })) }),
    ...(check === undefined
      ? {}
      : {
          readinessProbe: {
            exec: { command: [...check.test] },
            initialDelaySeconds: check.startPeriodSeconds,
            periodSeconds: check.intervalSeconds,
            timeoutSeconds: check.timeoutSeconds,
            failureThreshold: check.retries,
          },
        }),
  };
  objects.push({
    kind: 'Deployment',
    name: spec.name,
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(spec, spec.name, namespace),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: spec.stopTimeoutSeconds,
            containers: [container],
            ...(spec.volumes.length === 0
              ? {}
              : {
                  volumes: spec.volumes.map((v) => ({
                    name: v.name,
                    persistentVolumeClaim: { claimName: v.name },
                  })),
                }),
          },
        },
      },
    },
  });
  return objects;
}

/** `deployment/files`, as kubectl names objects. */
export function objectRef(kind: ProvisionKind, name: string): string {
  return `${kind.toLowerCase()}/${name}`;
}
