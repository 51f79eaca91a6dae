/**
 * The backup verbs of the Platform port for one service on a cluster: its volumes are
 * PersistentVolumeClaims of its namespace, reached by claim pods (claim-site.ts); stop and
 * start scale its workload (service-power.ts); a drill's scratch volume is a scratch claim
 * like the one the snapshot came from (scratch-claim.ts). Volume names carry no namespace
 * (a snapshot's source tag is `volume:<claim>`), so these are bound to the service.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { Readable } from 'node:stream';
import type { StreamedOutput, VolumeFiles } from '../../core/platform.ts';
import type { KubeClients } from './client.ts';
import { placeClaimPod, readClaim, runAsOf, runAsWithFallback } from './claim-placement.ts';
import { claimPodLabel, type RunAs } from './claim-pod-spec.ts';
import { openClaimPod } from './claim-pod.ts';
import { claimSite, type ClaimAccessSettings } from './claim-site.ts';
import { readClaimTar, writeClaimTar, type OpenClaimPod } from './claim-tar.ts';
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
        const runAs = await this.#runAs(clients);
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

  /** What a claim pod runs as when the workload has no pod now (claim-site.ts). */
  async #runAs(clients: KubeClients): Promise<RunAs | undefined> {
    return runAsWithFallback(await templateRunAs(clients, this.#service), this.#settings.runAs);
  }

  /** Opens a claim pod of one claim for a tar stream (claim-tar.ts), after reading the claim. */
  async #tarPods(volume: string, purpose: 'backup' | 'restore'): Promise<OpenClaimPod> {
    const clients = await this.#clients();
    const namespace = this.#service.namespace;
    // A missing claim is told as one line before any pod is made.
    await readClaim(clients, namespace, volume);
    const runAs = await this.#runAs(clients);
    return (signal) =>
      openClaimPod(
        clients,
        this.#settings,
        { namespace, claim: volume, purpose, ...(runAs === undefined ? {} : { runAs }) },
        signal,
      );
  }

  /** A tar of the claim (an empty claim's backup: run-backup.ts, claim-tar.ts). */
  async readTar(volume: string, signal?: AbortSignal): Promise<StreamedOutput> {
    return readClaimTar(await this.#tarPods(volume, 'backup'), volume, signal);
  }

  /** Empties the claim and unpacks the tar into it (the restore of such a snapshot). */
  async writeTar(volume: string, input: Readable, signal?: AbortSignal): Promise<void> {
    let open: OpenClaimPod;
    try {
      open = await this.#tarPods(volume, 'restore');
    } catch (error) {
      // Nobody else reads the stream handed here.
      input.resume();
      throw error;
    }
    await writeClaimTar(open, volume, input, signal);
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
