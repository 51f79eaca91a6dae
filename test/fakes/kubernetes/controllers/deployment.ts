/**
 * The Deployment controller (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/ ,
 * pkg/controller/deployment: sync.go, rolling.go, recreate.go, progress.go, util/deployment_util.go):
 * a ReplicaSet per pod template named "<deployment>-<pod-template-hash>" with the
 * pod-template-hash label and the deployment.kubernetes.io/revision annotation (an old template
 * that comes back gets the next revision), rolling update bounded by maxSurge/maxUnavailable
 * (25% by default; surge rounds up, unavailable down), Recreate, cleanup beyond
 * revisionHistoryLimit, and status with observedGeneration and the Available and Progressing
 * conditions (NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable,
 * ProgressDeadlineExceeded after progressDeadlineSeconds without progress).
 */
import { rfc3339, type Clock } from '../clock.ts';
import {
  at,
  child,
  clone,
  isObject,
  jsonEqual,
  list,
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
  nameOf,
  namespaceOf,
  ownerReference,
  recordEvent,
  templateHash,
} from './common.ts';

const deployments = resourceByName('deployments');
const replicasets = resourceByName('replicasets');

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';
/** Annotations the controller does not copy from a Deployment to its ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
]);

/** intstr.GetScaledValueFromIntOrPercent. */
export function resolve(value: Json | undefined, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.endsWith('%')) {
    const exact = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  return 0;
}

const replicasOf = (o: JsonObject): number => num(at(o, 'spec', 'replicas')) ?? 0;
const revisionOf = (o: JsonObject): number =>
  Number(str(at(o, 'metadata', 'annotations', REVISION)) ?? '0') || 0;
const statusNum = (o: JsonObject, k: string): number => num(at(o, 'status', k)) ?? 0;

function withoutHash(template: Json | undefined): Json | undefined {
  if (!isObject(template)) return template;
  const t = clone(template);
  const labels = at(t, 'metadata', 'labels');
  if (isObject(labels)) Reflect.deleteProperty(labels, HASH);
  return t;
}

function setCondition(
  conditions: JsonObject[],
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  now: string,
  touch: boolean,
): JsonObject[] {
  const current = conditions.find((c) => c.type === type);
  if (current !== undefined && current.status === status && current.reason === reason && !touch)
    return conditions;
  const next: JsonObject = {
    type,
    status,
    lastUpdateTime: now,
    lastTransitionTime:
      current !== undefined && current.status === status
        ? (current.lastTransitionTime ?? now)
        : now,
    reason,
    message,
  };
  return [...conditions.filter((c) => c.type !== type), next];
}

export interface DeploymentSync {
  /** The clock time at which the deployment wants another look (its progress deadline). */
  readonly wakeAt: number | undefined;
}

export function syncDeployment(store: ObjectStore, clock: Clock, d: JsonObject): DeploymentSync {
  const ns = namespaceOf(d);
  const name = nameOf(d);
  const replicas = replicasOf(d);
  const template = at(d, 'spec', 'template');
  const owned = store.list(replicasets, ns).filter((rs) => isControlledBy(rs, d));
  let newRs = owned.find((rs) => jsonEqual(withoutHash(at(rs, 'spec', 'template')), template));
  const old = owned.filter((rs) => rs !== newRs);
  const maxOldRevision = old.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  const paused = at(d, 'spec', 'paused') === true;
  const strategy = at(d, 'spec', 'strategy');
  const rolling = str(at(strategy, 'type')) !== 'Recreate';
  const maxSurge = rolling ? resolve(at(strategy, 'rollingUpdate', 'maxSurge'), replicas, true) : 0;
  let maxUnavailable = rolling
    ? resolve(at(strategy, 'rollingUpdate', 'maxUnavailable'), replicas, false)
    : 0;
  if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const copied = Object.fromEntries(
    Object.entries(stringMap(at(d, 'metadata', 'annotations'))).filter(([k]) => !NOT_COPIED.has(k)),
  );
  let created = false;

  if (newRs === undefined && !paused) {
    const hash = templateHash(template);
    const t = isObject(template) ? clone(template) : {};
    child(child(t, 'metadata'), 'labels')[HASH] = hash;
    const selector = isObject(at(d, 'spec', 'selector'))
      ? clone(at(d, 'spec', 'selector') as JsonObject)
      : {};
    child(selector, 'matchLabels')[HASH] = hash;
    newRs = store.create(replicasets, ns, {
      metadata: {
        name: `${name}-${hash}`,
        labels: { ...stringMap(at(t, 'metadata', 'labels')) },
        annotations: {
          ...copied,
          [REVISION]: String(maxOldRevision + 1),
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
        },
        ownerReferences: [ownerReference(d)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: num(at(d, 'spec', 'minReadySeconds')) ?? 0,
        selector,
        template: t,
      },
    });
    created = true;
  } else if (newRs !== undefined && revisionOf(newRs) <= maxOldRevision) {
    const next = String(maxOldRevision + 1);
    newRs =
      store.mutate(replicasets, ns, nameOf(newRs), (rs) => {
        const a = child(child(rs, 'metadata'), 'annotations');
        Object.assign(a, copied);
        a[REVISION] = next;
      }) ?? newRs;
  }

  const scale = (rs: JsonObject, to: number): JsonObject => {
    const from = replicasOf(rs);
    if (from === to) return rs;
    const updated = store.mutate(replicasets, ns, nameOf(rs), (o) => {
      child(o, 'spec').replicas = to;
      const a = child(child(o, 'metadata'), 'annotations');
      a['deployment.kubernetes.io/desired-replicas'] = String(replicas);
      a['deployment.kubernetes.io/max-replicas'] = String(replicas + maxSurge);
    });
    recordEvent(
      store,
      clock,
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} replica set ${nameOf(rs)} from ${from} to ${to}`,
      'deployment-controller',
    );
    return updated ?? rs;
  };

  let olds = old.map((rs) => store.get(replicasets, ns, nameOf(rs)) ?? rs);
  if (newRs !== undefined && !paused) {
    const oldActive = olds.filter((rs) => replicasOf(rs) > 0);
    if (!rolling) {
      for (const rs of oldActive) scale(rs, 0);
      olds = olds.map((rs) => store.get(replicasets, ns, nameOf(rs)) ?? rs);
      if (olds.every((rs) => statusNum(rs, 'replicas') === 0)) newRs = scale(newRs, replicas);
    } else if (oldActive.length === 0) {
      newRs = scale(newRs, replicas);
    } else {
      const total = (): number =>
        [newRs, ...olds].reduce((s, rs) => s + (rs === undefined ? 0 : replicasOf(rs)), 0);
      const maxTotal = replicas + maxSurge;
      if (total() < maxTotal && replicasOf(newRs) < replicas) {
        newRs = scale(newRs, Math.min(replicas, replicasOf(newRs) + maxTotal - total()));
      }
      const minAvailable = replicas - maxUnavailable;
      const newUnavailable = replicasOf(newRs) - statusNum(newRs, 'availableReplicas');
      let budget = total() - minAvailable - newUnavailable;
      const oldest = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
      // First the old replicas that are not available anyway (cleanupUnhealthyReplicas).
      for (const rs of oldest) {
        if (budget <= 0) break;
        const unhealthy = replicasOf(rs) - statusNum(rs, 'availableReplicas');
        if (unhealthy <= 0) continue;
        const cut = Math.min(unhealthy, budget);
        scale(rs, replicasOf(rs) - cut);
        budget -= cut;
      }
      olds = olds.map((rs) => store.get(replicasets, ns, nameOf(rs)) ?? rs);
      const available = [newRs, ...olds].reduce(
        (s, rs) => s + statusNum(rs, 'availableReplicas'),
        0,
      );
      let healthyBudget = available - minAvailable;
      for (const rs of [...olds].sort((a, b) => revisionOf(a) - revisionOf(b))) {
        if (healthyBudget <= 0) break;
        const cut = Math.min(replicasOf(rs), healthyBudget);
        if (cut <= 0) continue;
        scale(rs, replicasOf(rs) - cut);
        healthyBudget -= cut;
      }
    }
  }

  olds = old
    .map((rs) => store.get(replicasets, ns, nameOf(rs)))
    .filter((rs): rs is JsonObject => rs !== undefined);
  const all = newRs === undefined ? olds : [newRs, ...olds];
  const sum = (k: string): number => all.reduce((s, rs) => s + statusNum(rs, k), 0);
  const previous = isObject(d.status) ? d.status : {};
  const generation = num(at(d, 'metadata', 'generation')) ?? 1;
  const status: JsonObject = {
    observedGeneration: generation,
    replicas: sum('replicas'),
    updatedReplicas: newRs === undefined ? 0 : statusNum(newRs, 'replicas'),
    readyReplicas: sum('readyReplicas'),
    availableReplicas: sum('availableReplicas'),
  };
  const unavailable = Math.max(0, replicas - sum('availableReplicas'));
  if (unavailable > 0) status.unavailableReplicas = unavailable;
  const now = clock.now();
  const nowText = rfc3339(now);
  let conditions = list(previous.conditions).filter(isObject);
  const n = (k: string, o: JsonObject): number => num(o[k]) ?? 0;
  conditions =
    n('availableReplicas', status) >= replicas - maxUnavailable
      ? setCondition(
          conditions,
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          nowText,
          false,
        )
      : setCondition(
          conditions,
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          nowText,
          false,
        );
  const rsName = newRs === undefined ? '' : nameOf(newRs);
  const deadline = num(at(d, 'spec', 'progressDeadlineSeconds'));
  let wakeAt: number | undefined;
  if (paused) {
    conditions = setCondition(
      conditions,
      'Progressing',
      'Unknown',
      'DeploymentPaused',
      'Deployment is paused',
      nowText,
      false,
    );
  } else if (deadline !== undefined) {
    // A resumed Deployment starts its deadline again (sync.go: DeploymentResumed).
    if (conditions.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused') {
      conditions = setCondition(
        conditions,
        'Progressing',
        'Unknown',
        'DeploymentResumed',
        'Deployment is resumed',
        nowText,
        true,
      );
    }
    if (created) {
      conditions = setCondition(
        conditions,
        'Progressing',
        'True',
        'NewReplicaSetCreated',
        `Created new replica set "${rsName}"`,
        nowText,
        true,
      );
    }
    const complete =
      n('updatedReplicas', status) === replicas &&
      n('replicas', status) === replicas &&
      n('availableReplicas', status) === replicas;
    const oldOld = n('replicas', previous) - n('updatedReplicas', previous);
    const newOld = n('replicas', status) - n('updatedReplicas', status);
    const progressing =
      n('updatedReplicas', status) > n('updatedReplicas', previous) ||
      newOld < oldOld ||
      n('readyReplicas', status) > n('readyReplicas', previous) ||
      n('availableReplicas', status) > n('availableReplicas', previous);
    const current = conditions.find((c) => c.type === 'Progressing');
    if (complete) {
      conditions = setCondition(
        conditions,
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "${rsName}" has successfully progressed.`,
        nowText,
        false,
      );
    } else if (progressing) {
      conditions = setCondition(
        conditions,
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `ReplicaSet "${rsName}" is progressing.`,
        nowText,
        true,
      );
    } else if (
      current !== undefined &&
      current.reason !== 'NewReplicaSetAvailable' &&
      current.reason !== 'ProgressDeadlineExceeded'
    ) {
      const from = Date.parse(str(current.lastUpdateTime) ?? '');
      if (!Number.isNaN(from) && from + deadline * 1000 < now) {
        conditions = setCondition(
          conditions,
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${rsName}" has timed out progressing.`,
          nowText,
          false,
        );
      } else if (!Number.isNaN(from)) {
        wakeAt = from + deadline * 1000 + 1000;
      }
    } else if (current === undefined && !complete) {
      conditions = setCondition(
        conditions,
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `ReplicaSet "${rsName}" is progressing.`,
        nowText,
        true,
      );
    }
  }
  status.conditions = conditions.sort((a, b) =>
    a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0,
  );
  for (const k of ['readyReplicas', 'availableReplicas', 'updatedReplicas', 'replicas'] as const) {
    if (status[k] === 0) Reflect.deleteProperty(status, k);
  }
  const revision =
    newRs === undefined ? undefined : str(at(newRs, 'metadata', 'annotations', REVISION));
  store.mutate(deployments, ns, name, (o) => {
    if (revision !== undefined) child(child(o, 'metadata'), 'annotations')[REVISION] = revision;
  });
  store.mutate(
    deployments,
    ns,
    name,
    (o) => {
      const keepTimes = list(at(o, 'status', 'conditions')).filter(isObject);
      // Conditions that did not change keep their stored times (no write when nothing moved).
      status.conditions = conditions.map((c) => keepTimes.find((k) => jsonEqual(k, c)) ?? c);
      o.status = status;
    },
    { status: true },
  );

  if (newRs !== undefined && at(d, 'spec', 'paused') !== true) cleanup(store, d, olds);
  return { wakeAt };
}

/** Deletes old ReplicaSets with no replicas beyond revisionHistoryLimit, oldest first. */
function cleanup(store: ObjectStore, d: JsonObject, olds: JsonObject[]): void {
  const limit = num(at(d, 'spec', 'revisionHistoryLimit')) ?? 10;
  const idle = olds
    .filter((rs) => replicasOf(rs) === 0 && statusNum(rs, 'replicas') === 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    store.delete(replicasets, namespaceOf(d), nameOf(rs));
  }
}
