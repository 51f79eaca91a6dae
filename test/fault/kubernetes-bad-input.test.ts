/**
 * The bad-input corpus for services on a cluster (README "Kubernetes clusters"), through the
 * real `pes` (bin/pes.js) against the fake API server: what people and clusters get wrong,
 * each with the exit code it must give and the one line it must show, in Russian and in
 * English, and nothing changed — no request other than reads, access reviews and dry runs
 * reached the server, and the Deployment is as it was.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOW_ALL,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../fakes/kubernetes/index.ts';
import { call } from '../fakes/kubernetes/test-client.ts';
import { runPes, tempWorkdir } from '../helpers/cli.ts';

let fake: FakeKubernetes;
let dir: string;
let kubeconfig: string;
let deadKubeconfig: string;

type Lines = { readonly ru: string; readonly en: string };

interface Row {
  readonly name: string;
  readonly args: readonly string[];
  /** The service entry of `moodle` (YAML, indented by four), or a whole other file. */
  readonly service?: string;
  readonly clusters?: string;
  /** Arranges the server before the run and puts it back after. */
  readonly arrange?: () => () => void;
  readonly exit: number;
  /** The start of the first line on stderr, per language. */
  readonly line: Lines;
  /** What the line must also say, in any language (a configuration problem's path). */
  readonly detail?: string;
  /** The stable code by `--json`; undefined where the configuration is refused at load. */
  readonly code?: string;
}

const moodle = `
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, name: moodle }
    scale: { min: 0, max: 3 }
    health: { timeoutSeconds: 30 }`;

function configFile(row: Row): string {
  return `
state: { path: state/pes.db }
clusters:
${row.clusters ?? `  lab: { kubeconfig: ${kubeconfig}, context: pes@lab }`}
services:
  moodle:${row.service ?? moodle}
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
`;
}

/** A configuration refused at load: the frame in the caller's language, the problem's path. */
const configError: Lines = { ru: 'pes: Ошибка в конфигурации', en: 'pes: Invalid configuration' };

const rows: readonly Row[] = [
  {
    name: 'a cluster the configuration does not have',
    args: ['status', 'moodle'],
    service: moodle.replace('cluster: lab', 'cluster: nowhere'),
    exit: 2,
    line: configError,
    detail: 'services.moodle.cluster',
  },
  {
    name: 'a context the kubeconfig does not have',
    args: ['status', 'moodle'],
    clusters: '  lab: { kubeconfig: KUBECONFIG, context: pes@elsewhere }',
    exit: 2,
    line: configError,
    detail: 'clusters.lab.context',
  },
  {
    name: 'a kubeconfig that is not there',
    args: ['status', 'moodle'],
    clusters: '  lab: { kubeconfig: DIR/missing.yaml, context: pes@lab }',
    exit: 2,
    line: configError,
    detail: 'clusters.lab.kubeconfig',
  },
  {
    // Tests run as root, for whom no file mode is unreadable: a directory cannot be read.
    name: 'a kubeconfig that cannot be read',
    args: ['status', 'moodle'],
    clusters: '  lab: { kubeconfig: DIR/a-directory, context: pes@lab }',
    exit: 2,
    line: configError,
    detail: 'clusters.lab.kubeconfig',
  },
  {
    name: 'a namespace that is not a DNS-1123 label',
    args: ['status', 'moodle'],
    service: moodle.replace('namespace: lms', 'namespace: LMS_prod'),
    exit: 2,
    line: configError,
    detail: 'services.moodle.namespace',
  },
  {
    name: 'a workload name that is not a DNS-1123 subdomain',
    args: ['status', 'moodle'],
    service: moodle.replace('name: moodle }', 'name: "../moodle" }'),
    exit: 2,
    line: configError,
    detail: 'services.moodle.workload.name',
  },
  {
    name: 'a namespace the cluster does not have',
    args: ['scale', 'moodle', '2', '--yes'],
    service: moodle.replace('namespace: lms', 'namespace: nowhere'),
    exit: 1,
    code: 'kubernetes-workload-missing',
    line: {
      ru: 'В пространстве имён nowhere кластера lab нет Deployment moodle.',
      en: 'There is no Deployment moodle in namespace nowhere of cluster lab.',
    },
  },
  {
    name: 'a workload that does not exist',
    args: ['update', 'moodle', '4.5.2', '--yes'],
    service: moodle.replace('name: moodle }', 'name: moodel }'),
    exit: 1,
    code: 'kubernetes-workload-missing',
    line: {
      ru: 'В пространстве имён lms кластера lab нет Deployment moodel.',
      en: 'There is no Deployment moodel in namespace lms of cluster lab.',
    },
  },
  {
    name: 'a workload of another kind',
    args: ['restart', 'moodle', '--yes'],
    service: moodle.replace('kind: Deployment', 'kind: StatefulSet'),
    exit: 1,
    code: 'kubernetes-workload-missing',
    line: {
      ru: 'В пространстве имён lms кластера lab нет StatefulSet moodle.',
      en: 'There is no StatefulSet moodle in namespace lms of cluster lab.',
    },
  },
  {
    name: 'an image reference with shell characters',
    args: ['update', 'moodle', '4.5;rm -rf /', '--yes'],
    exit: 2,
    code: 'update-bad-target',
    line: {
      ru: '«4.5;rm -rf /» — не тег образа и не образ@sha256:… — ничего не изменено.',
      en: '"4.5;rm -rf /" is neither an image tag nor image@sha256:…; nothing was changed.',
    },
  },
  {
    name: 'an image reference that climbs out with ../',
    args: ['update', 'moodle', 'registry.test/../moodle:4.5.2', '--yes'],
    exit: 2,
    code: 'update-bad-target',
    line: {
      ru: '«registry.test/../moodle:4.5.2» — не тег образа и не образ@sha256:… — ничего не изменено.',
      en: '"registry.test/../moodle:4.5.2" is neither an image tag nor image@sha256:…; nothing was changed.',
    },
  },
  {
    name: 'a token the server refuses (401)',
    args: ['scale', 'moodle', '2', '--yes'],
    arrange: () => {
      fake.setToken('another-token');
      return () => fake.setToken('fake-token');
    },
    exit: 1,
    code: 'kubernetes-unauthorized',
    line: {
      ru: 'Кластер lab не принял учётные данные бота (401)',
      en: 'Cluster lab refused the bot',
    },
  },
  {
    name: 'an account the server forbids (403)',
    args: ['scale', 'moodle', '2', '--yes'],
    arrange: () => {
      fake.setRules([
        { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] },
      ]);
      return () => fake.setRules(ALLOW_ALL);
    },
    exit: 1,
    code: 'kubernetes-forbidden',
    line: {
      ru: 'Учётной записи бота запрещено действие update над deployments/scale в пространстве имён lms: выдайте право update на deployments.apps/scale.',
      en: "The bot's account may not update deployments/scale in namespace lms: grant verb update on deployments.apps/scale.",
    },
  },
  {
    name: 'an API server that does not answer',
    args: ['scale', 'moodle', '2', '--yes'],
    clusters: '  lab: { kubeconfig: DEAD, context: pes@lab }',
    exit: 1,
    code: 'kubernetes-unreachable',
    line: {
      ru: 'API-сервер кластера lab не отвечает (ECONNREFUSED) — ничего не изменено.',
      en: 'The API server of cluster lab does not answer (ECONNREFUSED); nothing was changed.',
    },
  },
];

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const created = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'moodle' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'moodle' } },
        template: {
          metadata: { labels: { app: 'moodle' } },
          spec: { containers: [{ name: 'app', image: 'registry.test/moodle:4.5.1' }] },
        },
      },
    },
  });
  expect(created.status).toBe(201);
  kubeconfig = await fake.kubeconfigPath('pes@lab');
  dir = tempWorkdir('').dir;
  mkdirSync(join(dir, 'a-directory'));
  // A server that was there and is gone: its port answers nothing.
  const dead = await startFakeKubernetes();
  deadKubeconfig = join(dir, 'dead-kubeconfig.yaml');
  copyFileSync(await dead.kubeconfigPath('pes@lab'), deadKubeconfig);
  await dead.close();
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

/** Requests that could have changed something: not reads, access reviews or dry runs. */
function writes(): number {
  return fake.requests.filter(
    (r) =>
      r.method !== 'GET' &&
      !r.path.endsWith('/selfsubjectaccessreviews') &&
      new URLSearchParams(r.query).get('dryRun') !== 'All',
  ).length;
}

function deployment(): unknown {
  return fake.store.get(resourceByName('deployments'), 'lms', 'moodle');
}

function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('bad input for a service on a cluster: one line, its exit code, nothing changed', () => {
  it.each(rows)(
    '$name',
    async (row) => {
      const text = configFile(row)
        .replace('KUBECONFIG', kubeconfig)
        .replace('DEAD', deadKubeconfig)
        .replaceAll('DIR', dir);
      const workdir = tempWorkdir(text);
      const undo = row.arrange?.();
      try {
        const before = { writes: writes(), deployment: deployment() };
        for (const lang of ['ru', 'en'] as const) {
          const shown = await runPes(['--config', workdir.config, '--lang', lang, ...row.args], {
            cwd: workdir.dir,
          });
          expect(shown.code, shown.stderr).toBe(row.exit);
          expect(shown.stdout).toBe('');
          const lines = linesOf(shown.stderr);
          expect(lines.length, shown.stderr).toBeLessThanOrEqual(2);
          expect(lines[0], shown.stderr).toContain(row.line[lang]);
          if (row.detail !== undefined) expect(lines[0], shown.stderr).toContain(row.detail);
        }
        if (row.code !== undefined) {
          const asJson = await runPes(['--config', workdir.config, '--json', ...row.args], {
            cwd: workdir.dir,
          });
          expect(asJson.code, asJson.stderr).toBe(row.exit);
          expect((JSON.parse(asJson.stdout) as { errorCode?: string }).errorCode).toBe(row.code);
        }
        expect(writes()).toBe(before.writes);
        expect(deployment()).toEqual(before.deployment);
      } finally {
        undo?.();
      }
      // Three runs of `pes`, each a fresh Node process: generous on a loaded machine.
    },
    90_000,
  );
});
