/**
 * The controllers' rules, on a manual clock: the Deployment controller
 * (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/ : ReplicaSets with
 * pod-template-hash, revisions, rolling update within maxSurge/maxUnavailable, conditions,
 * progress deadline, revisionHistoryLimit) and the StatefulSet controller
 * (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ : ordered pods,
 * ControllerRevisions, rolling update from the highest ordinal, current/update revision).
 */
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import {
  InMemoryKubelet,
  ManualClock,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from './index.ts';
import { at, isObject, list, str, type Json, type JsonObject } from './json.ts';
import { deployment } from './test-client.ts';

const deployments = resourceByName('deployments');
const replicasets = resourceByName('replicasets');
const pods = resourceByName('pods');
const statefulsets = resourceByName('statefulsets');
const revisions = resourceByName('controllerrevisions');

let fake: FakeKubernetes | undefined;
let clock: ManualClock;
afterEach(async () => {
  expect(fake?.controllerErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function start(startDelayMs: number): Promise<FakeKubernetes> {
  clock = new ManualClock();
  fake = await startFakeKubernetes({ clock, kubelet: new InMemoryKubelet({ startDelayMs }) });
  return fake;
}

/** Lets the controllers run until the store stops changing (the clock does not move). */
async function settle(f: FakeKubernetes): Promise<void> {
  for (let rounds = 0; rounds < 500; rounds += 1) {
    const before = f.store.resourceVersion;
    for (let i = 0; i < 3; i += 1) await turn();
    clock.advance(0);
    await turn();
    if (f.store.resourceVersion === before) return;
  }
  throw new Error('the controllers never settled');
}

const condition = (o: JsonObject, type: string): Json | undefined =>
  list(at(o, 'status', 'conditions')).find((c) => isObject(c) && c.type === type);

function setImage(f: FakeKubernetes, name: string, image: string): void {
  f.store.mutate(deployments, 'default', name, (d) => {
    const c = list(at(d, 'spec', 'template', 'spec', 'containers'))[0];
    if (isObject(c)) c.image = image;
  });
}

it('a Deployment gets a ReplicaSet with pod-template-hash and revision 1, then a complete status', async () => {
  const f = await start(0);
  f.store.create(deployments, 'default', deployment('web') as JsonObject);
  await settle(f);
  const [rs, ...more] = f.store.list(replicasets, 'default');
  expect(more).toEqual([]);
  if (rs === undefined) throw new Error('no ReplicaSet');
  const hash = str(at(rs, 'metadata', 'labels', 'pod-template-hash')) ?? '';
  expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  expect(at(rs, 'metadata', 'name')).toBe(`web-${hash}`);
  expect(at(rs, 'spec', 'selector', 'matchLabels', 'pod-template-hash')).toBe(hash);
  expect(at(rs, 'spec', 'template', 'metadata', 'labels', 'pod-template-hash')).toBe(hash);
  expect(at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('1');
  expect(
    f.store
      .list(pods, 'default')
      .every((p) => at(p, 'metadata', 'labels', 'pod-template-hash') === hash),
  ).toBe(true);
  const d = f.store.mustGet(deployments, 'default', 'web');
  expect(d.status).toMatchObject({
    observedGeneration: 1,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
  });
  expect(condition(d, 'Available')).toMatchObject({
    status: 'True',
    reason: 'MinimumReplicasAvailable',
  });
  expect(condition(d, 'Progressing')).toMatchObject({
    status: 'True',
    reason: 'NewReplicaSetAvailable',
  });
});

it('a rolling update stays within maxSurge and maxUnavailable and keeps the old ReplicaSet at 0', async () => {
  const f = await start(1000);
  const body = deployment('web', 'registry.test/app:1', 4) as JsonObject;
  const spec = body.spec as JsonObject;
  spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
  f.store.create(deployments, 'default', body);
  for (let i = 0; i < 10; i += 1) {
    await settle(f);
    clock.advance(1000);
  }
  await settle(f);
  let worst = { total: 0, ready: Number.POSITIVE_INFINITY };
  const unsubscribe = f.store.subscribe((e) => {
    if (e.resource.kind !== 'Pod') return;
    const all = f.store.list(pods, 'default');
    const ready = all.filter((p) =>
      list(at(p, 'status', 'conditions')).some(
        (c) => isObject(c) && c.type === 'Ready' && c.status === 'True',
      ),
    );
    worst = {
      total: Math.max(worst.total, all.length),
      ready: Math.min(worst.ready, ready.length),
    };
  });
  setImage(f, 'web', 'registry.test/app:2');
  for (let i = 0; i < 20; i += 1) {
    await settle(f);
    clock.advance(1000);
  }
  await settle(f);
  unsubscribe();
  expect(worst.total).toBeLessThanOrEqual(5);
  expect(worst.ready).toBeGreaterThanOrEqual(3);
  const sets = f.store.list(replicasets, 'default');
  expect(
    sets
      .map((rs) => [
        at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision'),
        at(rs, 'spec', 'replicas'),
      ])
      .sort(),
  ).toEqual([
    ['1', 0],
    ['2', 4],
  ]);
  const d = f.store.mustGet(deployments, 'default', 'web');
  expect(at(d, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('2');
  expect(d.status).toMatchObject({
    observedGeneration: 2,
    updatedReplicas: 4,
    availableReplicas: 4,
  });
});

it('a broken image reaches ProgressDeadlineExceeded only after progressDeadlineSeconds, the old pods still serving', async () => {
  const f = await start(0);
  const body = deployment('web') as JsonObject;
  (body.spec as JsonObject).progressDeadlineSeconds = 60;
  f.store.create(deployments, 'default', body);
  await settle(f);
  setImage(f, 'web', 'registry.test/broken:2');
  await settle(f);
  clock.advance(30_000);
  await settle(f);
  const early = f.store.mustGet(deployments, 'default', 'web');
  expect(condition(early, 'Progressing')).toMatchObject({
    status: 'True',
    reason: 'ReplicaSetUpdated',
  });
  clock.advance(32_000);
  await settle(f);
  const late = f.store.mustGet(deployments, 'default', 'web');
  const newRs = f.store
    .list(replicasets, 'default')
    .find((rs) => at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision') === '2');
  expect(condition(late, 'Progressing')).toMatchObject({
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
    message: `ReplicaSet "${str(at(newRs, 'metadata', 'name')) ?? ''}" has timed out progressing.`,
  });
  expect(late.status).toMatchObject({ updatedReplicas: 1, availableReplicas: 3 });
  const broken = f.store
    .list(pods, 'default')
    .filter(
      (p) =>
        at(p, 'metadata', 'labels', 'pod-template-hash') ===
        at(newRs, 'metadata', 'labels', 'pod-template-hash'),
    );
  expect(
    broken.map((p) =>
      at(list(at(p, 'status', 'containerStatuses'))[0], 'state', 'waiting', 'reason'),
    ),
  ).toEqual(['ImagePullBackOff']);
});

it('revisionHistoryLimit bounds the old ReplicaSets kept', async () => {
  const f = await start(0);
  const body = deployment('web', 'registry.test/app:1', 1) as JsonObject;
  (body.spec as JsonObject).revisionHistoryLimit = 1;
  f.store.create(deployments, 'default', body);
  await settle(f);
  for (const tag of ['2', '3', '4']) {
    setImage(f, 'web', `registry.test/app:${tag}`);
    await settle(f);
  }
  const revisionsKept = f.store
    .list(replicasets, 'default')
    .map((rs) => at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision'))
    .sort();
  expect(revisionsKept).toEqual(['3', '4']);
});

function statefulSet(name: string, image: string, replicas: number): JsonObject {
  return {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'db', image }] },
      },
    },
  };
}

it('a StatefulSet creates pods in order, each after the one before is Ready, and rolls from the highest ordinal', async () => {
  const f = await start(1000);
  f.store.create(statefulsets, 'default', statefulSet('db', 'registry.test/db:1', 3));
  await settle(f);
  const podNames = (): string[] =>
    f.store.list(pods, 'default').map((p) => str(at(p, 'metadata', 'name')) ?? '');
  expect(podNames()).toEqual(['db-0']);
  clock.advance(1000);
  await settle(f);
  expect(podNames()).toEqual(['db-0', 'db-1']);
  for (let i = 0; i < 3; i += 1) {
    clock.advance(1000);
    await settle(f);
  }
  expect(podNames()).toEqual(['db-0', 'db-1', 'db-2']);
  const first = f.store.mustGet(statefulsets, 'default', 'db');
  expect(at(first, 'status', 'currentRevision')).toBe(at(first, 'status', 'updateRevision'));
  expect(first.status).toMatchObject({ replicas: 3, readyReplicas: 3 });
  const deleted: string[] = [];
  f.store.subscribe((e) => {
    if (e.type === 'DELETED' && e.resource.kind === 'Pod')
      deleted.push(str(at(e.object, 'metadata', 'name')) ?? '');
  });
  f.store.mutate(statefulsets, 'default', 'db', (s) => {
    const c = list(at(s, 'spec', 'template', 'spec', 'containers'))[0];
    if (isObject(c)) c.image = 'registry.test/db:2';
  });
  await settle(f);
  const rolling = f.store.mustGet(statefulsets, 'default', 'db');
  expect(at(rolling, 'status', 'updateRevision')).not.toBe(
    at(rolling, 'status', 'currentRevision'),
  );
  for (let i = 0; i < 8; i += 1) {
    clock.advance(1000);
    await settle(f);
  }
  expect(deleted).toEqual(['db-2', 'db-1', 'db-0']);
  const done = f.store.mustGet(statefulsets, 'default', 'db');
  expect(at(done, 'status', 'currentRevision')).toBe(at(done, 'status', 'updateRevision'));
  expect(done.status).toMatchObject({
    updatedReplicas: 3,
    readyReplicas: 3,
    currentReplicas: 3,
    observedGeneration: 2,
  });
  const revs = f.store
    .list(revisions, 'default')
    .map((r) => [str(at(r, 'metadata', 'name')), at(r, 'revision')]);
  expect(revs.map(([, n]) => n).sort()).toEqual([1, 2]);
  expect(revs.find(([, n]) => n === 2)?.[0]).toBe(at(done, 'status', 'updateRevision'));
});

it('a paused Deployment makes no new ReplicaSet; resumed, its progress deadline starts again', async () => {
  const f = await start(1000);
  const body = deployment('web') as JsonObject;
  (body.spec as JsonObject).progressDeadlineSeconds = 60;
  f.store.create(deployments, 'default', body);
  for (let i = 0; i < 3; i += 1) {
    await settle(f);
    clock.advance(1000);
  }
  await settle(f);
  const pause = (paused: boolean): void => {
    f.store.mutate(deployments, 'default', 'web', (d) => {
      (d.spec as JsonObject).paused = paused;
    });
  };
  pause(true);
  setImage(f, 'web', 'registry.test/app:2');
  await settle(f);
  expect(f.store.list(replicasets, 'default')).toHaveLength(1);
  expect(condition(f.store.mustGet(deployments, 'default', 'web'), 'Progressing')).toMatchObject({
    status: 'Unknown',
    reason: 'DeploymentPaused',
  });
  // Resumed: a new ReplicaSet whose pods never become ready; paused again mid-rollout for
  // longer than the deadline, then resumed: the deadline counts from the resume.
  pause(false);
  setImage(f, 'web', 'registry.test/unready:3');
  await settle(f);
  clock.advance(1000);
  await settle(f);
  pause(true);
  await settle(f);
  clock.advance(120_000);
  await settle(f);
  pause(false);
  await settle(f);
  expect(condition(f.store.mustGet(deployments, 'default', 'web'), 'Progressing')).toMatchObject({
    reason: 'DeploymentResumed',
  });
  clock.advance(61_000);
  await settle(f);
  expect(condition(f.store.mustGet(deployments, 'default', 'web'), 'Progressing')).toMatchObject({
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
  });
});
