/**
 * The backup verbs of the Platform port for one service on a cluster: its volumes are
 * PersistentVolumeClaims of its namespace, reached by claim pods (claim-site.ts); stop and
 * start scale its workload (service-power.ts); a drill's scratch volume is a scratch claim
 * like the one the snapshot came from (scratch-claim.ts). Volume names carry no namespace
 * (a snapshot's source tag is `volume:<claim>`), so these are bound to the service.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { VolumeFiles } from '../../core/platform.ts';
import type { KubeClients } from './client.ts';
import { placeClaimPod, readClaim, runAsOf, runAsWithFallback } from './claim-placement.ts';
import { claimPodLabel, type RunAs } from './claim-pod-spec.ts';
import { claimSite, type ClaimAccessSettings } from './claim-site.ts';
import {
  createScratchClaim,
  deleteScratchClaim,
  deleteScratchClaimNamed,
  scratchLabel,
  type ScratchClaim,
} from './scratch-claim.ts';
import { requireWorkload } from './workload-api.ts';

/** What the workload's pods run as, from its pod template (there may be no pod now). */
async function templateRunAs(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<RunAs | undefined> {
  const workload = await requireWorkload(clients, service).catch(() => undefined);
  const template = workload?.object.spec.template;
  if (template?.spec === undefined) return undefined;
  return runAsOf({ metadata: {}, spec: template.spec as Parameters<typeof runAsOf>[0]['spec'] });
}

export class ClaimVolumes {
  readonly #clients: () => Promise<KubeClients>;
  readonly #service: KubernetesServiceDefinition;
  readonly #settings: ClaimAccessSettings;
  readonly #volumes: readonly string[];
  readonly #scratch = new Map<string, ScratchClaim>();

  constructor(
    clients: () => Promise<KubeClients>,
    service: KubernetesServiceDefinition,
    volumes: readonly string[],
    settings: ClaimAccessSettings,
  ) {
    this.#clients = clients;
    this.#service = service;
    this.#volumes = volumes;
    this.#settings = settings;
  }

  get files(): VolumeFiles {
    const namespace = this.#service.namespace;
    return {
      directory: () => Promise.resolve(undefined),
      open: async (volume, mode) => {
        const clients = await this.#clients();
        await readClaim(clients, namespace, volume);
        const runAs = runAsWithFallback(
          await templateRunAs(clients, this.#service),
          this.#settings.runAs,
        );
        return claimSite({
          clients,
          settings: this.#settings,
          namespace,
          claim: volume,
          mode,
          ...(runAs === undefined ? {} : { runAs }),
        });
      },
      inspect: async (volume) => {
        const clients = await this.#clients();
        let claim;
        try {
          claim = await readClaim(clients, namespace, volume);
        } catch (error) {
          if (error instanceof UserError && error.code === 'kubernetes-claim-missing') {
            return { exists: false, containers: [] };
          }
          throw error;
        }
        const pods = await clients.core.listNamespacedPod({ namespace });
        // The bot's own claim pods are not another service's.
        const users = pods.items
          .filter((p) => p.metadata?.labels?.[claimPodLabel] === undefined)
          .filter((p) =>
            (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === volume),
          )
          .map((p) => p.metadata?.name ?? '?');
        // The repository's claim is mounted by claim pods only, which are skipped above.
        const reserved =
          this.#settings.repositoryClaim === volume
            ? ('repository' as const)
            : claim.metadata.labels?.[scratchLabel] !== undefined
              ? ('scratch' as const)
              : undefined;
        return { exists: true, containers: users, ...(reserved === undefined ? {} : { reserved }) };
      },
      create: async (volume, labels, signal) => {
        const clients = await this.#clients();
        // Like the claim the snapshot came from (restore-beside.ts names it), not any claim
        // of the service: the sizes and classes of a service's claims differ.
        await createScratchClaim(clients, namespace, this.#likeOf(labels), labels, signal, volume);
      },
    };
  }

  /** The claim of the source named in the labels (`pes.source`), else the service's first. */
  #likeOf(labels: Readonly<Record<string, string>>): string {
    const source = labels['pes.source'] ?? '';
    return source.startsWith('volume:') ? source.slice('volume:'.length) : (this.#volumes[0] ?? '');
  }

  /** A drill's scratch claim, like the claim of the source named in the labels. */
  async createScratch(
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string> {
    const clients = await this.#clients();
    const made = await createScratchClaim(
      clients,
      this.#service.namespace,
      this.#likeOf(labels),
      labels,
      signal,
    );
    this.#scratch.set(made.name, made);
    return made.name;
  }

  /**
   * Deletes a claim this made, or a scratch claim by name (its label read first, its uid as
   * precondition; scratch-claim.ts): any other claim is refused, never deleted.
   */
  async remove(name: string): Promise<void> {
    const clients = await this.#clients();
    const known = this.#scratch.get(name);
    if (known !== undefined) {
      await deleteScratchClaim(clients, known);
      this.#scratch.delete(name);
      return;
    }
    await deleteScratchClaimNamed(clients, this.#service.namespace, name);
  }

  /** Where a pod of this claim would go now (for tests and `doctor`). */
  async placement(volume: string) {
    return placeClaimPod(await this.#clients(), this.#service.namespace, volume);
  }
}
