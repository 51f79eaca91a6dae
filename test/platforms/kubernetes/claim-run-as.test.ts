/**
 * Who a claim pod runs as: the workload's own user and groups (its running pod's, else its
 * pod template's), field by field, with `clusters.<name>.backups.runAsUser/runAsGroup/fsGroup`
 * filling what the workload does not name. A workload that names no user would otherwise
 * leave the claim pod to the image's user, which may not read the claim (found: "find:
 * '/data': Permission denied"). The fake API server with its in-memory kubelet: the pod as
 * created is what is checked; its exec is answered 400, which ends the open here.
 */
import { V1Deployment, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { claimPodLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  startFakeKubernetes,
  type FakeKubernetes,
  type JsonObject,
} from '../../fakes/kubernetes/index.ts';

const namespace = 'lms';
let fake: FakeKubernetes;
let ports: ClusterPorts;
/** The security context of every claim pod as created. */
const created: JsonObject[] = [];

function service(name: string): ServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    containers: {},
    scale: { min: 0, max: 3 },
    health: { minRunning: 1, timeoutSeconds: 30 },
    volumes: [`${name}-data`],
    databases: [],
    kubernetes: { cluster: 'lab', namespace, workload: { kind: 'Deployment', name } },
  };
}

async function workload(name: string, securityContext: JsonObject | undefined): Promise<void> {
  const clients = await new ClusterClients(
    new Map<string, ClusterConfig>([['lab', await clusterConfig()]]),
  ).get('lab');
  await clients.core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: asModel(
      {
        metadata: { name: `${name}-data` },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      V1PersistentVolumeClaim,
    ),
  });
  await clients.apps.createNamespacedDeployment({
    namespace,
    body: asModel(
      {
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              nodeName: 'fake-node',
              ...(securityContext === undefined ? {} : { securityContext }),
              containers: [{ name: 'app', image: 'registry.test/app:1' }],
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } }],
            },
          },
        },
      },
      V1Deployment,
    ),
  });
}

let kubeconfig = '';
async function clusterConfig(): Promise<ClusterConfig> {
  kubeconfig ||= await fake.kubeconfigPath('pes@lab');
  return { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' };
}

/** Opens the claim of `name` for a backup and returns the claim pod's securityContext. */
async function claimPodRunAs(name: string): Promise<JsonObject> {
  const files = ports.for(service(name)).volumeFiles;
  if (files === undefined) throw new Error('no claim access configured');
  const before = created.length;
  const site = await files.open(`${name}-data`, 'read');
  if (site === undefined) throw new Error('the claim is not reachable');
  // The in-memory kubelet runs nothing: the exec is refused, after the pod was made.
  await site.isEmpty().catch(() => undefined);
  await site.close?.();
  const made = created.slice(before);
  expect(made).toHaveLength(1);
  return made[0] ?? {};
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ timeScale: 50, namespaces: [namespace] });
  fake.store.subscribe((e) => {
    const meta = e.object['metadata'] as { labels?: Record<string, string> };
    if (e.type === 'ADDED' && e.resource.kind === 'Pod' && meta.labels?.[claimPodLabel]) {
      created.push((e.object['spec'] as { securityContext: JsonObject }).securityContext);
    }
  });
  ports = new ClusterPorts(new Map([['lab', await clusterConfig()]]), {
    claims: new Map([
      [
        'lab',
        {
          image: 'registry.test/pes-bot:1',
          startSeconds: 30,
          runAs: { runAsUser: 33, runAsGroup: 34, fsGroup: 35 },
        },
      ],
    ]),
  });
});

afterAll(async () => {
  await fake.close();
});

describe('a claim pod’s user', () => {
  it('is the configured one when the workload names none', async () => {
    await workload('plain', undefined);
    expect(await claimPodRunAs('plain')).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 33,
      runAsGroup: 34,
      fsGroup: 35,
    });
  });

  it('is the workload’s own where it names one, the configured one filling the rest', async () => {
    await workload('own', { runAsUser: 48 });
    const runAs = await claimPodRunAs('own');
    expect(runAs).toMatchObject({ runAsUser: 48, runAsGroup: 34, fsGroup: 35 });
  });
});
