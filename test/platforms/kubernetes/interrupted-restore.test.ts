/**
 * A restore on a cluster cut short after its stop (the workload scaled to 0, its replicas
 * kept in an annotation): the next start says so with the safety snapshot and the command
 * that starts it again, and `restart` scales the workload back to the replicas it had, where
 * a rollout restart of 0 replicas would start nothing. The fake API server with its
 * in-memory kubelet; the bot's death is the job recorded as interrupted after the stop.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftStates, type LeftStateDeps } from '../../../src/cli/interrupted-state.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import type { JobRecord } from '../../../src/core/jobs.ts';
import type { StepEvent } from '../../../src/core/platform.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { KubernetesPort } from '../../../src/platforms/kubernetes/port-adapter.ts';
import { replicasAnnotation } from '../../../src/platforms/kubernetes/service-power.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let port: KubernetesPort;

const moodle: ServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 60 },
  volumes: [],
  databases: [],
  kubernetes: {
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind: 'Deployment', name: 'moodle' },
  },
};

const started = new Date(Date.now() - 60_000);

function restoreJob(id: number): JobRecord {
  return {
    id,
    command: 'restore',
    text: 'restore moodle 1a2b3c4d',
    actor: 'local:root',
    room: 'terminal',
    service: 'moodle',
    lockKey: 'moodle',
    state: 'interrupted',
    progress: 0.5,
    progressText: undefined,
    createdAt: started,
    startedAt: started,
    finishedAt: undefined,
    result: undefined,
    cancelRequested: false,
    ownerPid: 1,
  };
}

function deps(recorded: ReturnType<NonNullable<LeftStateDeps['recorded']>>): LeftStateDeps {
  return {
    services: new Map([['moodle', moodle]]),
    platform: () => port,
    recorded: () => recorded,
  };
}

async function readDeployment(): Promise<V1Deployment> {
  return clients.apps.readNamespacedDeployment({ name: 'moodle', namespace: 'lms' });
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  const registry = new ClusterClients(clusters);
  clients = await registry.get('lab');
  port = new KubernetesPort(new KubernetesPlatform(registry), registry, 'lab');
  const wire = {
    metadata: { name: 'moodle' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'moodle' } },
      template: {
        metadata: { labels: { app: 'moodle' } },
        spec: { containers: [{ name: 'app', image: 'moodle:4.5' }] },
      },
    },
  };
  await clients.apps.createNamespacedDeployment({
    namespace: 'lms',
    body: asModel(wire, V1Deployment),
  });
  // Ready before the "restore" stops it, as a running service is.
  await port.startService(moodle);
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('a restore on a cluster cut short after the stop', () => {
  it('is named at start-up with the safety snapshot and restart, in Russian and English', async () => {
    await port.stopService(moodle);
    // The bot dies here: the job stays interrupted, the workload at 0 with the annotation.
    expect((await readDeployment()).metadata?.annotations?.[replicasAnnotation]).toBe('2');
    const states = await leftStates(
      [restoreJob(7)],
      deps([
        {
          snapshotId: 'feedc0de',
          job: `7-${started.getTime()}`,
          createdAt: new Date(),
          complete: true,
        },
      ]),
    );
    const text = states.get(7);
    expect(text?.en).toBe(
      'moodle: the restore was cut short and the service is stopped (0 replicas; before the stop: 2); its data may be only partly restored. To return to the state before the restore: restore moodle feedc0de; or to restore again: restore moodle 1a2b3c4d; to start it as it is, with its replicas as before: restart moodle',
    );
    expect(text?.ru).toBe(
      'moodle: восстановление прервано, сервис остановлен (0 реплик; до остановки: 2); его данные могли быть восстановлены лишь частично. Вернуть состояние до восстановления: restore moodle feedc0de; или восстановить заново: restore moodle 1a2b3c4d; запустить как есть, с прежним числом реплик: restart moodle',
    );
    const bare = (await leftStates([restoreJob(8)], deps([]))).get(8);
    expect(bare?.en).toContain(
      'there is no safety backup. To restore again: restore moodle 1a2b3c4d;',
    );
    expect(bare?.ru).toContain('страховой копии нет.');
  });

  it('restart scales it back to the replicas it had, waits ready, and drops the annotation', async () => {
    expect((await readDeployment()).spec?.replicas).toBe(0);
    const steps: StepEvent[] = [];
    const reports = await port.restart(moodle, (e) => steps.push(e));
    expect(reports.map((r) => r.action)).toEqual(['restarted', 'restarted']);
    const after = await readDeployment();
    expect(after.spec?.replicas).toBe(2);
    expect(after.status?.readyReplicas).toBe(2);
    expect(after.metadata?.annotations?.[replicasAnnotation]).toBeUndefined();
    const status = await port.status(moodle);
    expect(status.state).toBe('up');
    expect(status.workload?.stoppedFrom).toBeUndefined();
  });
});
