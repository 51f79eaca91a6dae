/**
 * Databases of a service on a cluster, for real: the fake API server with real-process pods
 * (DockerKubelet), a PostgreSQL server in a container of the service's own StatefulSet (its
 * data on a claim) and a MariaDB server in another workload's pod (a Deployment, so its pods
 * are found through its ReplicaSets), both this machine's Debian programs in an image made
 * without a registry (cluster-database-image.sh); restic on the bot's machine.
 *
 * Proved here: a backup and a restore come back row for row (rows changed after the backup
 * are gone after the restore), into pods that replaced the dumped ones (the pod is looked up
 * at each run), and only a pod the workload controls is taken (not a pod that merely has its
 * labels); the service's own database is restored while its workload still runs (it is
 * scaled to 0 only afterwards: a restore after the stop would find no pod); a workload with no
 * running pod is refused in one line with nothing changed, the service never stopped; a
 * cancelled dump leaves no pg_dump in the pod (closing the exec's connection alone would not
 * end it: it would wait for its lock for as long as that is held), and a cancelled restore
 * blocked on a lock leaves no pg_restore in the pod and its transaction rolled back. (No
 * environment can reach pods/exec: exec-stream.ts refuses a run that asks for one, so the
 * round trip itself shows the programs ran on the local socket with none.)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { postgresSource } from '../../../src/backup/sources/postgres.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { DatabasePods } from '../../../src/backup/sources/build.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { isUserError, type UserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { SqliteBackupLedger } from '../../../src/store/backup-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';

// Pods start real database servers; slow on a loaded machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const docker = requireTestDocker().docker;
const runId = `cd${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
const pods = resourceByName('pods');
const statefulSets = resourceByName('statefulsets');

/** PostgreSQL as root prepares its claim, then runs as postgres (initdb refuses root). */
const pgStart =
  'mkdir -p /data/pg && chown postgres:postgres /data/pg && chmod 700 /data/pg && ' +
  'exec su -s /bin/sh postgres -c "' +
  '[ -s /data/pg/PG_VERSION ] || initdb -D /data/pg -U postgres --auth=trust -E UTF8 --locale=C >/dev/null; ' +
  'exec postgres -D /data/pg -k /var/run/postgresql -c listen_addresses= -c jit=off"';

/** MariaDB on the container's own disk: a replaced pod starts empty, with its database. */
const mariadbStart =
  'mariadb-install-db --no-defaults --datadir=/var/lib/mysql --user=root ' +
  '--auth-root-authentication-method=socket --skip-test-db >/dev/null && ' +
  'echo "CREATE DATABASE IF NOT EXISTS wiki;" > /tmp/init.sql && ' +
  'exec mariadbd --no-defaults --datadir=/var/lib/mysql --user=root --skip-networking ' +
  '--socket=/run/mysqld/mysqld.sock --init-file=/tmp/init.sql';

function manifests(image: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: site-data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: site}
spec:
  replicas: 1
  serviceName: site
  selector: {matchLabels: {app: site}}
  template:
    metadata: {labels: {app: site}}
    spec:
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
      - name: pg
        image: ${image}
        command: ["/bin/sh", "-c", ${JSON.stringify(pgStart)}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: site-data}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: maria}
spec:
  replicas: 1
  selector: {matchLabels: {app: maria}}
  template:
    metadata: {labels: {app: maria}}
    spec:
      containers:
      - name: db
        image: ${image}
        command: ["/bin/sh", "-c", ${JSON.stringify(mariadbStart)}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle}
spec:
  replicas: 0
  selector: {matchLabels: {app: idle}}
  template:
    metadata: {labels: {app: idle}}
    spec:
      containers:
      - name: db
        image: ${image}
        command: ["/bin/sh", "-c", ${JSON.stringify(mariadbStart)}]
`;
}

const site: ServiceDefinition = {
  name: 'site',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 2 },
  health: { minRunning: 1, timeoutSeconds: 180 },
  volumes: [],
  databases: [
    {
      name: 'app',
      engine: 'postgres',
      container: '',
      database: 'postgres',
      user: 'postgres',
      cluster: { container: 'pg' },
    },
    {
      name: 'wiki',
      engine: 'mysql',
      container: '',
      database: 'wiki',
      user: 'root',
      cluster: { workload: { kind: 'Deployment', name: 'maria' } },
    },
  ],
  kubernetes: {
    cluster: 'lab',
    namespace: 'default',
    workload: { kind: 'StatefulSet', name: 'site' },
  },
};

/** A service whose database lives in a workload with no running pod. */
const idle: ServiceDefinition = {
  ...site,
  name: 'idle',
  databases: [
    {
      name: 'wiki',
      engine: 'mysql',
      container: '',
      database: 'wiki',
      user: 'root',
      cluster: { workload: { kind: 'Deployment', name: 'idle' } },
    },
  ],
};

/** The service's own PostgreSQL alone, for the cancelled dump. */
const sitePg: ServiceDefinition = {
  ...site,
  name: 'sitepg',
  databases: site.databases.filter((db) => db.engine === 'postgres'),
};

let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let ports: ClusterPorts;
let backups: EngineBackupService;
let repoDir: string;
const replicasSeen: number[] = [];

const signal = (): AbortSignal => new AbortController().signal;
const steps = (): void => undefined;

function port(): Platform & DatabasePods {
  const platform = ports.for(site);
  if (!('databaseTarget' in platform)) throw new Error('the cluster port finds no database pods');
  return platform as Platform & DatabasePods;
}

/** Runs a query in a database's pod (found as a run finds it), retrying until it answers. */
async function sql(service: ServiceDefinition, database: string, query: string): Promise<string> {
  const db = service.databases.find((d) => d.name === database);
  const argv =
    db?.engine === 'postgres'
      ? ['psql', '-U', 'postgres', '-d', 'postgres', '-tAc', query]
      : ['mariadb', '--user=root', '-N', '-B', 'wiki', '-e', query];
  const deadline = Date.now() + 180_000;
  let last: string;
  for (;;) {
    try {
      const target = await port().databaseTarget(service, database);
      const result = await port().exec(target, argv, {});
      if (result.exitCode === 0) return result.stdout.trim();
      last = result.stderr;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${database}: ${query}: ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function podNames(app: string): string[] {
  return fake.store
    .list(pods, 'default')
    .filter((p) => (p.metadata as { labels?: Record<string, string> }).labels?.['app'] === app)
    .map(
      (p) =>
        `${(p.metadata as { name: string; uid: string }).name}@${(p.metadata as { uid: string }).uid}`,
    );
}

/** Polls `check` until it holds, for a bounded time. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * A session in the database's pod that holds table t of `app` (access exclusive) until
 * released: a restore's DROP and a dump's read then wait for it, for as long as it is held.
 * Returns once the lock is held; the release ends the session and waits for its exec.
 */
async function holdTable(target: string): Promise<() => Promise<void>> {
  const holder = new AbortController();
  const held = port()
    .exec(
      target,
      [
        'psql',
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-c',
        'begin; lock table t in access exclusive mode; select pg_sleep(600)',
      ],
      {},
      holder.signal,
    )
    .catch(() => undefined);
  const release = async (): Promise<void> => {
    await sql(
      site,
      'app',
      "select count(pg_terminate_backend(pid)) from pg_stat_activity where wait_event = 'PgSleep'",
    );
    holder.abort();
    await held;
  };
  try {
    await until(
      'the lock is held',
      async () =>
        (await sql(
          site,
          'app',
          "select count(*) from pg_stat_activity where wait_event = 'PgSleep'",
        )) === '1',
    );
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}

/** How many processes of this program run in the pod now. */
async function running(target: string, program: string): Promise<number> {
  const out = await port().exec(target, ['sh', '-c', 'cat /proc/[0-9]*/comm 2>/dev/null'], {});
  return out.stdout.split('\n').filter((name) => name === program).length;
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (isUserError(error)) return error;
    throw error;
  }
  return expect.fail('expected a UserError');
}

beforeAll(async () => {
  const script = join(import.meta.dirname, 'cluster-database-image.sh');
  const image = (await promisify(execFile)('bash', [script], { timeout: 600_000 })).stdout.trim();
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  fake.store.subscribe((e) => {
    const meta = e.object['metadata'] as { name?: string };
    if (e.resource.kind === 'StatefulSet' && meta.name === 'site') {
      const replicas = (e.object['spec'] as { replicas?: number }).replicas ?? -1;
      if (replicasSeen.at(-1) !== replicas) replicasSeen.push(replicas);
    }
  });
  const config = await fake.kubeconfigPath('pes@lab');
  expect(
    (await kubectl(config, ['apply', '--server-side', '-f', '-'], manifests(image))).code,
  ).toBe(0);
  repoDir = mkdtempSync(join(tmpdir(), 'pes-cluster-db-'));
  ports = new ClusterPorts(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
  );
  backups = createBackupService({
    engine: new ResticEngine({
      repository: join(repoDir, 'restic'),
      password,
      env: { RESTIC_CACHE_DIR: join(repoDir, 'cache') },
    }),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    platform: (service) => ports.for(service),
    databasePasswords: new Map(),
    services: () => [site, idle, sitePg],
    healthPollMs: 100,
  });
  await sql(site, 'app', 'create table t (n int); insert into t values (1), (2), (3)');
  await sql(site, 'wiki', "create table w (s varchar(8)); insert into w values ('a'), ('b')");
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
  if (repoDir !== undefined) rmSync(repoDir, { recursive: true, force: true });
  expect(kubelet?.errors ?? []).toEqual([]);
});

describe('databases of a service on a cluster', () => {
  it('backs up, and restores into pods that replaced the dumped ones: the rows come back', async () => {
    const report = await backups.backup(
      site,
      { only: undefined, tags: [], job: 'job-1' },
      steps,
      signal(),
    );
    expect(report.sources.map((s) => s.source)).toEqual(['postgres:app', 'mysql:wiki']);
    // Changed after the backup.
    await sql(site, 'app', 'delete from t where n = 1; insert into t values (4)');
    await sql(site, 'wiki', "insert into w values ('c')");
    expect(await sql(site, 'app', "select string_agg(n::text, ',' order by n) from t")).toBe(
      '2,3,4',
    );
    // Both pods replaced: the Deployment's by a new name, its database empty again.
    const before = [...podNames('site'), ...podNames('maria')];
    for (const name of before) {
      const pod = name.split('@')[0] ?? '';
      fake.store.delete(pods, 'default', pod);
    }
    await sql(site, 'wiki', 'create table if not exists w (s varchar(8))');
    expect(await sql(site, 'wiki', 'select count(*) from w')).toBe('0');
    const after = [...podNames('site'), ...podNames('maria')];
    expect(after.some((p) => before.includes(p))).toBe(false);

    replicasSeen.length = 0;
    replicasSeen.push(1);
    const plan = await backups.planRestore(site, 'latest', undefined, signal());
    const restored = await backups.restore(site, plan, { job: 'job-2' }, steps, signal());
    expect(restored.restored.map((r) => r.source).sort()).toEqual(['mysql:wiki', 'postgres:app']);
    // Stopped and started again (the own database was restored before the stop, on its claim).
    expect(replicasSeen).toEqual([1, 0, 1]);
    expect(await sql(site, 'app', "select string_agg(n::text, ',' order by n) from t")).toBe(
      '1,2,3',
    );
    expect(await sql(site, 'wiki', 'select group_concat(s order by s) from w')).toBe('a,b');
  });

  it('a cancelled restore leaves no pg_restore behind in the database’s pod, its transaction rolled back', async () => {
    // A dump of the rows as they are now; then a row added, which the restore would remove.
    const target = await port().databaseTarget(site, 'app');
    const db = site.databases.find((d) => d.name === 'app');
    if (db === undefined) throw new Error('no app database');
    const source = postgresSource(db, {
      platform: port(),
      password: undefined,
      pod: (s) => port().databaseTarget(site, 'app', s),
    });
    const produced = await source.produce(signal());
    const chunks: Buffer[] = [];
    for await (const chunk of produced.stream) chunks.push(chunk as Buffer);
    await produced.done;
    const dump = Buffer.concat(chunks);
    await sql(site, 'app', 'insert into t values (9)');
    const rows = "select string_agg(n::text, ',' order by n) from t";
    const before = await sql(site, 'app', rows);
    expect(before).toContain('9');
    // A session holds the table: pg_restore's DROP waits for it and reads no more input.
    const release = await holdTable(target);
    const restores = (): Promise<number> => running(target, 'pg_restore');
    const cancel = new AbortController();
    try {
      const restore = source.consume(Readable.from([dump]), cancel.signal).then(
        () => 'finished',
        () => 'failed',
      );
      await until(
        'pg_restore waits for its lock',
        async () =>
          (await sql(
            site,
            'app',
            "select count(*) from pg_stat_activity where application_name = 'pg_restore' and wait_event_type = 'Lock'",
          )) === '1',
      );
      expect(await restores()).toBe(1);
      cancel.abort(new Error('cancelled by the test'));
      expect(await restore).toBe('failed');
      // Gone from the pod and from the server, while the lock it waited for is still held.
      await until('no pg_restore is left in the pod', async () => (await restores()) === 0);
      await until(
        'pg_restore’s session is gone',
        async () =>
          (await sql(
            site,
            'app',
            "select count(*) from pg_stat_activity where application_name = 'pg_restore'",
          )) === '0',
      );
      const left = await port().exec(target, ['sh', '-c', 'ls /tmp | grep -c pes-restore'], {});
      expect(left.stdout.trim()).toBe('0');
    } finally {
      await release();
    }
    // Rolled back: the row the dump does not have is still there.
    expect(await sql(site, 'app', rows)).toBe(before);
    await sql(site, 'app', 'delete from t where n = 9');
  });

  it('a failed restore of the service’s own database leaves the service running, with its own code', async () => {
    // pg_restore gone from the database's container: its restore fails while the service runs.
    const target = await port().databaseTarget(site, 'app');
    expect((await port().exec(target, ['rm', '/usr/bin/pg_restore'], {})).exitCode).toBe(0);
    replicasSeen.length = 0;
    replicasSeen.push(1);
    const plan = await backups.planRestore(site, 'latest', undefined, signal());
    const error = await rejection(backups.restore(site, plan, { job: 'job-5' }, steps, signal()));
    expect(error.code).toBe('backup-restore-failed-running');
    expect(error.text('en')).toContain('The service was never stopped');
    // Never scaled to 0; the other database (restored after the stop) was not touched.
    expect(replicasSeen).toEqual([1]);
  });

  it('takes only a pod the workload controls, not one that merely has its labels', async () => {
    // Made by hand with the Deployment's labels and a name that sorts first: a lookup by
    // selector alone would pick it.
    const config = await fake.kubeconfigPath('pes@lab');
    const stray = `apiVersion: v1
kind: Pod
metadata: {name: aaa-stray, labels: {app: maria}}
spec:
  containers:
  - name: db
    image: ${busyboxImage}
    command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
`;
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], stray)).code).toBe(0);
    const deadline = Date.now() + 120_000;
    const phase = (): string | undefined =>
      (fake.store.get(pods, 'default', 'aaa-stray')?.['status'] as { phase?: string } | undefined)
        ?.phase;
    while (phase() !== 'Running') {
      if (Date.now() > deadline) throw new Error('the stray pod did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      const target = await port().databaseTarget(site, 'wiki');
      expect(target).toMatch(/^default\/maria-[a-z0-9]+-[a-z0-9]+\/db$/);
      expect(await sql(site, 'wiki', 'select group_concat(s order by s) from w')).toBe('a,b');
    } finally {
      expect((await kubectl(config, ['delete', 'pod', 'aaa-stray', '--wait=false'])).code).toBe(0);
    }
  });

  it('a cancelled dump leaves no pg_dump behind in the database’s pod', async () => {
    // A session holds the table: pg_dump waits for its lock, mid-dump, for as long as it is
    // left (closing its exec connection alone does not end it).
    const target = await port().databaseTarget(site, 'app');
    const release = await holdTable(target);
    const dumps = (): Promise<number> => running(target, 'pg_dump');
    const cancel = new AbortController();
    try {
      const backup = backups
        .backup(sitePg, { only: undefined, tags: [], job: 'job-6' }, steps, cancel.signal)
        .then(
          () => 'finished',
          () => 'failed',
        );
      await until(
        'pg_dump waits for its lock',
        async () =>
          (await sql(
            site,
            'app',
            "select count(*) from pg_stat_activity where application_name = 'pg_dump' and wait_event_type = 'Lock'",
          )) === '1',
      );
      expect(await dumps()).toBe(1);
      cancel.abort(new Error('cancelled by the test'));
      expect(await backup).toBe('failed');
      // Gone from the pod, while the lock it waits for is still held.
      await until('no pg_dump is left in the pod', async () => (await dumps()) === 0);
      expect(
        await sql(
          site,
          'app',
          "select count(*) from pg_stat_activity where application_name = 'pg_dump'",
        ),
      ).toBe('0');
      expect(await backups.snapshots(sitePg, signal())).toEqual([]);
    } finally {
      await release();
    }
  });

  it('refuses a workload with no running pod in one line, with nothing changed', async () => {
    const error = await rejection(
      backups.backup(idle, { only: undefined, tags: [], job: 'job-3' }, steps, signal()),
    );
    expect(error.code).toBe('kubernetes-database-no-pod');
    const text = error.text('en');
    expect(text).toContain('Deployment/idle');
    expect(text).not.toContain('\n');
    expect(await backups.snapshots(idle, signal())).toEqual([]);
  });

  it('a restore whose database has no running pod is refused before the service is stopped', async () => {
    // The other workload's pod gone for good: the safety backup cannot dump it.
    const config = await fake.kubeconfigPath('pes@lab');
    expect((await kubectl(config, ['scale', 'deployment/maria', '--replicas=0'])).code).toBe(0);
    const deadline = Date.now() + 120_000;
    while (podNames('maria').length > 0) {
      if (Date.now() > deadline) throw new Error('the maria pod did not go');
      await new Promise((r) => setTimeout(r, 200));
    }
    replicasSeen.length = 0;
    replicasSeen.push(1);
    const plan = await backups.planRestore(site, 'latest', undefined, signal());
    const error = await rejection(backups.restore(site, plan, { job: 'job-4' }, steps, signal()));
    expect(error.code).toBe('backup-safety-failed');
    expect(error.text('en')).toContain('Deployment/maria');
    expect(replicasSeen).toEqual([1]);
    const sts = fake.store.mustGet(statefulSets, 'default', 'site');
    expect((sts['spec'] as { replicas?: number }).replicas).toBe(1);
  });
});
