import { describe, expect, it } from 'vitest';
import type { KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import type { Deployment, Pod } from '../../../src/platforms/kubernetes/objects.ts';
import { mapStatus } from '../../../src/platforms/kubernetes/status-map.ts';

const service: KubernetesServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  cluster: 'main',
  namespace: 'lms',
  workload: { kind: 'Deployment', name: 'moodle' },
  scale: { min: 1, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 60 },
};

const now = new Date('2026-12-06T12:00:00Z');

function deployment(replicas: number, ready: number): Deployment {
  return {
    metadata: { name: 'moodle', generation: 2 },
    spec: { replicas, template: {} },
    status: {
      observedGeneration: 2,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions: [
        {
          type: 'Available',
          status: ready >= replicas ? 'True' : 'False',
          reason: 'MinimumReplicasAvailable',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: 'ReplicaSet "moodle-5d9" has successfully progressed.',
        },
      ],
    },
  };
}

function pod(name: string, ready: boolean, extra: Partial<NonNullable<Pod['status']>> = {}): Pod {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2026-12-06T11:00:00Z' },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'moodle', image: 'registry.local/moodle:4.5.1' },
        { name: 'exporter', image: 'exporter:2' },
      ],
    },
    status: {
      phase: 'Running',
      startTime: '2026-12-06T11:00:05Z',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'moodle', ready, started: true, restartCount: 2 },
        { name: 'exporter', ready: true, started: true, restartCount: 1 },
      ],
      ...extra,
    },
  };
}

describe('status of a service on a cluster', () => {
  it('reports the workload, its conditions and each pod', () => {
    const status = mapStatus(
      service,
      { kind: 'Deployment', object: deployment(2, 2) },
      [pod('moodle-a', true), pod('moodle-b', true)],
      now,
    );
    expect(status.state).toBe('up');
    expect(status.workload).toEqual({
      kind: 'Deployment',
      name: 'moodle',
      replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
      rollout: { state: 'done', message: 'deployment "moodle" successfully rolled out' },
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: undefined,
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: 'ReplicaSet "moodle-5d9" has successfully progressed.',
        },
      ],
    });
    expect(status.pods[0]).toEqual({
      name: 'moodle-a',
      phase: 'Running',
      ready: true,
      restarts: 3,
      images: [
        { container: 'moodle', image: 'registry.local/moodle:4.5.1' },
        { container: 'exporter', image: 'exporter:2' },
      ],
      node: 'node-1',
      ageSeconds: 3600,
    });
    expect(status.containers[0]).toEqual({
      name: 'moodle-a',
      id: 'uid-moodle-a',
      state: 'running',
      health: 'healthy',
      image: 'registry.local/moodle',
      tag: '4.5.1',
      startedAt: new Date('2026-12-06T11:00:05Z'),
      restartCount: 3,
    });
  });

  it('is degraded when a pod is not ready, down when none is, missing without the workload', () => {
    const two = { kind: 'Deployment', object: deployment(2, 1) } as const;
    const degraded = mapStatus(service, two, [pod('a', true), pod('b', false)], now);
    expect(degraded.state).toBe('degraded');
    expect(degraded.containers[1]?.health).toBe('unhealthy');
    expect(mapStatus(service, two, [pod('a', false), pod('b', false)], now).state).toBe('down');
    // Scaled to 0: the workload is there, nothing runs.
    expect(
      mapStatus(service, { kind: 'Deployment', object: deployment(0, 0) }, [], now).state,
    ).toBe('down');
    expect(mapStatus(service, undefined, [], now)).toMatchObject({
      state: 'missing',
      workload: undefined,
      containers: [],
    });
  });

  it('is degraded below the wanted replicas even when every pod is ready', () => {
    const status = mapStatus(
      service,
      { kind: 'Deployment', object: deployment(3, 2) },
      [pod('a', true), pod('b', true)],
      now,
    );
    expect(status.state).toBe('degraded');
  });

  it('shows a crash loop as restarting and a pending pod as starting', () => {
    const crashing = pod('a', false, {
      containerStatuses: [
        {
          name: 'moodle',
          ready: false,
          started: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    });
    const pending: Pod = {
      metadata: { name: 'b' },
      spec: { containers: [{ name: 'moodle', image: 'moodle:1' }] },
      status: { phase: 'Pending' },
    };
    const status = mapStatus(
      service,
      { kind: 'Deployment', object: deployment(2, 0) },
      [crashing, pending],
      now,
    );
    expect(status.containers.map((c) => [c.state, c.health])).toEqual([
      ['restarting', 'unhealthy'],
      ['created', 'starting'],
    ]);
    const terminating: Pod = {
      ...pod('c', true),
      metadata: { name: 'c', deletionTimestamp: '2026-12-06T11:59:00Z' },
    };
    const withTerminating = mapStatus(
      service,
      { kind: 'Deployment', object: deployment(1, 1) },
      [terminating],
      now,
    );
    expect(withTerminating.pods[0]?.phase).toBe('Terminating');
    expect(withTerminating.containers[0]?.state).toBe('removing');
    expect(withTerminating.state).toBe('down');
  });
});
