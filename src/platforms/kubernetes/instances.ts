/**
 * Provisioned instances on one cluster, in the namespace the configuration names for them
 * (`provision.cluster` / `provision.namespace`): the four provisioning verbs of the Platform
 * port, each on the cluster's clients (provision.ts, deprovision.ts).
 */
import type {
  ContainerReport,
  DeprovisionPlan,
  ProvisionPlan,
  StepReporter,
  WorkloadSpec,
} from '../../core/platform.ts';
import type { ClusterClients } from './client.ts';
import { applyDeprovision, planDeprovision } from './deprovision.ts';
import type { Placement } from './provision-api.ts';
import { applyProvision, planProvision } from './provision.ts';

export class ClusterInstances {
  private readonly clusters: ClusterClients;
  readonly place: Placement;

  constructor(clusters: ClusterClients, place: Placement) {
    this.clusters = clusters;
    this.place = place;
  }

  async planProvision(spec: WorkloadSpec): Promise<ProvisionPlan> {
    return planProvision(await this.clusters.get(this.place.cluster), this.place, spec);
  }

  async provision(
    spec: WorkloadSpec,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(this.place.cluster);
    return applyProvision(clients, this.place, spec, onStep, signal);
  }

  async planDeprovision(instance: string, deleteData: boolean): Promise<DeprovisionPlan> {
    const clients = await this.clusters.get(this.place.cluster);
    return planDeprovision(clients, this.place, instance, deleteData);
  }

  async deprovision(
    plan: DeprovisionPlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(this.place.cluster);
    return applyDeprovision(clients, this.place, plan, onStep, signal);
  }
}
