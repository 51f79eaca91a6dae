/**
 * The StatefulSet controller (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ ,
 * pkg/controller/statefulset: stateful_set_control.go, stateful_set_utils.go): a
 * ControllerRevision per pod template ("<sts>-<hash>", data = the template as a strategic
 * merge patch with `$patch: replace`, revision numbers rising; an old template that comes back
 * gets the next number), pods "<sts>-<ordinal>" labelled controller-revision-hash, created in
 * order and each only once the one before is Ready (OrderedReady), removed from the highest
 * ordinal, a rolling update that replaces one pod at a time from the highest ordinal down to
 * the partition, and status with currentRevision/updateRevision.
 */
import type { Clock } from '../clock.ts';
import {
  at,
  child,
  clone,
  isObject,
  jsonEqual,
  num,
  str,
  stringMap,
  type Json,
  type JsonObject,
} from '../json.ts';
import { resourceByName } from '../resources.ts';
import type { ObjectStore } from '../store.ts';
import {
  isControlledBy,
  isPodAvailable,
  isPodReady,
  nameOf,
  namespaceOf,
  ownerReference,
  recordEvent,
  templateHash,
} from './common.ts';
import { podsOf } from './replicaset.ts';

const pods = resourceByName('pods');
const revisions = resourceByName('controllerrevisions');
const statefulsets = resourceByName('statefulsets');
const REVISION_LABEL = 'controller-revision-hash';

function revisionTemplate(rev: JsonObject): Json | undefined {
  const t = at(rev, 'data', 'spec', 'template');
  if (!isObject(t)) return undefined;
  const rest = { ...t };
  Reflect.deleteProperty(rest, '$patch');
  return rest;
}

function ordinalOf(pod: JsonObject, setName: string): number {
  const m = new RegExp(`^${setName.replace(/[.]/g, '\\.')}-(\\d+)$`).exec(nameOf(pod));
  return m === null ? -1 : Number(m[1]);
}

export function syncStatefulSet(store: ObjectStore, clock: Clock, sts: JsonObject): void {
  const ns = namespaceOf(sts);
  const name = nameOf(sts);
  const replicas = num(at(sts, 'spec', 'replicas')) ?? 1;
  const template = at(sts, 'spec', 'template');
  let revs = store.list(revisions, ns).filter((r) => isControlledBy(r, sts));
  const maxRevision = revs.reduce((m, r) => Math.max(m, num(r.revision) ?? 0), 0);
  let update = revs.find((r) => jsonEqual(revisionTemplate(r), template));
  if (update === undefined) {
    const hash = templateHash(template);
    const data: JsonObject = {
      spec: { template: { $patch: 'replace', ...(isObject(template) ? clone(template) : {}) } },
    };
    update = store.create(revisions, ns, {
      metadata: {
        name: `${name}-${hash}`,
        labels: {
          ...stringMap(at(template, 'metadata', 'labels')),
          'controller.kubernetes.io/hash': hash,
        },
        ownerReferences: [ownerReference(sts)],
      },
      data,
      revision: maxRevision + 1,
    });
    revs = [...revs, update];
  } else if ((num(update.revision) ?? 0) < maxRevision && revs.length > 1) {
    const updateName = nameOf(update);
    update =
      store.mutate(revisions, ns, updateName, (r) => {
        r.revision = maxRevision + 1;
      }) ?? update;
  }
  const updateRevision = nameOf(update);
  const previousStatus = isObject(sts.status) ? sts.status : {};
  let currentRevision = str(previousStatus.currentRevision) ?? updateRevision;
  if (!revs.some((r) => nameOf(r) === currentRevision)) currentRevision = updateRevision;
  const partition = num(at(sts, 'spec', 'updateStrategy', 'rollingUpdate', 'partition')) ?? 0;
  const serviceName = str(at(sts, 'spec', 'serviceName'));

  const makePod = (ordinal: number): void => {
    const revName = ordinal < partition ? currentRevision : updateRevision;
    const rev = revs.find((r) => nameOf(r) === revName) ?? update;
    const t = revisionTemplate(rev);
    const meta = isObject(t) && isObject(t.metadata) ? clone(t.metadata) : {};
    const podName = `${name}-${ordinal}`;
    meta.name = podName;
    meta.namespace = ns;
    meta.labels = {
      ...stringMap(meta.labels),
      [REVISION_LABEL]: revName,
      'statefulset.kubernetes.io/pod-name': podName,
      'apps.kubernetes.io/pod-index': String(ordinal),
    };
    meta.ownerReferences = [ownerReference(sts)];
    const spec = isObject(t) && isObject(t.spec) ? clone(t.spec) : {};
    spec.hostname = podName;
    if (serviceName !== undefined) spec.subdomain = serviceName;
    store.create(pods, ns, { metadata: meta, spec });
    recordEvent(
      store,
      clock,
      sts,
      'Normal',
      'SuccessfulCreate',
      `create Pod ${podName} in StatefulSet ${name} successful`,
      'statefulset-controller',
    );
  };
  const remove = (pod: JsonObject): void => {
    store.delete(pods, ns, nameOf(pod));
    recordEvent(
      store,
      clock,
      sts,
      'Normal',
      'SuccessfulDelete',
      `delete Pod ${nameOf(pod)} in StatefulSet ${name} successful`,
      'statefulset-controller',
    );
  };

  const parallel = at(sts, 'spec', 'podManagementPolicy') === 'Parallel';
  const byOrdinal = (): Map<number, JsonObject> =>
    new Map(podsOf(store, sts).map((p) => [ordinalOf(p, name), p]));
  let current = byOrdinal();
  step: {
    for (let i = 0; i < replicas; i += 1) {
      const pod = current.get(i);
      if (pod === undefined) {
        makePod(i);
        if (!parallel) break step;
        continue;
      }
      if (!parallel && !isPodReady(pod)) break step;
    }
    const extra = [...current.entries()]
      .filter(([i]) => i >= replicas || i < 0)
      .sort(([a], [b]) => b - a);
    const first = extra[0];
    if (first !== undefined) {
      remove(first[1]);
      break step;
    }
    if (at(sts, 'spec', 'updateStrategy', 'type') !== 'RollingUpdate') break step;
    for (let i = replicas - 1; i >= partition; i -= 1) {
      const pod = current.get(i);
      if (pod === undefined) break;
      if (at(pod, 'metadata', 'labels', REVISION_LABEL) !== updateRevision) {
        remove(pod);
        break step;
      }
      if (!isPodReady(pod)) break step;
    }
  }

  current = byOrdinal();
  const all = [...current.values()];
  const minReady = num(at(sts, 'spec', 'minReadySeconds')) ?? 0;
  const now = clock.now();
  const ready = all.filter(isPodReady).length;
  const updated = all.filter(
    (p) => at(p, 'metadata', 'labels', REVISION_LABEL) === updateRevision,
  ).length;
  const currentCount = all.filter(
    (p) => at(p, 'metadata', 'labels', REVISION_LABEL) === currentRevision,
  ).length;
  let curRev = currentRevision;
  let curCount = currentCount;
  if (updated === replicas && all.length === replicas && ready === replicas) {
    curRev = updateRevision;
    curCount = updated;
  }
  store.mutate(
    statefulsets,
    ns,
    name,
    (o) => {
      const status = child(o, 'status');
      status.observedGeneration = num(at(o, 'metadata', 'generation')) ?? 1;
      status.replicas = all.length;
      status.readyReplicas = ready;
      status.currentReplicas = curCount;
      status.updatedReplicas = updated;
      status.availableReplicas = all.filter((p) => isPodAvailable(p, minReady, now)).length;
      status.currentRevision = curRev;
      status.updateRevision = updateRevision;
      status.collisionCount = 0;
      for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas'] as const)
        if (status[k] === 0) Reflect.deleteProperty(status, k);
    },
    { status: true },
  );

  const limit = num(at(sts, 'spec', 'revisionHistoryLimit')) ?? 10;
  const live = new Set([
    curRev,
    updateRevision,
    ...all.map((p) => str(at(p, 'metadata', 'labels', REVISION_LABEL)) ?? ''),
  ]);
  const history = revs
    .filter((r) => !live.has(nameOf(r)))
    .sort((a, b) => (num(a.revision) ?? 0) - (num(b.revision) ?? 0));
  for (const r of history.slice(0, Math.max(0, history.length - limit)))
    store.delete(revisions, ns, nameOf(r));
}
