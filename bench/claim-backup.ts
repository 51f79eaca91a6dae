/**
 * A PersistentVolumeClaim's file-level backup by the bot against the same restic command run
 * by hand in a pod of the same image with the same mounts, in the same run, on the same fake
 * API server (test/fakes/kubernetes) whose pods are real containers on the test Docker engine
 * (its DockerKubelet): a Deployment on node-b with a ReadWriteOnce claim `data`, the
 * repository on a ReadWriteMany claim `backups` that the bot's own restic reaches as a local
 * path too (the claim's Docker volume), as test/platforms/kubernetes/claim-backup.test.ts sets
 * it up.
 *
 *   bot      BackupService.backup (src/backup/wire.ts) of the service, first and again with
 *            nothing changed, timed end to end: reading the claim and the workload, placing,
 *            creating and waiting for a claim pod, the engine run through pods/exec, the
 *            tree measured for the manifest, the pod deleted, the snapshot's full id.
 *   by hand  one pod made as the bot makes it (openClaimPod), its start timed apart; then
 *            the very argv the bot ran (captured from its runner, the repository swapped for
 *            a repository of its own) through the same pods/exec stream, first and again in
 *            the same pod (restic's cache in the pod is warm then), and once more in a fresh
 *            pod (cache empty, as each of the bot's pods starts).
 *
 * Each round uses new repositories (so every first backup is a first one); which side goes
 * first alternates by round. Figures are medians over the rounds. The bot's time is split by
 * the moments its site's operations start and end and the claim pod's store events, so the
 * overhead shows where it goes.
 *
 *   npm run bench:claims                      500 MB in 250 files, 3 rounds
 *   BENCH_SIZE_MB=200 BENCH_FILES=100 BENCH_ROUNDS=1 npm run bench:claims
 *
 * Target (issue 16): a claim's backup by the bot ≤ 1.3× the same restic command run in the
 * same pod by hand. The bot's pod is short-lived, as the issue asks: started for the backup,
 * its restic cache empty. So by hand is the same: a pod made as the bot makes it, started,
 * and the command run in it (pod start + first backup; pod start + unchanged backup in a
 * fresh pod). The command run again in a pod that already ran it is printed beside.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { SqliteBackupLedger } from '../src/store/backup-repo.ts';
import { openDatabase } from '../src/store/database.ts';
import { ResticEngine } from '../src/backup/engines/restic.ts';
import type { EngineCommand, EngineRunner, VolumeSite } from '../src/backup/volume-access.ts';
import { createBackupService } from '../src/backup/wire.ts';
import type { ClusterConfig } from '../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../src/core/catalog.ts';
import { createLogger } from '../src/core/logger.ts';
import type { Platform, VolumeFiles } from '../src/core/platform.ts';
import { connectDocker } from '../src/platforms/docker/client.ts';
import { ClusterClients } from '../src/platforms/kubernetes/client.ts';
import { openClaimPod } from '../src/platforms/kubernetes/claim-pod.ts';
import { claimPodLabel } from '../src/platforms/kubernetes/claim-pod-spec.ts';
import { claimRunner } from '../src/platforms/kubernetes/claim-runner.ts';
import { ClusterPorts } from '../src/platforms/kubernetes/cluster-ports.ts';
import {
  DockerKubelet,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type JsonObject,
} from '../test/fakes/kubernetes/index.ts';
import { call } from '../test/fakes/kubernetes/test-client.ts';
import { busyboxImage } from '../test/helpers/docker.ts';
import { claimEngineImage } from '../test/platforms/kubernetes/claim-engine-image.ts';

const runFile = promisify(execFile);
const sizeMb = Number(process.env['BENCH_SIZE_MB'] ?? 500);
const files = Number(process.env['BENCH_FILES'] ?? 250);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const target = 1.3;
const password = `pw-${randomBytes(12).toString('hex')}`;
const pods = resourceByName('pods');
const claims = resourceByName('persistentvolumeclaims');
const service: ServiceDefinition = {
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

/** Where one backup of the bot spent its time (ms). */
interface Split {
  readonly total: number;
  /** From the start to the claim pod's creation: the claim, the workload, placement, access. */
  readonly beforePod: number;
  /** The claim pod from its creation until it runs (store events). */
  readonly podStart: number;
  /** The first look in the running pod (is the claim empty: one exec of `find`). */
  readonly look: number;
  /** The engine's command in the pod, from its exec to its exit. */
  readonly engine: number;
  /** Listing the tree and the sample digests for the manifest. */
  readonly measure: number;
  /** Deleting the pod. */
  readonly close: number;
  /** The rest: the snapshot's full id (the bot's own restic), the ledger, the report. */
  readonly rest: number;
}

interface Round {
  readonly botFirst: Split;
  readonly botNext: Split;
  readonly handPodStart: number;
  readonly handFirst: number;
  readonly handNext: number;
  readonly handNextFreshPod: number;
  /** One exec of `true` in the pod, there and back (median of 5). */
  readonly execRoundTrip: number;
  readonly botAdded: number;
  readonly handAdded: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function claimYaml(name: string, mode: string): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: [mode], resources: { requests: { storage: '5Gi' } } },
  };
}

/** As in claim-backup.test.ts: root, pinned to node-b, the claim at /data, sleeping. */
const workload: JsonObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app' },
  spec: {
    replicas: 1,
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { app: 'app' } },
    template: {
      metadata: { labels: { app: 'app' } },
      spec: {
        nodeName: 'node-b',
        securityContext: { runAsUser: 0, runAsGroup: 0 },
        containers: [
          {
            name: 'app',
            image: busyboxImage,
            command: ['/bin/busybox', 'sh', '-c', 'exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
    },
  },
};

async function create(fake: FakeKubernetes, path: string, body: JsonObject): Promise<void> {
  const reply = await call(fake, 'POST', path, { body });
  if (reply.status !== 201) throw new Error(`POST ${path}: ${reply.status} ${reply.text}`);
}

async function runningAppPod(fake: FakeKubernetes): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = fake.store.list(pods, 'default').find((p) => {
      const meta = p.metadata as { labels?: Record<string, string> };
      const status = p.status as { phase?: string; containerStatuses?: { ready?: boolean }[] };
      return (
        meta.labels?.['app'] === 'app' &&
        status.phase === 'Running' &&
        (status.containerStatuses ?? []).every((c) => c.ready === true)
      );
    });
    const name = (found?.metadata as { name?: string } | undefined)?.name;
    if (name !== undefined) return name;
    if (Date.now() > deadline) throw new Error('the workload’s pod did not run in 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the bot's site did, with the moments (performance.now()) it started and ended. */
interface Mark {
  readonly what: string;
  readonly start: number;
  end: number;
}

/** The Platform with its claim sites' operations timed; the first engine command kept. */
function timedPlatform(
  platform: Platform,
  marks: Mark[],
  seen: { command?: EngineCommand },
): Platform {
  const files = platform.volumeFiles;
  if (files === undefined) throw new Error('no volume files on the cluster’s platform');
  const mark = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const m: Mark = { what, start: performance.now(), end: 0 };
    marks.push(m);
    try {
      return await work();
    } finally {
      m.end = performance.now();
    }
  };
  const wrapSite = (site: VolumeSite): VolumeSite => {
    const runner: EngineRunner | undefined =
      site.runner === undefined
        ? undefined
        : (command, options) => {
            if (command.args[0] === 'backup') seen.command ??= command;
            return mark(`engine ${command.args[0] ?? ''}`, () =>
              (site.runner as EngineRunner)(command, options),
            );
          };
    return {
      root: site.root,
      runner,
      isEmpty: (signal) => mark('look', () => site.isEmpty(signal)),
      empty: (signal) => site.empty(signal),
      removePaths: (paths, volume, signal) => site.removePaths(paths, volume, signal),
      measure: (options) => mark('measure', () => site.measure(options)),
      compare: (expected, signal) => site.compare(expected, signal),
      close: () => mark('close', () => site.close()),
    };
  };
  const wrapped: VolumeFiles = {
    ...files,
    open: async (volume, mode, signal) => {
      const site = await files.open(volume, mode, signal);
      return site === undefined ? undefined : wrapSite(site);
    },
  };
  // A frozen Platform cannot be proxied with another value for one of its own properties:
  // the proxy's target is an empty object, every property read from the platform.
  return new Proxy({} as Platform, {
    get(_target, property) {
      if (property === 'volumeFiles') return wrapped;
      const value: unknown = Reflect.get(platform, property, platform);
      return typeof value === 'function' ? (value as () => unknown).bind(platform) : value;
    },
    has: (_target, property) => Reflect.has(platform, property),
  });
}

async function main(): Promise<number> {
  if (process.env['DOCKER_HOST'] === undefined)
    throw new Error('run through `npm run bench:claims` (it starts the test Docker engine)');
  const runId = `kc${randomBytes(4).toString('hex')}`;
  const { docker } = connectDocker({ timeoutMs: 30_000 });
  const image = await claimEngineImage();
  const kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    nodes: ['node-a', 'node-b'],
  });
  const fake = await startFakeKubernetes({ kubelet, timeScale: 1 });
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadBefore = load();
  /** Claim pods' store events: name → when it was added and when it first ran. */
  const podTimes = new Map<string, { added: number; running?: number }>();
  fake.store.subscribe((e) => {
    const meta = e.object['metadata'] as { name?: string; labels?: Record<string, string> };
    if (e.resource.kind !== 'Pod' || meta.labels?.[claimPodLabel] === undefined) return;
    const name = meta.name ?? '';
    const now = performance.now();
    const known = podTimes.get(name) ?? { added: now };
    podTimes.set(name, known);
    if (
      known.running === undefined &&
      (e.object['status'] as { phase?: string })?.phase === 'Running'
    )
      known.running = now;
  });
  const results: Round[] = [];
  try {
    const kubeconfig = await fake.kubeconfigPath('pes@lab');
    const core = '/api/v1/namespaces/default';
    await create(fake, `${core}/persistentvolumeclaims`, claimYaml('backups', 'ReadWriteMany'));
    await create(fake, `${core}/persistentvolumeclaims`, claimYaml('data', 'ReadWriteOnce'));
    await create(fake, '/apis/apps/v1/namespaces/default/deployments', workload);
    // The repository claim's volume, made now so that the bot's own restic finds it here too.
    const volume = DockerKubelet.volumeOf(fake.store.mustGet(claims, 'default', 'backups'));
    await docker.createVolume({
      Name: volume,
      Labels: { 'pes.test': '1', 'pes.test.run': runId, 'fake-kubernetes.pvc': 'default/backups' },
    });
    const mountpoint = (await docker.getVolume(volume).inspect()).Mountpoint;
    const clusters = new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]);
    const clients = await new ClusterClients(clusters).get('lab');
    const portsFor = (repositoryPath: string): ClusterPorts =>
      new ClusterPorts(
        new Map<string, ClusterConfig>([
          [
            'lab',
            {
              name: 'lab',
              source: 'kubeconfig',
              kubeconfig,
              context: 'pes@lab',
              backups: { image, startSeconds: 120, repositoryClaim: 'backups', repositoryPath },
            },
          ],
        ]),
      );

    // The data: files of random bytes in 20 folders, written in the workload's pod.
    const appPod = await runningAppPod(fake);
    const perFileKb = Math.max(1, Math.floor((sizeMb * 1024) / files));
    const filled = await portsFor('unused')
      .for(service)
      .exec(
        `default/${appPod}/app`,
        [
          '/bin/busybox',
          'sh',
          '-c',
          `i=0; while [ $i -lt ${files} ]; do mkdir -p /data/d$((i % 20)); ` +
            `dd if=/dev/urandom of=/data/d$((i % 20))/f$i bs=1024 count=${perFileKb} 2>/dev/null; ` +
            'i=$((i+1)); done',
        ],
        {},
      );
    if (filled.exitCode !== 0) throw new Error(`filling the claim: ${filled.stderr}`);

    const initRepository = async (name: string): Promise<void> => {
      await runFile('restic', ['-r', `${mountpoint}/${name}`, 'init', '-q'], {
        env: { ...process.env, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: `${mountpoint}/cache` },
      });
    };
    const seen: { command?: EngineCommand } = {};

    for (let round = 0; round < rounds; round++) {
      const botRepo = `bot-${round}`;
      const handRepo = `hand-${round}`;
      await initRepository(botRepo);
      await initRepository(handRepo);
      const marks: Mark[] = [];
      const platform = timedPlatform(portsFor(botRepo).for(service), marks, seen);
      const backups = createBackupService({
        engine: new ResticEngine({
          repository: `${mountpoint}/${botRepo}`,
          password,
          env: { RESTIC_CACHE_DIR: `${mountpoint}/${botRepo}.cache` },
        }),
        ledger: new SqliteBackupLedger(openDatabase(':memory:')),
        log: createLogger({ level: 'silent' }),
        platform: () => platform,
        databasePasswords: new Map(),
      });
      const botBackup = async (job: string): Promise<{ split: Split; added: number }> => {
        marks.length = 0;
        const podsBefore = new Set(podTimes.keys());
        const start = performance.now();
        const report = await backups.backup(
          service,
          { only: undefined, tags: [], job },
          () => undefined,
          new AbortController().signal,
        );
        const end = performance.now();
        const made = [...podTimes.entries()].filter(([name]) => !podsBefore.has(name));
        const pod = made[0]?.[1];
        if (made.length !== 1 || pod?.running === undefined)
          throw new Error(`the bot's backup made ${made.length} claim pods`);
        const sum = (what: string): number =>
          marks.filter((m) => m.what === what).reduce((n, m) => n + (m.end - m.start), 0);
        const engineMark = marks.find((m) => m.what === 'engine backup');
        const lookMark = marks.find((m) => m.what === 'look');
        if (engineMark === undefined || lookMark === undefined)
          throw new Error('the engine did not run in the pod');
        // The engine runs in the pod opened by the first look: its time starts at its exec.
        const engine = engineMark.end - Math.max(engineMark.start, pod.running);
        const split = {
          total: end - start,
          beforePod: pod.added - start,
          podStart: pod.running - pod.added,
          look: lookMark.end - pod.running,
          engine,
          measure: sum('measure'),
          close: sum('close'),
        };
        return {
          split: {
            ...split,
            rest:
              split.total -
              split.beforePod -
              split.podStart -
              split.look -
              split.engine -
              split.measure -
              split.close,
          },
          added: report.sources[0]?.bytesAdded ?? NaN,
        };
      };
      const bot = async () => {
        const first = await botBackup(`bench-${round}-1`);
        const next = await botBackup(`bench-${round}-2`);
        return { first, next };
      };
      const hand = async () => {
        const command = seen.command;
        if (command === undefined) throw new Error('no engine command of the bot seen yet');
        const open = () =>
          openClaimPod(
            clients,
            { image, startSeconds: 120 },
            { namespace: 'default', claim: 'data', purpose: 'backup', repositoryClaim: 'backups' },
          );
        const settings = { cluster: 'lab', repositoryInClaim: handRepo };
        const runIn = async (pod: Awaited<ReturnType<typeof open>>) => {
          const r = await timed(() => claimRunner(pod, settings)(command, {}));
          if (r.value.exitCode !== 0)
            throw new Error(`restic by hand: exit ${r.value.exitCode}: ${r.value.stderr}`);
          const summary = r.value.stdout
            .split('\n')
            .map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {}))
            .find((l) => l['message_type'] === 'summary');
          return { ms: r.ms, added: Number(summary?.['data_added'] ?? NaN) };
        };
        const started = await timed(open);
        const pod = started.value;
        let first;
        let next;
        const trips: number[] = [];
        try {
          first = await runIn(pod);
          next = await runIn(pod);
          for (let i = 0; i < 5; i++) {
            trips.push((await timed(() => pod.exec(['true'], {}))).ms);
          }
        } finally {
          await pod.delete();
        }
        const fresh = await open();
        let cold;
        try {
          cold = await runIn(fresh);
        } finally {
          await fresh.delete();
        }
        return { podStart: started.ms, first, next, cold, trip: median(trips) };
      };
      let b: Awaited<ReturnType<typeof bot>>;
      let h: Awaited<ReturnType<typeof hand>>;
      // The bot goes first in the first round: its command is the one run by hand.
      if (round % 2 === 0) {
        b = await bot();
        h = await hand();
      } else {
        h = await hand();
        b = await bot();
      }
      results.push({
        botFirst: b.first.split,
        botNext: b.next.split,
        handPodStart: h.podStart,
        handFirst: h.first.ms,
        handNext: h.next.ms,
        handNextFreshPod: h.cold.ms,
        execRoundTrip: h.trip,
        botAdded: b.next.added,
        handAdded: h.next.added,
      });
      console.log(
        `round ${round + 1}: bot ${(b.first.split.total / 1000).toFixed(2)} s / ` +
          `${(b.next.split.total / 1000).toFixed(2)} s, by hand ${(h.first.ms / 1000).toFixed(2)} s / ` +
          `${(h.next.ms / 1000).toFixed(2)} s (load ${load()})`,
      );
    }
  } finally {
    await fake.close();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`pes.test.run=${runId}`] },
    });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    const { Volumes } = await docker.listVolumes({
      filters: { label: [`pes.test.run=${runId}`] },
    });
    await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true })));
  }
  if (kubelet.errors.length > 0) console.log(`kubelet errors: ${kubelet.errors.join('; ')}`);
  return report(results, loadBefore, load());
}

function report(results: readonly Round[], loadBefore: string, loadAfter: string): number {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const m = (pick: (r: Round) => number): number => median(results.map(pick));
  console.log(
    `claim backup on Kubernetes (fake API server, pods as containers), restic, ${sizeMb} MB in ` +
      `${files} files; medians of ${results.length} round(s)`,
  );
  let missed = 0;
  const row = (what: string, bot: number, hand: number): void => {
    const ratio = bot / hand;
    const pass = ratio <= target;
    if (!pass) missed++;
    console.log(
      `  ${what.padEnd(24)} bot ${s(bot).padStart(8)} | by hand, pod start and command ` +
        s(hand).padStart(8) +
        ` | ${ratio.toFixed(2)}× (target ≤ ${target}×) ${pass ? 'PASS' : 'MISS'}`,
    );
  };
  // Each of the bot's backups starts a pod of its own, whose restic cache is empty (issue 16
  // asks for a short-lived pod): by hand, the same is a pod started and the command run in it
  // once. The same command again in a pod that already ran it is printed beside, not a target:
  // no short-lived pod can have that pod's start behind it and its cache warm.
  row(
    'first backup',
    m((r) => r.botFirst.total),
    m((r) => r.handPodStart + r.handFirst),
  );
  row(
    'next backup, unchanged',
    m((r) => r.botNext.total),
    m((r) => r.handPodStart + r.handNextFreshPod),
  );
  console.log(
    `  by hand: pod start ${s(m((r) => r.handPodStart))}, first backup ${s(m((r) => r.handFirst))}, ` +
      `unchanged backup in that fresh pod (restic's cache empty) ` +
      `${s(m((r) => r.handNextFreshPod))}, and again in a pod that ran it already (cache warm) ` +
      `${s(m((r) => r.handNext))}: the bot's unchanged backup is ` +
      `${(m((r) => r.botNext.total) / m((r) => r.handNext)).toFixed(2)}× that`,
  );
  console.log(
    `  added by the unchanged backup: bot ${m((r) => r.botAdded).toFixed(0)} B, by hand ` +
      `${m((r) => r.handAdded).toFixed(0)} B`,
  );
  for (const [what, pick] of [
    ['first', (r: Round) => r.botFirst],
    ['next', (r: Round) => r.botNext],
  ] as const) {
    const part = (key: keyof Split): string => s(m((r) => pick(r)[key]));
    console.log(
      `  the bot's ${what} backup: before the pod ${part('beforePod')}, pod start ` +
        `${part('podStart')}, first look ${part('look')}, restic in the pod ${part('engine')}, ` +
        `measure ${part('measure')}, ` +
        `pod delete ${part('close')}, rest ${part('rest')}`,
    );
  }
  console.log(
    `  one exec in the pod, there and back: ${s(m((r) => r.execRoundTrip))}; the bot's backup ` +
      'runs three (look, restic, and the measure: the bot’s own walk started in the pod, ' +
      'node src/backup/tree-measure-cli.ts), by hand one',
  );
  console.log(`  load average at start ${loadBefore}, at end ${loadAfter} (2 cores shared)`);
  return missed === 0 ? 0 : 1;
}

process.exitCode = await main();
