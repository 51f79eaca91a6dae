/**
 * `pes serve` deletes at start the claim pods a bot that died left on a cluster (found by
 * their labels, in the namespaces of the services of clusters with `backups` settings), logs
 * what it deleted, and leaves every other pod alone. The fake API server with its in-memory
 * kubelet.
 */
import { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/config/kubernetes.ts';
import {
  claimPodLabel,
  managedBy,
  managedByLabel,
} from '../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { asModel } from '../../src/platforms/kubernetes/workload-api.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../fakes/kubernetes/index.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

const namespace = 'lms';
let fake: FakeKubernetes;
let kubeconfig: string;

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: [namespace] });
  kubeconfig = await fake.kubeconfigPath('pes@lab', namespace);
  const cluster: ClusterConfig = {
    name: 'lab',
    source: 'kubeconfig',
    kubeconfig,
    context: 'pes@lab',
  };
  const clients = await new ClusterClients(new Map([['lab', cluster]])).get('lab');
  const pod = (name: string, labels: Record<string, string>) =>
    clients.core.createNamespacedPod({
      namespace,
      body: asModel(
        {
          metadata: { name, labels },
          spec: { containers: [{ name: 'engine', image: 'registry.test/pes-bot:1' }] },
        },
        V1Pod,
      ),
    });
  await pod('pes-backup-data-abc123', { [managedByLabel]: managedBy, [claimPodLabel]: 'backup' });
  await pod('web-1', { app: 'web' });
});

afterAll(async () => {
  await fake.close();
});

function names(): string[] {
  return fake.store
    .list(resourceByName('pods'), namespace)
    .map((p) => (p.metadata as { name: string }).name)
    .sort();
}

describe('pes serve and claim pods left behind', () => {
  it('deletes them at start and says so, never another pod', async () => {
    expect(names()).toEqual(['pes-backup-data-abc123', 'web-1']);
    const w = tempWorkdir(
      [
        'locale: en',
        'state: { path: state/pes.db }',
        'clusters:',
        '  lab:',
        `    kubeconfig: ${JSON.stringify(kubeconfig)}`,
        '    context: pes@lab',
        '    backups: { image: "registry.test/pes-bot:1" }',
        'services:',
        '  web:',
        '    platform: kubernetes',
        '    cluster: lab',
        `    namespace: ${namespace}`,
        '    workload: { kind: Deployment, name: web }',
        '    volumes: [data]',
        "roles: { admin: { members: ['local:@me'], commands: ['*'] } }",
        '',
      ].join('\n'),
    );
    const { child, output, exited } = startServe(w, { PES_PORT: String(await freePort()) });
    try {
      await waitFor(() => output().includes('listening'), 'the server to listen', 60_000);
      await waitFor(
        () => output().includes('removed claim pods left behind'),
        'the sweep to be logged',
        60_000,
      );
      expect(output()).toContain(`lab/${namespace}/pes-backup-data-abc123`);
      expect(names()).toEqual(['web-1']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
