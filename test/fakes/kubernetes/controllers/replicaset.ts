/**
 * The ReplicaSet controller (https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/ ,
 * pkg/controller/replicaset/replica_set.go): keeps spec.replicas pods that it controls,
 * creating them from the template (generateName "<rs>-") and deleting the least useful first
 * (not scheduled, then not ready, then the newest), and writes status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration).
 */
import type { Clock } from '../clock.ts';
import { at, child, clone, isObject, num, str, type JsonObject } from '../json.ts';
import { resourceByName } from '../resources.ts';
import { labelsOf, selectorMatcher } from '../selectors.ts';
import type { ObjectStore } from '../store.ts';
import {
  isControlledBy,
  isPodAvailable,
  isPodReady,
  nameOf,
  namespaceOf,
  ownerReference,
  recordEvent,
} from './common.ts';

const pods = resourceByName('pods');
const replicasets = resourceByName('replicasets');

export function podsOf(store: ObjectStore, owner: JsonObject): JsonObject[] {
  const matches = selectorMatcher(at(owner, 'spec', 'selector'));
  return store
    .list(pods, namespaceOf(owner))
    .filter((p) => isControlledBy(p, owner) && matches(labelsOf(p)));
}

function deletionRank(p: JsonObject): number {
  if (at(p, 'spec', 'nodeName') === undefined) return 0;
  if (at(p, 'status', 'phase') === 'Pending') return 1;
  if (!isPodReady(p)) return 2;
  return 3;
}

/** Syncs one ReplicaSet; returns the time (clock ms) it wants to look again, if any. */
export function syncReplicaSet(
  store: ObjectStore,
  clock: Clock,
  rs: JsonObject,
): number | undefined {
  const want = num(at(rs, 'spec', 'replicas')) ?? 1;
  let mine = podsOf(store, rs);
  const ns = namespaceOf(rs);
  if (mine.length < want) {
    const template = at(rs, 'spec', 'template');
    for (let i = mine.length; i < want; i += 1) {
      const meta =
        isObject(template) && isObject(template.metadata) ? clone(template.metadata) : {};
      meta.generateName = `${nameOf(rs)}-`;
      meta.namespace = ns;
      meta.ownerReferences = [ownerReference(rs)];
      delete meta.name;
      const spec = isObject(template) && isObject(template.spec) ? clone(template.spec) : {};
      const pod = store.create(pods, ns, { metadata: meta, spec });
      recordEvent(
        store,
        clock,
        rs,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${nameOf(pod)}`,
        'replicaset-controller',
      );
    }
  } else if (mine.length > want) {
    const order = [...mine].sort((a, b) => {
      const rank = deletionRank(a) - deletionRank(b);
      if (rank !== 0) return rank;
      const ta = str(at(a, 'metadata', 'creationTimestamp')) ?? '';
      const tb = str(at(b, 'metadata', 'creationTimestamp')) ?? '';
      return ta < tb ? 1 : ta > tb ? -1 : 0;
    });
    for (const p of order.slice(0, mine.length - want)) {
      store.delete(pods, ns, nameOf(p));
      recordEvent(
        store,
        clock,
        rs,
        'Normal',
        'SuccessfulDelete',
        `Deleted pod: ${nameOf(p)}`,
        'replicaset-controller',
      );
    }
  }
  mine = podsOf(store, rs);
  const minReady = num(at(rs, 'spec', 'minReadySeconds')) ?? 0;
  const now = clock.now();
  const ready = mine.filter(isPodReady);
  const available = mine.filter((p) => isPodAvailable(p, minReady, now));
  store.mutate(
    replicasets,
    ns,
    nameOf(rs),
    (o) => {
      const status = child(o, 'status');
      status.replicas = mine.length;
      status.fullyLabeledReplicas = mine.length;
      status.readyReplicas = ready.length;
      status.availableReplicas = available.length;
      status.observedGeneration = num(at(o, 'metadata', 'generation')) ?? 1;
      for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas'] as const) {
        if (status[k] === 0) Reflect.deleteProperty(status, k);
      }
    },
    { status: true },
  );
  return ready.length > available.length ? now + 1000 : undefined;
}
