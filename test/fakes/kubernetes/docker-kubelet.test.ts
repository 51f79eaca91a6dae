/**
 * The Docker-backed kubelet: pods of a Deployment run as real containers on the test engine
 * (network none), kubectl reads their logs, a readiness probe decides Ready, an image the
 * engine lacks is ImagePullBackOff and a container that keeps exiting is CrashLoopBackOff
 * (pod lifecycle: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/ ).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import { waitFor } from '../../helpers/wait.ts';
import { DockerKubelet } from './docker-kubelet.ts';
import { resourceByName, startFakeKubernetes, type FakeKubernetes } from './index.ts';
import { at, list } from './json.ts';

const connection = requireTestDocker();
const docker = connection.docker;
const runId = `fk${randomBytes(4).toString('hex')}`;
let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config: string;

beforeAll(async () => {
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath();
});

afterAll(async () => {
  await fake.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  expect(left).toEqual([]);
  expect(kubelet.errors).toEqual([]);
});

function manifest(name: string, image: string, script: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  progressDeadlineSeconds: 150
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
        command: ["/bin/busybox", "sh", "-c", ${JSON.stringify(script)}]
        env:
        - {name: GREETING, value: hello-from-${name}}
${extra}`;
}

const ours = async (app: string): Promise<Awaited<ReturnType<typeof docker.listContainers>>> =>
  docker
    .listContainers({ all: true, filters: { label: [`pes.test.run=${runId}`] } })
    .then((all) =>
      all.filter((c) => (c.Labels['fake-kubernetes.pod'] ?? '').startsWith(`default/${app}-`)),
    );

it('runs each pod as a container with network none; kubectl logs reads its output', async () => {
  const applied = await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    manifest('web', busyboxImage, 'echo $GREETING; exec sleep 3600'),
  );
  expect(applied.code).toBe(0);
  const status = await kubectl(config, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
  expect(status.stdout).toContain('successfully rolled out');
  const containers = await ours('web');
  expect(containers).toHaveLength(2);
  for (const c of containers) expect(c.HostConfig.NetworkMode).toBe('none');
  const logs = await kubectl(config, ['logs', 'deployment/web']);
  expect(logs.stdout).toBe('hello-from-web\n');
  // kubectl exec over WebSocket (v5.channel.k8s.io): streams apart, the exit code passed on
  // (kubectl/pkg/cmd/exec: "command terminated with exit code N").
  const failed = await kubectl(config, [
    'exec',
    'deployment/web',
    '--',
    '/bin/busybox',
    'sh',
    '-c',
    'echo out; echo err >&2; exit 3',
  ]);
  expect([failed.code, failed.stdout]).toEqual([3, 'out\n']);
  expect(failed.stderr).toContain('err\n');
  expect(failed.stderr).toContain('command terminated with exit code 3');
  const piped = await kubectl(
    config,
    ['exec', '-i', 'deployment/web', '--', '/bin/busybox', 'cat'],
    'piped\n',
  );
  expect([piped.code, piped.stdout]).toEqual([0, 'piped\n']);
  expect(fake.requests.some((r) => r.path.endsWith('/exec'))).toBe(false);
  expect((await kubectl(config, ['delete', 'deployment', 'web', '--timeout=60s'])).code).toBe(0);
  const deadline = Date.now() + 20_000;
  while ((await ours('web')).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  expect(await ours('web')).toEqual([]);
});

it('a readiness probe decides when the pod is Ready', async () => {
  const probe = `        readinessProbe:\n          exec:\n            command: ["/bin/busybox", "test", "-f", "/tmp/ready"]\n`;
  await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    manifest('probe', busyboxImage, 'exec sleep 3600', probe),
  );
  const probed = (): ReturnType<typeof fake.store.list> =>
    fake.store
      .list(resourceByName('pods'), 'default')
      .filter((p) => at(p, 'metadata', 'labels', 'app') === 'probe');
  // Both containers are seen running (started) before readiness is judged.
  await waitFor(
    () =>
      probed().length === 2 &&
      probed().every((p) => at(list(at(p, 'status', 'containerStatuses'))[0], 'started') === true),
    'the probe pods running',
    20_000,
  );
  const pods = probed();
  expect(pods).toHaveLength(2);
  expect(pods.map((p) => at(list(at(p, 'status', 'containerStatuses'))[0], 'ready'))).toEqual([
    false,
    false,
  ]);
  for (const c of await ours('probe')) {
    const exec = await docker
      .getContainer(c.Id)
      .exec({ Cmd: ['/bin/busybox', 'touch', '/tmp/ready'] });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((r) => stream.on('end', r).resume());
  }
  const status = await kubectl(config, ['rollout', 'status', 'deployment/probe', '--timeout=60s']);
  expect(status.stdout).toContain('successfully rolled out');
});

it('an image the engine lacks is ImagePullBackOff and a crashing container CrashLoopBackOff', async () => {
  await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    manifest('nopull', 'pes-test/missing:1', 'true'),
  );
  await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    manifest('crash', busyboxImage, 'exit 3'),
  );
  const failed = await kubectl(config, ['rollout', 'status', 'deployment/nopull', '--timeout=60s']);
  expect(failed.stderr).toContain('exceeded its progress deadline');
  const pods = await kubectl(config, ['get', 'pods', '-l', 'app in (nopull,crash)']);
  expect(pods.stdout.match(/ImagePullBackOff/g)).toHaveLength(2);
  const crashPods = (): ReturnType<typeof fake.store.list> =>
    fake.store
      .list(resourceByName('pods'), 'default')
      .filter((p) => at(p, 'metadata', 'labels', 'app') === 'crash');
  const first = (p: ReturnType<typeof crashPods>[number]): ReturnType<typeof at> =>
    list(at(p, 'status', 'containerStatuses'))[0];
  await waitFor(
    () =>
      crashPods().length === 2 &&
      crashPods().some((p) => at(first(p), 'state', 'waiting', 'reason') === 'CrashLoopBackOff'),
    'a crash-looping pod',
    20_000,
  );
  await waitFor(
    () => crashPods().every((p) => at(first(p), 'lastState', 'terminated') !== undefined),
    'both crash pods terminated once',
    20_000,
  );
  for (const p of crashPods()) {
    // Between two exits the engine has the container running for a moment (a real kubelet
    // shows that too), so readiness is not asserted here, only the exits.
    const s = list(at(p, 'status', 'containerStatuses'))[0];
    expect(at(s, 'lastState', 'terminated', 'exitCode')).toBe(3);
  }
});

/** Debian's, whose /usr/share/doc has files and /root is root's, mode 700. */
const debianImage = 'debian:bookworm-slim';

/** A pod mounting claim `keep` at `path`, as root, idle; resolves once it runs. */
async function claimPod(name: string, path: string): Promise<void> {
  const applied = await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 0}
  containers:
  - name: main
    image: ${debianImage}
    command: ["sleep", "3600"]
    volumeMounts: [{name: data, mountPath: ${path}}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: keep}
`,
  );
  expect(applied.code).toBe(0);
  await waitFor(
    () =>
      at(fake.store.get(resourceByName('pods'), 'default', name), 'status', 'phase') === 'Running',
    `pod ${name} running`,
    60_000,
  );
}

async function inPod(name: string, script: string): Promise<string> {
  const run = await kubectl(config, ['exec', name, '--', 'sh', '-c', script]);
  expect(run.stderr).toBe('');
  return run.stdout;
}

async function deletePod(name: string): Promise<void> {
  expect((await kubectl(config, ['delete', 'pod', name, '--timeout=60s'])).code).toBe(0);
  const deadline = Date.now() + 20_000;
  while ((await ours(name)).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  expect(await ours(name)).toEqual([]);
}

it('fills a claim from the image at its first mount only: an emptied claim stays empty', async () => {
  const claim = await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: keep}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`,
  );
  expect(claim.code).toBe(0);
  // The first mount: the image's files at the mount path come along, a test convenience.
  await claimPod('keep-1', '/usr/share/doc');
  expect(await inPod('keep-1', 'ls -A /usr/share/doc')).not.toBe('');
  await inPod('keep-1', 'rm -rf /usr/share/doc/* && chown 33:33 /usr/share/doc');
  await deletePod('keep-1');
  // A real kubelet never copies image content into a claim: a later pod sees it as left,
  // empty and owned by 33, whatever its image holds at the mount path.
  await claimPod('keep-2', '/usr/share/doc');
  expect(await inPod('keep-2', 'ls -A /usr/share/doc; stat -c %u:%g /usr/share/doc')).toBe(
    '33:33\n',
  );
  await deletePod('keep-2');
  await claimPod('keep-3', '/root');
  expect(await inPod('keep-3', 'ls -A /root; stat -c %u:%g:%a /root')).toBe('33:33:755\n');
  await deletePod('keep-3');
  expect((await kubectl(config, ['delete', 'pvc', 'keep'])).code).toBe(0);
});
