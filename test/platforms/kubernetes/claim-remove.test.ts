/**
 * A drill's scratch claim removed by name (claim-volumes.ts `remove`, one this process did
 * not make): only a claim with the bot's scratch label, deleted with the uid it was read
 * with; any other claim is refused in one line and left in place. The fake API server.
 */
import { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { managedBy, managedByLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClaimVolumes } from '../../../src/platforms/kubernetes/claim-volumes.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { scratchLabel } from '../../../src/platforms/kubernetes/scratch-claim.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';

const namespace = 'lms';
let fake: FakeKubernetes;
let clients: KubeClients;
let volumes: ClaimVolumes;

async function claim(name: string, labels: Record<string, string>): Promise<void> {
  await clients.core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: asModel(
      {
        metadata: { name, labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      V1PersistentVolumeClaim,
    ),
  });
}

function names(): string[] {
  return fake.store
    .list(resourceByName('persistentvolumeclaims'), namespace)
    .map((p) => (p.metadata as { name: string }).name)
    .sort();
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: [namespace] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab', namespace);
  const cluster: ClusterConfig = {
    name: 'lab',
    source: 'kubeconfig',
    kubeconfig,
    context: 'pes@lab',
  };
  clients = await new ClusterClients(new Map([['lab', cluster]])).get('lab');
  const service = {
    name: 'web',
    platform: 'kubernetes',
    cluster: 'lab',
    namespace,
    workload: { kind: 'Deployment', name: 'web' },
    scale: { min: 0, max: 1 },
    health: { minRunning: 1, timeoutSeconds: 60 },
  } as unknown as KubernetesServiceDefinition;
  volumes = new ClaimVolumes(() => Promise.resolve(clients), service, ['data'], {
    image: 'registry.test/pes-bot:1',
  });
});

afterAll(async () => {
  await fake.close();
});

describe('removing a claim by name', () => {
  it('refuses a claim that is not the bot’s scratch and leaves it', async () => {
    await claim('data', { app: 'web', [managedByLabel]: managedBy });
    const refused = await volumes.remove('data').catch((e: unknown) => e);
    expect(isUserError(refused) && refused.code).toBe('kubernetes-claim-not-scratch');
    expect(isUserError(refused) && refused.text('en')).toContain('data');
    expect(names()).toContain('data');
  });

  it('deletes a scratch claim, with the uid it read as precondition', async () => {
    await claim('pes-scratch-data-abc', { [managedByLabel]: managedBy, [scratchLabel]: 'drill' });
    const from = fake.requests.length;
    await volumes.remove('pes-scratch-data-abc');
    expect(names()).not.toContain('pes-scratch-data-abc');
    const deletes = fake.requests
      .slice(from)
      .filter((r) => r.method === 'DELETE' && r.path.endsWith('/pes-scratch-data-abc'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.body).toContain('"uid"');
  });

  it('one already gone is fine', async () => {
    await expect(volumes.remove('pes-scratch-gone')).resolves.toBeUndefined();
  });
});
