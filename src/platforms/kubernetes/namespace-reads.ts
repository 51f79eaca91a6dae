/**
 * What `status` reads, asked once per namespace instead of once per service. `status` asks the
 * platform for every service at once; one service alone still costs a get of its workload and
 * a list of its pods, but twenty services of one namespace cost forty calls where
 * `kubectl get deploy,pods` makes two (`npm run bench:kubernetes`). So the reads started in
 * the same turn of the event loop for one cluster and namespace are gathered: with two or more
 * of them, the namespace's workloads of the kinds asked for and its pods are listed once and
 * each service takes its own, matched the way the API server matches
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors :
 * matchLabels and matchExpressions, all ANDed). When a list fails (a Role that grants `get`
 * but not `list`, say), each service is read on its own as before, so the answer and its
 * errors stay what they were.
 */
import type { KubernetesServiceDefinition, WorkloadKind } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { KubeClients } from './client.ts';
import type { Deployment, LabelSelector, Pod, StatefulSet } from './objects.ts';
import type { Workload } from './status-map.ts';
import {
  actionFor,
  call,
  findWorkload,
  listPods,
  resourceOf,
  selectorString,
  toWire,
} from './workload-api.ts';

export interface ServiceReads {
  readonly workload: Workload | undefined;
  readonly pods: readonly Pod[];
}

interface Waiting {
  readonly service: KubernetesServiceDefinition;
  readonly resolve: (reads: ServiceReads) => void;
  readonly reject: (error: unknown) => void;
}

/** Whether `labels` satisfy `selector`; an absent or empty selector matches everything. */
export function matchesSelector(
  labels: Readonly<Record<string, string>> | undefined,
  selector: LabelSelector | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const e of selector?.matchExpressions ?? []) {
    const value = have[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? value !== undefined && values.includes(value)
        : e.operator === 'NotIn'
          ? value === undefined || !values.includes(value)
          : e.operator === 'Exists'
            ? value !== undefined
            : e.operator === 'DoesNotExist'
              ? value === undefined
              : // An operator the API server would have refused: match nothing.
                false;
    if (!ok) return false;
  }
  return true;
}

/** One service's reads on its own: its workload, then the pods its selector picks. */
async function readOne(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<ServiceReads> {
  const workload = await findWorkload(clients, service);
  const pods =
    workload === undefined ? [] : await listPods(clients, service, workload.object.spec.selector);
  return { workload, pods };
}

type WorkloadObject = Deployment | StatefulSet;

async function listWorkloads(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  kind: WorkloadKind,
): Promise<WorkloadObject[]> {
  const namespace = service.namespace;
  const list = (await call(actionFor(service, 'list', resourceOf[kind]), (): Promise<unknown> =>
    kind === 'Deployment'
      ? clients.apps.listNamespacedDeployment({ namespace })
      : clients.apps.listNamespacedStatefulSet({ namespace }),
  )) as { items: unknown[] };
  return toWire(list.items) as WorkloadObject[];
}

/** The service's workload among the namespace's, as findWorkload would have found it. */
function pick(
  service: KubernetesServiceDefinition,
  objects: readonly WorkloadObject[],
): Workload | undefined {
  const { kind } = service.workload;
  // The list was of this kind: its items are objects of this kind.
  const wrap = (object: WorkloadObject): Workload =>
    kind === 'Deployment' ? { kind, object } : { kind, object };
  if ('name' in service.workload) {
    const name = service.workload.name;
    const found = objects.find((o) => o.metadata.name === name);
    return found === undefined ? undefined : wrap(found);
  }
  const selector = { matchLabels: service.workload.selector };
  const matching = objects.filter((o) => matchesSelector(o.metadata.labels, selector));
  if (matching.length > 1) {
    throw new UserError('kubernetes-selector-ambiguous', {
      service: service.name,
      kind,
      namespace: service.namespace,
      selector: selectorString(selector),
      names: matching.map((o) => o.metadata.name ?? '').join(', '),
    });
  }
  const only = matching[0];
  return only === undefined ? undefined : wrap(only);
}

export class NamespaceReads {
  private readonly pending = new Map<string, { clients: KubeClients; waiting: Waiting[] }>();

  /** The service's workload and pods, gathered with the other reads of this turn. */
  read(clients: KubeClients, service: KubernetesServiceDefinition): Promise<ServiceReads> {
    const key = `${service.cluster}\u0000${service.namespace}`;
    return new Promise((resolve, reject) => {
      let group = this.pending.get(key);
      if (group === undefined) {
        const gathered = { clients, waiting: [] as Waiting[] };
        this.pending.set(key, gathered);
        // After the calls of this turn: every service `status` asked for at once is here.
        setImmediate(() => {
          this.pending.delete(key);
          void this.settle(gathered.clients, gathered.waiting);
        });
        group = gathered;
      }
      group.waiting.push({ service, resolve, reject });
    });
  }

  private async settle(clients: KubeClients, waiting: readonly Waiting[]): Promise<void> {
    const first = waiting[0];
    if (first === undefined) return;
    if (waiting.length === 1) {
      await readOne(clients, first.service).then(first.resolve, first.reject);
      return;
    }
    let lists: { workloads: Map<WorkloadKind, WorkloadObject[]>; pods: Pod[] } | undefined;
    try {
      const kinds = [...new Set(waiting.map((w) => w.service.workload.kind))];
      const [pods, ...perKind] = await Promise.all([
        call(actionFor(first.service, 'list', 'pods', ''), () =>
          clients.core.listNamespacedPod({ namespace: first.service.namespace }),
        ).then((list) => toWire(list.items) as Pod[]),
        ...kinds.map((kind) => listWorkloads(clients, first.service, kind)),
      ]);
      lists = {
        pods,
        workloads: new Map(kinds.map((kind, i) => [kind, perKind[i] ?? []])),
      };
    } catch {
      // Each on its own, with the errors each would have had.
      await Promise.all(waiting.map((w) => readOne(clients, w.service).then(w.resolve, w.reject)));
      return;
    }
    for (const w of waiting) {
      try {
        const workload = pick(w.service, lists.workloads.get(w.service.workload.kind) ?? []);
        const selector = workload?.object.spec.selector;
        const pods =
          workload === undefined
            ? []
            : lists.pods.filter((p) => matchesSelector(p.metadata.labels, selector));
        w.resolve({ workload, pods });
      } catch (error) {
        w.reject(error);
      }
    }
  }
}
