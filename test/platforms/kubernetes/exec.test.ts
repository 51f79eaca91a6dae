/**
 * `exec` on a cluster: real programs in real-process pods (the fake API server's Docker
 * kubelet), through pods/exec over WebSocket as client-node speaks it; kubectl 1.33's own
 * `exec` against the same pods gives the same bytes and exit codes.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { serviceExecTarget } from '../../../src/platforms/kubernetes/exec-target.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { KubernetesPort } from '../../../src/platforms/kubernetes/port-adapter.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  ALLOW_ALL,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';

const docker = requireTestDocker().docker;
const runId = `kx${randomBytes(4).toString('hex')}`;
let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config: string;
let registry: ClusterClients;
let port: KubernetesPort;
let pods: string[];

const web: KubernetesServiceDefinition = {
  name: 'web',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'default',
  workload: { kind: 'Deployment', name: 'web' },
  scale: { min: 0, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 60 },
};

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "head -c 8 /dev/urandom | od -An -tx1 > /tmp/me; exec sleep 3600"]
      - name: side
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "echo side > /tmp/me; exec sleep 3600"]
`;

beforeAll(async () => {
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath('pes@lab');
  registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
  );
  port = new KubernetesPort(new KubernetesPlatform(registry), registry, 'lab');
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], manifest)).code).toBe(0);
  const status = await kubectl(config, ['rollout', 'status', 'deployment/web', '--timeout=90s']);
  expect(status.stdout).toContain('successfully rolled out');
  pods = fake.store
    .list(resourceByName('pods'), 'default')
    .map((p) => String((p['metadata'] as Record<string, unknown>)['name']))
    .sort();
  expect(pods).toHaveLength(2);
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

function sink(): {
  stream: Writable;
  bytes: () => Buffer;
  ended: () => boolean;
  first: Promise<void>;
} {
  const chunks: Buffer[] = [];
  let ended = false;
  let firstChunk = (): void => undefined;
  const first = new Promise<void>((resolve) => (firstChunk = resolve));
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      firstChunk();
      // A slow reader: the command's output must wait for it, not pile up.
      setImmediate(callback);
    },
    final(callback) {
      ended = true;
      callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks), ended: () => ended, first };
}

describe('exec in a pod of a cluster service', () => {
  it('runs argv in the pod’s first container and returns stdout, stderr and the exit code', async () => {
    const target = await serviceExecTarget(await registry.get('lab'), web, '2');
    expect(target).toBe(`default/${pods[1] ?? ''}`);
    const result = await port.exec(
      target,
      ['/bin/busybox', 'sh', '-c', 'cat /tmp/me; echo "it\'s  $0" >&2; exit 3', 'a b'],
      {},
    );
    // kubectl exec on the same pod: the same output (what that pod's container wrote at its
    // start, unlike the other pod's) and the same exit code.
    const k = await kubectl(config, [
      'exec',
      pods[1] ?? '',
      '-c',
      'app',
      '--',
      '/bin/busybox',
      'sh',
      '-c',
      'cat /tmp/me; exit 3',
    ]);
    expect(k.code).toBe(3);
    expect(result).toEqual({ exitCode: 3, stdout: k.stdout, stderr: "it's  a b\n" });
    const other = await port.exec(
      `default/${pods[0] ?? ''}`,
      ['/bin/busybox', 'cat', '/tmp/me'],
      {},
    );
    expect(other.stdout).not.toBe(k.stdout);
    const side = await port.exec(`${target}/side`, ['/bin/busybox', 'cat', '/tmp/me'], {});
    expect(side).toEqual({ exitCode: 0, stdout: 'side\n', stderr: '' });
  });

  it('pipes stdin through and streams stdout byte for byte, with backpressure, then ends it', async () => {
    const input = randomBytes(3 * 1024 * 1024);
    const out = sink();
    const result = await port.exec(
      `default/${pods[0] ?? ''}`,
      ['/bin/busybox', 'sh', '-c', 'cat; echo done >&2'],
      { stdin: Readable.from([input.subarray(0, 1000), input.subarray(1000)]), stdout: out.stream },
    );
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: 'done\n' });
    expect(out.ended()).toBe(true);
    expect(out.bytes().equals(input)).toBe(true);
    const k = await kubectl(
      config,
      ['exec', '-i', pods[0] ?? '', '-c', 'app', '--', '/bin/busybox', 'wc', '-c'],
      'twelve bytes',
    );
    const ours = await port.exec(`default/${pods[0] ?? ''}`, ['/bin/busybox', 'wc', '-c'], {
      stdin: Readable.from([Buffer.from('twelve bytes')]),
    });
    expect([ours.exitCode, ours.stdout]).toEqual([k.code, k.stdout]);
    expect(ours.stdout.trim()).toBe('12');
  });

  it('a command that stops reading early still succeeds, the rest of its input drained', async () => {
    const input = new PassThrough();
    input.write('first line\n');
    const chunks: Buffer[] = [];
    // The rest comes once the command has answered: it reads none of it, and that is fine.
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        input.end(Buffer.alloc(256 * 1024, 'x'));
        callback();
      },
    });
    const done = await port.exec(`default/${pods[0] ?? ''}`, ['/bin/busybox', 'head', '-n', '1'], {
      stdin: input,
      stdout: out,
    });
    expect(done).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(Buffer.concat(chunks).toString()).toBe('first line\n');
    expect(input.readableEnded).toBe(true);
  });

  it('a container the pod does not have is one line naming the ones it has; nothing runs', async () => {
    const out = sink();
    const error = await port
      .exec(`default/${pods[0] ?? ''}/db`, ['/bin/busybox', 'true'], { stdout: out.stream })
      .catch((e: unknown) => e);
    expect(isUserError(error) && error.text('en')).toBe(
      `Pod ${pods[0] ?? ''} (namespace default) has no container "db"; nothing was run.`,
    );
    expect(isUserError(error) && error.hint('en')).toBe('Its containers: app, side');
    expect(isUserError(error) && error.text('ru')).toBe(
      `В поде ${pods[0] ?? ''} (пространство имён default) нет контейнера «db» — ничего не запущено.`,
    );
    expect(out.stream.destroyed).toBe(true);
    const k = await kubectl(config, ['exec', pods[0] ?? '', '-c', 'db', '--', 'true']);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('container db is not valid for pod');
  });

  it('a pod name that is not DNS-1123, or a user or environment pods/exec cannot set, is refused before anything', async () => {
    const before = fake.requests.length;
    for (const bad of ['default/../etc', 'Default/web', 'web', 'default/web;rm -rf /']) {
      const error = await port.exec(bad, ['/bin/busybox', 'true'], {}).catch((e: unknown) => e);
      expect(isUserError(error) && error.code).toBe('kubernetes-exec-target');
    }
    const asUser = await port
      .exec(`default/${pods[0] ?? ''}`, ['/bin/busybox', 'true'], { user: 'postgres' })
      .catch((e: unknown) => e);
    expect(isUserError(asUser) && asUser.text('en')).toBe(
      'On cluster lab a command cannot run with user postgres: pods/exec has no such setting; nothing was run.',
    );
    const withEnv = await port
      .exec(`default/${pods[0] ?? ''}`, ['/bin/busybox', 'true'], { env: { PGPASSWORD: 's3' } })
      .catch((e: unknown) => e);
    expect(isUserError(withEnv) && withEnv.text('en')).toContain('with env PGPASSWORD:');
    expect(isUserError(withEnv) && withEnv.text('en')).not.toContain('s3');
    expect(fake.requests.length).toBe(before);
  });

  it('an account without create on pods/exec gets the one-line grant', async () => {
    fake.setRules([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
    try {
      const error = await port
        .exec(`default/${pods[0] ?? ''}`, ['/bin/busybox', 'true'], {})
        .catch((e: unknown) => e);
      expect(isUserError(error) && error.text('en')).toContain('grant verb create on pods/exec');
    } finally {
      fake.setRules(ALLOW_ALL);
    }
  });

  it('a cancel ends the run and closes its output as cut', async () => {
    const controller = new AbortController();
    const out = sink();
    const running = port.exec(
      `default/${pods[0] ?? ''}`,
      ['/bin/busybox', 'sh', '-c', 'echo started; exec sleep 30'],
      { stdout: out.stream },
      controller.signal,
    );
    await out.first;
    controller.abort();
    await expect(running).rejects.toThrow();
    expect(out.ended()).toBe(false);
    expect(out.stream.destroyed).toBe(true);
  });

  it('a cut after the command took part of its input stops the input, not drains it to nowhere', async () => {
    const controller = new AbortController();
    const input = new PassThrough();
    input.write('first line\n');
    const out = sink();
    const running = port.exec(
      `default/${pods[0] ?? ''}`,
      ['/bin/busybox', 'sh', '-c', 'head -n 1; exec sleep 30'],
      { stdin: input, stdout: out.stream },
      controller.signal,
    );
    await out.first;
    controller.abort();
    await expect(running).rejects.toThrow();
    // The rest of a restore's dump stays where it is: nobody reads it any more.
    expect(input.readableFlowing).not.toBe(true);
    input.write('the rest of the dump\n');
    expect(input.readableLength).toBeGreaterThan(0);
  });
});
