/**
 * `clusters.<name>.backups.engineUser`: a claim pod runs the engine as the workload's user
 * (default), who cannot read what another user keeps private on the claim (a folder 0700 of
 * uid 1000, as a repository or a cache may be), or as root (`root`) with every capability
 * dropped but DAC_READ_SEARCH for a backup, who reads everything and still writes nothing to
 * the claim (mounted read-only). The fake API server with real-process pods (DockerKubelet)
 * and the claim pods' image of claim-backup.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { claimPodLabel, claimPodSpec } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type JsonObject,
} from '../../fakes/kubernetes/index.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import { waitFor } from '../../helpers/wait.ts';
import { claimEngineImage } from './claim-engine-image.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 600_000 });

const docker = requireTestDocker().docker;
const runId = `ke${randomBytes(4).toString('hex')}`;
const labels = { 'pes.test': '1', 'pes.test.run': runId };
let fake: FakeKubernetes;
let kubelet: DockerKubelet;
let config = '';
let image = '';
/** The capabilities each claim pod was created with. */
const capabilities: JsonObject[] = [];

const app: ServiceDefinition = {
  name: 'app',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 3 },
  health: { minRunning: 1, timeoutSeconds: 120 },
  volumes: ['data'],
  databases: [],
  kubernetes: {
    cluster: 'lab',
    namespace: 'default',
    workload: { kind: 'Deployment', name: 'app' },
  },
};

function ports(engineUser: 'workload' | 'root' | undefined): ClusterPorts {
  return new ClusterPorts(
    new Map<string, ClusterConfig>([
      [
        'lab',
        {
          name: 'lab',
          source: 'kubeconfig',
          kubeconfig: config,
          context: 'pes@lab',
          backups: {
            image,
            startSeconds: 90,
            ...(engineUser === undefined ? {} : { engineUser }),
          },
        },
      ],
    ]),
  );
}

beforeAll(async () => {
  image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  fake.store.subscribe((e) => {
    const meta = e.object['metadata'] as { labels?: Record<string, string> };
    if (e.type === 'ADDED' && e.resource.kind === 'Pod' && meta.labels?.[claimPodLabel]) {
      const [container] = (e.object['spec'] as { containers: JsonObject[] }).containers;
      capabilities.push(
        (container?.['securityContext'] as { capabilities: JsonObject }).capabilities,
      );
    }
  });
  config = await fake.kubeconfigPath('pes@lab');
  const claim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], claim)).code).toBe(0);
  // The claim's files, made before any pod mounts it: one of the workload's user (33), and a
  // folder private to uid 1000.
  const volume = DockerKubelet.volumeOf(
    fake.store.mustGet(resourceByName('persistentvolumeclaims'), 'default', 'data'),
  );
  await docker.createVolume({ Name: volume, Labels: labels });
  const prep = await docker.createContainer({
    Image: busyboxImage,
    Entrypoint: ['/bin/busybox', 'sh', '-c'],
    Cmd: [
      'echo pub > /v/pub && chown 33:33 /v/pub /v && mkdir /v/private && echo key > /v/private/key && ' +
        'chown -R 1000:1000 /v/private && chmod 700 /v/private && chmod 600 /v/private/key',
    ],
    Labels: labels,
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
  });
  await prep.start();
  expect(((await prep.wait()) as { StatusCode: number }).StatusCode).toBe(0);
  await prep.remove();
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      securityContext: {runAsUser: 33, runAsGroup: 33}
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
`;
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], deployment)).code).toBe(0);
  const running = (): boolean =>
    fake.store
      .list(resourceByName('pods'), 'default')
      .some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  await waitFor(running, 'the app pod to run', 120_000);
});

afterAll(async () => {
  await fake?.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const { Volumes } = await docker.listVolumes({ filters: { label: [`pes.test.run=${runId}`] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true })));
  expect(kubelet?.errors ?? []).toEqual([]);
});

async function measure(engineUser: 'workload' | 'root' | undefined): Promise<unknown> {
  const files = ports(engineUser).for(app).volumeFiles;
  if (files === undefined) throw new Error('no claim access');
  const site = await files.open('data', 'read');
  if (site === undefined) throw new Error('the claim is not reachable');
  try {
    return await site.measure({});
  } finally {
    await site.close?.();
  }
}

describe('who runs the engine in a claim pod', () => {
  it('by default the workload’s user, who cannot read another user’s private folder', async () => {
    const error = await measure(undefined).catch((e: unknown) => e);
    expect(isUserError(error) && error.text('en')).toContain('Permission denied');
    expect(capabilities.at(-1)).toEqual({ drop: ['ALL'] });
  });

  it('with engineUser root, root keeping only DAC_READ_SEARCH, who reads every file', async () => {
    const measured = (await measure('root')) as { figures: { files: number } };
    expect(measured.figures.files).toBe(2);
    expect(capabilities.at(-1)).toEqual({ drop: ['ALL'], add: ['DAC_READ_SEARCH'] });
  });
});

describe('a claim pod of engineUser root', () => {
  const base = {
    namespace: 'lms',
    claim: 'moodledata',
    image: 'registry.test/pes-bot:1',
    runAs: { runAsUser: 33, fsGroup: 33, supplementalGroups: [900] },
    deadlineSeconds: 3600,
    engineUser: 'root' as const,
  };
  const security = (pod: ReturnType<typeof claimPodSpec>) => ({
    pod: pod.spec['securityContext'],
    caps: (pod.spec['containers'] as { securityContext: { capabilities: unknown } }[])[0]
      ?.securityContext.capabilities,
  });

  it('keeps what a restore needs to put owners and modes back, and sets no fsGroup', () => {
    expect(security(claimPodSpec({ ...base, purpose: 'restore' }))).toEqual({
      pod: {
        seccompProfile: { type: 'RuntimeDefault' },
        runAsUser: 0,
        runAsGroup: 0,
        supplementalGroups: [900],
      },
      caps: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] },
    });
  });

  it('for a backup onto a repository claim, may also write into that repository', () => {
    expect(
      security(claimPodSpec({ ...base, purpose: 'backup', repositoryClaim: 'backups' })).caps,
    ).toEqual({ drop: ['ALL'], add: ['DAC_OVERRIDE', 'DAC_READ_SEARCH'] });
  });
});
