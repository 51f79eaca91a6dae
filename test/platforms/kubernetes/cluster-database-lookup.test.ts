/**
 * Which pod a cluster database is dumped in (database-target.ts), against the fake API server
 * with its controllers off, so that each pod's state is exactly as written: only pods the
 * workload controls, Running, not being deleted, with the database container running; Ready
 * ones first, then by name; none → one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabasePods } from '../../../src/backup/sources/build.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { isUserError } from '../../../src/core/errors.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type JsonObject,
} from '../../fakes/kubernetes/index.ts';

const pods = resourceByName('pods');
const statefulSets = resourceByName('statefulsets');

const service: ServiceDefinition = {
  name: 'site',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 3 },
  health: { minRunning: 1, timeoutSeconds: 60 },
  volumes: [],
  databases: [
    {
      name: 'app',
      engine: 'postgres',
      container: '',
      database: 'app',
      user: 'postgres',
      cluster: { container: 'pg' },
    },
  ],
  kubernetes: { cluster: 'lab', namespace: 'lms', workload: { kind: 'StatefulSet', name: 'db' } },
};

let fake: FakeKubernetes;
let port: Platform & DatabasePods;
let owner: { uid: string };

interface PodState {
  readonly phase: string;
  readonly ready: boolean;
  /** The `pg` container's state. */
  readonly pg: 'running' | 'waiting';
  /** Controlled by the StatefulSet (else a pod with its labels, made by hand). */
  readonly owned?: boolean;
}

function put(name: string, state: PodState): void {
  if (fake.store.get(pods, 'lms', name) !== undefined) fake.store.delete(pods, 'lms', name);
  fake.store.create(pods, 'lms', {
    metadata: {
      name,
      labels: { app: 'db' },
      ...(state.owned === false
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'StatefulSet',
                name: 'db',
                uid: owner.uid,
                controller: true,
              },
            ],
          }),
    },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'pg', image: 'postgres:15' },
      ],
    },
  });
  const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
  fake.store.mutate(
    pods,
    'lms',
    name,
    (p: JsonObject) => {
      p['status'] = {
        phase: state.phase,
        conditions: [{ type: 'Ready', status: state.ready ? 'True' : 'False' }],
        containerStatuses: [
          { name: 'app', ready: state.ready, state: running },
          {
            name: 'pg',
            ready: state.ready,
            state: state.pg === 'running' ? running : { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      };
    },
    { status: true },
  );
}

async function target(): Promise<string> {
  return port.databaseTarget(service, 'app');
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'], controllers: false });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const ports = new ClusterPorts(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]),
  );
  const platform = ports.for(service);
  if (!('databaseTarget' in platform)) throw new Error('the cluster port finds no database pods');
  port = platform as Platform & DatabasePods;
  const sts = fake.store.create(statefulSets, 'lms', {
    metadata: { name: 'db' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'app', image: 'app:1' }] },
      },
    },
  });
  owner = { uid: (sts['metadata'] as { uid: string }).uid };
});

afterAll(async () => {
  await fake?.close();
});

describe('the pod of a cluster database', () => {
  it('takes a Ready pod before one that is not, whatever their names', async () => {
    put('db-0', { phase: 'Running', ready: false, pg: 'running' });
    put('db-1', { phase: 'Running', ready: true, pg: 'running' });
    put('db-2', { phase: 'Running', ready: true, pg: 'running' });
    expect(await target()).toBe('lms/db-1/pg');
    // With no Ready pod left: the first running one by name.
    put('db-1', { phase: 'Running', ready: false, pg: 'running' });
    put('db-2', { phase: 'Running', ready: false, pg: 'running' });
    expect(await target()).toBe('lms/db-0/pg');
  });

  it('skips a pod whose database container does not run, one not Running, one it does not control', async () => {
    put('db-0', { phase: 'Running', ready: true, pg: 'waiting' });
    put('db-1', { phase: 'Pending', ready: false, pg: 'waiting' });
    put('db-2', { phase: 'Running', ready: true, pg: 'running', owned: false });
    put('db-3', { phase: 'Running', ready: false, pg: 'running' });
    expect(await target()).toBe('lms/db-3/pg');
  });

  it('none usable: one line naming the workload', async () => {
    fake.store.delete(pods, 'lms', 'db-3');
    let message = '';
    try {
      await target();
    } catch (error) {
      if (!isUserError(error)) throw error;
      expect(error.code).toBe('kubernetes-database-no-pod');
      message = error.text('en');
    }
    expect(message).toBe(
      'Database app of site: StatefulSet/db (namespace lms) has no running pod with the database container running; nothing was done.',
    );
  });
});
