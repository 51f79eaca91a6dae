/**
 * The bot on a Kubernetes cluster against kubectl, in the same run, on the same fake API
 * server (test/fakes/kubernetes) whose pods are real containers on the test Docker engine
 * (its DockerKubelet, network none, readiness from an exec probe run in the container):
 *
 * - `status` of 20 services (20 Deployments of one pod each) against
 *   `kubectl get deploy,pods` of the same namespace;
 * - `update` of a 3-replica Deployment to a good image, and to a broken one that the bot
 *   undoes by itself, against the same steps typed as kubectl commands.
 *
 * The bot runs as an admin runs it, two ways: one `./pes --config FILE …` process per command
 * (its start, loading the code and the Kubernetes client, included), and commands typed at
 * the prompt of a running `./pes serve` (how the bot runs for the messengers: the code is
 * loaded, the client built; timed from typing to the next prompt).
 *
 * A process is timed from its spawn to its exit, kubectl's steps from the first spawn to the
 * last exit. Peak memory is a process's maximum resident set size as GNU time reports it
 * (getrusage's ru_maxrss of the exec'd program), and for `pes serve` its VmHWM (proc(5)) at
 * the end of its session. Which of the three goes first moves on by one each round.
 *
 *   npm run bench:kubernetes            BENCH_ROUNDS=N status rounds (default 15),
 *                                       BENCH_UPDATE_ROUNDS=N update rounds (default 3)
 *
 * Targets (issue 14): the bot ≤ 1.1× kubectl on each figure, its peak RSS ≤ 150 MB.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDocker } from '../src/platforms/docker/client.ts';
import { freePort, ServeSession } from './serve-session.ts';
import {
  DockerKubelet,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type Json,
} from '../test/fakes/kubernetes/index.ts';
import { at } from '../test/fakes/kubernetes/json.ts';
import { call } from '../test/fakes/kubernetes/test-client.ts';
import { kubectlPath } from '../test/helpers/kubectl.ts';

const statusRounds = Number(process.env['BENCH_ROUNDS'] ?? 15);
const updateRounds = Number(process.env['BENCH_UPDATE_ROUNDS'] ?? 3);
const services = 20;
const replicas = 3;
const ratioTarget = 1.1;
const rssTargetMb = 150;
/**
 * The broken update fails when the Deployment passes its progress deadline (the fake runs in
 * real time, timeScale 1): both sides wait for that same condition, so this much of the
 * broken figure is the same on both sides by construction.
 */
const progressDeadlineSeconds = 8;
/** The bot's health timeout, and kubectl's `--timeout`: the same bound for both. */
const timeoutSeconds = 120;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const statusNamespace = 'bench-status';
const updateNamespace = 'bench-update';

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Peak resident memory of the program, MB (GNU time's %M is in KiB). */
  readonly rssMb: number;
}

/**
 * Runs one program under GNU time (`-f %M -o FILE`: its peak RSS, written where the
 * program's own output cannot mix with it) and times it from spawn to exit.
 */
function timedRun(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Finished> {
  const rssFile = join(cwd, `rss-${randomBytes(4).toString('hex')}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...argv], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
      rmSync(rssFile, { force: true });
      resolve({ code, stdout, stderr, ms, rssMb: kb / 1024 });
    });
  });
}

/** Runs steps one after the other; their times add up, the peak is the highest one's. */
async function sequence(
  steps: readonly (() => Promise<Finished>)[],
): Promise<{ ms: number; rssMb: number; results: Finished[] }> {
  const results: Finished[] = [];
  const started = performance.now();
  for (const step of steps) results.push(await step());
  return {
    ms: performance.now() - started,
    rssMb: Math.max(...results.map((r) => r.rssMb)),
    results,
  };
}

function expectCode(what: string, r: Finished, code: number, text?: string): void {
  if (r.code !== code || (text !== undefined && !`${r.stdout}${r.stderr}`.includes(text))) {
    throw new Error(
      `${what}: exit ${r.code ?? '?'} (wanted ${code}${text === undefined ? '' : `, "${text}"`})\n${r.stdout}${r.stderr}`.slice(
        0,
        4000,
      ),
    );
  }
}

function deployment(
  name: string,
  count: number,
  image: string,
  container: Record<string, Json>,
): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: count,
      progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, ...container }] },
      },
    },
  };
}

async function create(fake: FakeKubernetes, namespace: string, body: Json): Promise<void> {
  const reply = await call(fake, 'POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    body,
  });
  if (reply.status !== 201) throw new Error(`create: ${reply.status} ${reply.text}`);
}

/** Until every Deployment of the namespace is rolled out (kubectl's rule, from the store). */
async function settled(fake: FakeKubernetes, namespace: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const all = fake.store.list(resourceByName('deployments'), namespace);
    const done = all.every((d) => {
      const want = Number(at(d, 'spec', 'replicas') ?? 1);
      return (
        Number(at(d, 'status', 'observedGeneration') ?? 0) >=
          Number(at(d, 'metadata', 'generation') ?? 0) &&
        Number(at(d, 'status', 'updatedReplicas') ?? 0) === want &&
        Number(at(d, 'status', 'replicas') ?? 0) === want &&
        Number(at(d, 'status', 'availableReplicas') ?? 0) === want
      );
    });
    if (done) return;
    if (Date.now() > deadline) throw new Error(`${namespace}: not rolled out in 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function imageOf(fake: FakeKubernetes, name: string): string {
  const d = fake.store.mustGet(resourceByName('deployments'), updateNamespace, name);
  const containers = at(d, 'spec', 'template', 'spec', 'containers') as { image: string }[];
  return containers[0]?.image ?? '';
}

function configText(kubeconfig: string, names: readonly string[], namespace: string): string {
  return [
    'locale: en',
    'state: { path: state/pes.db }',
    'log: { level: warn }',
    'clusters:',
    `  bench: { kubeconfig: ${JSON.stringify(kubeconfig)}, context: bench }`,
    'services:',
    ...names.flatMap((name) => [
      `  ${name}:`,
      '    platform: kubernetes',
      '    cluster: bench',
      `    namespace: ${namespace}`,
      `    workload: { kind: Deployment, name: ${name} }`,
      '    scale: { min: 1, max: 5 }',
      `    health: { timeoutSeconds: ${timeoutSeconds} }`,
    ]),
    'roles:',
    "  admin: { members: ['local:@me'], commands: ['*'] }",
    '',
  ].join('\n');
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface Figure {
  readonly what: string;
  readonly bot: number[];
  readonly kubectl: number[];
}

interface Served {
  readonly ms: number;
  readonly text: string;
}

/** The sides of a round one after the other, the first one moving on by one each round. */
async function turns(round: number, sides: readonly (() => Promise<void>)[]): Promise<void> {
  for (let i = 0; i < sides.length; i++) await sides[(round + i) % sides.length]?.();
}

async function main(): Promise<number> {
  if (
    process.env['DOCKER_HOST'] === undefined ||
    process.env['PES_TEST_KUBECTL_LAYER'] === undefined
  )
    throw new Error('run through `npm run bench:kubernetes` (it starts the engine, finds kubectl)');
  const kubectlBin = await kubectlPath();
  const runId = `kb${randomBytes(4).toString('hex')}`;
  const { docker } = connectDocker({ timeoutMs: 30_000 });
  const kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
  });
  const fake = await startFakeKubernetes({
    kubelet,
    timeScale: 1,
    namespaces: [statusNamespace, updateNamespace],
  });
  const dir = mkdtempSync(join(tmpdir(), 'pes-bench-kube-'));
  const kubeconfig = await fake.kubeconfigPath('bench');
  // kubectl's discovery cache lives under $HOME/.kube/cache: warm after the first call, as on
  // an admin's machine.
  const kubectlEnv = { KUBECONFIG: kubeconfig, HOME: dir, PATH: process.env['PATH'] ?? '/bin' };
  const pesEnv: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: dir,
    LANG: 'C.UTF-8',
    // The compile cache of ./pes (bin/pes.js): warm after the first start, as on a machine
    // where the bot has run before.
    NODE_COMPILE_CACHE: join(dir, 'node-compile-cache'),
  };
  const statusNames = Array.from(
    { length: services },
    (_, i) => `svc-${String(i + 1).padStart(2, '0')}`,
  );
  const statusConfig = join(dir, 'status.yaml');
  writeFileSync(statusConfig, configText(kubeconfig, statusNames, statusNamespace));
  const updateConfig = join(dir, 'update.yaml');
  writeFileSync(updateConfig, configText(kubeconfig, ['app'], updateNamespace));

  const kubectl =
    (...args: string[]) =>
    (): Promise<Finished> =>
      timedRun([kubectlBin, ...args], kubectlEnv, dir);
  const pes =
    (config: string, ...args: string[]) =>
    (): Promise<Finished> =>
      timedRun([join(root, 'pes'), '--config', config, ...args], pesEnv, dir);

  const figures: Figure[] = [];
  const peaks = { pes: 0, kubectl: 0 };
  let servePeakMb = 0;
  const note = (side: 'pes' | 'kubectl', rssMb: number): void => {
    peaks[side] = Math.max(peaks[side], rssMb);
  };
  const serve = async (config: string): Promise<ServeSession> => {
    const session = new ServeSession([join(root, 'pes'), '--config', config, 'serve'], {
      cwd: dir,
      env: { ...pesEnv, PES_PORT: String(await freePort()) },
    });
    try {
      await session.started();
    } catch (error) {
      session.kill();
      throw error;
    }
    return session;
  };
  /** A command typed at the prompt, timed to the next prompt; `y` to its confirmation. */
  const typed = async (session: ServeSession, line: string, confirm: boolean): Promise<Served> => {
    const from = session.mark;
    const started = performance.now();
    if (confirm) {
      session.type(line);
      await session.waitFor('[y/N]', from);
      const answer = await session.run('y', '');
      return { ms: performance.now() - started, text: answer };
    }
    const answer = await session.run(line, '');
    return { ms: performance.now() - started, text: answer };
  };
  let session: ServeSession | undefined;
  try {
    // 20 services of one pod each: busybox sleeping, no probe (ready once running).
    for (const name of statusNames) {
      await create(
        fake,
        statusNamespace,
        deployment(name, 1, 'pes-test/busybox:1', { command: ['sleep', '3600'] }),
      );
    }
    await settled(fake, statusNamespace);

    // ---- status ----
    const statusOnce: Figure = { what: `status, ${services} services: pes`, bot: [], kubectl: [] };
    const statusServe: Figure = {
      what: `status, ${services} services: pes serve`,
      bot: [],
      kubectl: [],
    };
    figures.push(statusOnce, statusServe);
    const allUp = (what: string, text: string): void => {
      const up = statusNames.filter((n) => text.includes(`${n} — up`));
      if (up.length !== services) throw new Error(`${what}: ${up.length} services up\n${text}`);
    };
    const kubectlGet = kubectl('get', 'deploy,pods', '-n', statusNamespace);
    // Warm-up, not counted: the compile cache and kubectl's discovery cache are written.
    await pes(statusConfig, 'status')();
    await kubectlGet();
    session = await serve(statusConfig);
    await typed(session, 'status', false);
    const statusServed = session;
    for (let round = 0; round < statusRounds; round++) {
      // kubectl's one figure is the baseline of both rows; the three take turns going first.
      let kubectlMs = 0;
      await turns(round, [
        async () => {
          const r = await kubectlGet();
          expectCode('kubectl get', r, 0, statusNames.at(-1));
          kubectlMs = r.ms;
          note('kubectl', r.rssMb);
        },
        async () => {
          const r = await pes(statusConfig, 'status')();
          expectCode('pes status', r, 0);
          allUp('pes status', r.stdout);
          statusOnce.bot.push(r.ms);
          note('pes', r.rssMb);
        },
        async () => {
          const r = await typed(statusServed, 'status', false);
          allUp('pes serve: status', r.text);
          statusServe.bot.push(r.ms);
        },
      ]);
      statusOnce.kubectl.push(kubectlMs);
      statusServe.kubectl.push(kubectlMs);
    }
    servePeakMb = Math.max(servePeakMb, session.usage().peakMb);
    await session.exit();
    session = undefined;

    // Only the update's pods from here on.
    await call(fake, 'DELETE', `/api/v1/namespaces/${statusNamespace}`);

    // ---- update ----
    // /health is the image's health check: it passes in pes-test/app:1 and :2, fails in :3.
    await create(
      fake,
      updateNamespace,
      deployment('app', replicas, 'pes-test/app:1', {
        readinessProbe: { exec: { command: ['/health'] }, periodSeconds: 1 },
      }),
    );
    await settled(fake, updateNamespace);
    const goodOnce: Figure = { what: `update, good image: pes`, bot: [], kubectl: [] };
    const goodServe: Figure = { what: `update, good image: pes serve`, bot: [], kubectl: [] };
    const brokenOnce: Figure = { what: `update, broken → undone: pes`, bot: [], kubectl: [] };
    const brokenServe: Figure = {
      what: `update, broken → undone: pes serve`,
      bot: [],
      kubectl: [],
    };
    figures.push(goodOnce, goodServe, brokenOnce, brokenServe);
    // What each side waits for. The bot (`update app <tag>`): its SelfSubjectAccessReview,
    // the patch, then a list + watch of the Deployment until kubectl's own rollout-status rule
    // (src/platforms/kubernetes/rollout-status.ts: observedGeneration, updated = replicas =
    // available, or ProgressDeadlineExceeded) says done or failed, bounded by the health
    // timeout; then it lists the new pods for its report. On failure it reads pods and events
    // for the reason, writes the earlier template back and waits again by the same rule.
    // kubectl: `set image`, then `rollout status` (the same rule in rollout_status.go, over a
    // watch, `--timeout` = the bot's health timeout), and for the broken image `rollout undo`
    // and `rollout status` again. Same Deployment, same fake, same probe, same deadline.
    let current = 1;
    const other = (): number => (current === 1 ? 2 : 1);
    const check = async (): Promise<void> => {
      await settled(fake, updateNamespace);
      const image = imageOf(fake, 'app');
      if (image !== `pes-test/app:${current}`)
        throw new Error(`app runs ${image}, not :${current}`);
    };
    const rolloutStatus = kubectl(
      '-n',
      updateNamespace,
      'rollout',
      'status',
      'deployment/app',
      `--timeout=${timeoutSeconds}s`,
    );
    const kubectlGood = async (): Promise<number> => {
      const to = other();
      const r = await sequence([
        kubectl('-n', updateNamespace, 'set', 'image', 'deployment/app', `app=pes-test/app:${to}`),
        rolloutStatus,
      ]);
      for (const step of r.results) expectCode('kubectl update', step, 0);
      note('kubectl', r.rssMb);
      current = to;
      await check();
      return r.ms;
    };
    const kubectlBroken = async (): Promise<number> => {
      const r = await sequence([
        kubectl('-n', updateNamespace, 'set', 'image', 'deployment/app', 'app=pes-test/app:3'),
        rolloutStatus,
        kubectl('-n', updateNamespace, 'rollout', 'undo', 'deployment/app'),
        rolloutStatus,
      ]);
      const [set, wait, undo, back] = r.results;
      if (set === undefined || wait === undefined || undo === undefined || back === undefined)
        throw new Error('kubectl steps missing');
      expectCode('kubectl set image (broken)', set, 0);
      expectCode('kubectl rollout status (broken)', wait, 1, 'exceeded its progress deadline');
      expectCode('kubectl rollout undo', undo, 0);
      expectCode('kubectl rollout status (undone)', back, 0);
      note('kubectl', r.rssMb);
      await check();
      return r.ms;
    };
    const pesGood = async (): Promise<number> => {
      const to = other();
      const r = await pes(updateConfig, '--yes', 'update', 'app', String(to))();
      expectCode('pes update', r, 0);
      note('pes', r.rssMb);
      current = to;
      await check();
      return r.ms;
    };
    const pesBroken = async (): Promise<number> => {
      const r = await pes(updateConfig, '--yes', 'update', 'app', '3')();
      expectCode('pes update (broken)', r, 1, 'rolled back');
      note('pes', r.rssMb);
      await check();
      return r.ms;
    };
    session = await serve(updateConfig);
    const updateServed = session;
    const serveGood = async (): Promise<number> => {
      const to = other();
      const r = await typed(updateServed, `update app ${to}`, true);
      if (r.text.includes('rolled back')) throw new Error(`pes serve: update\n${r.text}`);
      current = to;
      await check();
      return r.ms;
    };
    const serveBroken = async (): Promise<number> => {
      const r = await typed(updateServed, 'update app 3', true);
      if (!r.text.includes('rolled back')) throw new Error(`pes serve: broken update\n${r.text}`);
      await check();
      return r.ms;
    };
    for (let round = 0; round < updateRounds; round++) {
      // Each figure pairs the bot's run with kubectl's run of the same round.
      const good = { kubectl: 0, once: 0, serve: 0 };
      await turns(round, [
        async () => void (good.kubectl = await kubectlGood()),
        async () => void (good.once = await pesGood()),
        async () => void (good.serve = await serveGood()),
      ]);
      goodOnce.kubectl.push(good.kubectl);
      goodServe.kubectl.push(good.kubectl);
      goodOnce.bot.push(good.once);
      goodServe.bot.push(good.serve);
      const broken = { kubectl: 0, once: 0, serve: 0 };
      await turns(round, [
        async () => void (broken.kubectl = await kubectlBroken()),
        async () => void (broken.once = await pesBroken()),
        async () => void (broken.serve = await serveBroken()),
      ]);
      brokenOnce.kubectl.push(broken.kubectl);
      brokenServe.kubectl.push(broken.kubectl);
      brokenOnce.bot.push(broken.once);
      brokenServe.bot.push(broken.serve);
    }
    servePeakMb = Math.max(servePeakMb, session.usage().peakMb);
    await session.exit();
    session = undefined;
  } finally {
    session?.kill();
    await fake.close();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`pes.test.run=${runId}`] },
    });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    rmSync(dir, { recursive: true, force: true });
  }
  if (kubelet.errors.length > 0) console.log(`kubelet errors: ${kubelet.errors.join('; ')}`);
  if (fake.controllerErrors.length > 0)
    console.log(`controller errors: ${fake.controllerErrors.join('; ')}`);

  console.log(
    `pes-bot on Kubernetes (fake API server, pods as containers): ${statusRounds} status rounds, ${updateRounds} update rounds; kubectl = baseline`,
  );
  console.log(
    'operation'.padEnd(40) +
      'bot ms (p50/p95)'.padStart(20) +
      'kubectl ms (p50/p95)'.padStart(24) +
      'bot/kubectl'.padStart(13) +
      '  target',
  );
  let missed = 0;
  for (const f of figures) {
    const ratio = percentile(f.bot, 50) / percentile(f.kubectl, 50);
    const pass = ratio <= ratioTarget;
    if (!pass) missed++;
    const both = (values: number[]): string =>
      `${percentile(values, 50).toFixed(0)} / ${percentile(values, 95).toFixed(0)}`;
    console.log(
      f.what.padEnd(40) +
        both(f.bot).padStart(20) +
        both(f.kubectl).padStart(24) +
        ratio.toFixed(2).padStart(13) +
        `  ≤ ${ratioTarget}×: ${pass ? 'PASS' : 'MISS'}`,
    );
  }
  for (const [what, mb] of [
    ['one `pes` process', peaks.pes],
    ['`pes serve` (the whole session)', servePeakMb],
  ] as const) {
    const pass = mb <= rssTargetMb;
    if (!pass) missed++;
    console.log(
      `peak RSS, ${what}: ${mb.toFixed(1)} MB; target ≤ ${rssTargetMb} MB: ${pass ? 'PASS' : 'MISS'}`,
    );
  }
  console.log(`peak RSS, one kubectl process: ${peaks.kubectl.toFixed(1)} MB`);
  return missed === 0 ? 0 : 1;
}

process.exitCode = await main();
