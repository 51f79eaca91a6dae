/**
 * `pes serve` deletes at start the claim pods a bot that died left on a cluster (found by
 * their labels, in the namespaces of the services of clusters with `backups` settings), logs
 * what it deleted before it listens, and leaves every other pod alone: one of a live
 * process (a terminal `pes restore` beside it), one of another host still within its
 * deadline. The fake API server with its in-memory kubelet.
 */
import { spawnSync } from 'node:child_process';
import { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../src/config/kubernetes.ts';
import {
  claimPodLabel,
  managedBy,
  managedByLabel,
} from '../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { scratchLabel } from '../../src/platforms/kubernetes/scratch-claim.ts';
import { ownerLabel, ownerValue, thisProcess } from '../../src/platforms/kubernetes/owner.ts';
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
  const claimPod = { [managedByLabel]: managedBy, [claimPodLabel]: 'backup' };
  // A pid that ran and is gone now.
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  const owner = (host: string, pid: number) => ({
    [ownerLabel]: ownerValue({ host, pid, startMs: 1 }),
  });
  await pod('pes-backup-data-abc123', { ...claimPod, ...owner(thisProcess.host, deadPid) });
  await pod('pes-restore-data-live', { ...claimPod, ...owner(thisProcess.host, process.pid) });
  await pod('pes-backup-data-far', { ...claimPod, ...owner('elsewhere', deadPid) });
  await pod('web-1', { app: 'web' });
  const claim = (name: string, labels: Record<string, string>) =>
    clients.core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: asModel(
        {
          metadata: { name, labels },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
        V1PersistentVolumeClaim,
      ),
    });
  const scratch = { [managedByLabel]: managedBy, [scratchLabel]: 'drill' };
  await claim('pes-scratch-data-dead', { ...scratch, ...owner(thisProcess.host, deadPid) });
  await claim('pes-scratch-data-live', { ...scratch, ...owner(thisProcess.host, process.pid) });
  await claim('data', { app: 'web', ...owner(thisProcess.host, deadPid) });
  // Made before `pes serve` starts, as the sweep requires (creationTimestamp has seconds).
  const made = Math.floor(Date.now() / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) > made, 'the next second', 5_000);
});

afterAll(async () => {
  await fake.close();
});

function names(resource = 'pods'): string[] {
  return fake.store
    .list(resourceByName(resource), namespace)
    .map((p) => (p.metadata as { name: string }).name)
    .sort();
}

describe('pes serve and claim pods left behind', () => {
  it('deletes a dead owner’s at start and says so before it listens, never another pod', async () => {
    expect(names()).toEqual([
      'pes-backup-data-abc123',
      'pes-backup-data-far',
      'pes-restore-data-live',
      'web-1',
    ]);
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
      // Awaited before commands are taken: logged before the server listens.
      expect(output().indexOf('removed claim pods left behind')).toBeLessThan(
        output().indexOf('listening'),
      );
      expect(names()).toEqual(['pes-backup-data-far', 'pes-restore-data-live', 'web-1']);
      // A drill's scratch claim of a dead owner goes too; a live one's and any other stay.
      await waitFor(
        () => output().includes('removed scratch claims left behind'),
        'the scratch sweep to be logged',
        60_000,
      );
      expect(output().indexOf('removed scratch claims left behind')).toBeLessThan(
        output().indexOf('listening'),
      );
      expect(output()).toContain(`lab/${namespace}/pes-scratch-data-dead`);
      expect(names('persistentvolumeclaims')).toEqual(['data', 'pes-scratch-data-live']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
