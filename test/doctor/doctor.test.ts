/**
 * `pes doctor` against real servers: the test Docker engine, restic and borg repositories,
 * Alertmanager (scripts/test-env.sh), and the Mattermost and Matrix protocol fakes. Golden
 * files hold whole reports in both languages; what differs between runs (temporary paths,
 * ports, versions, sizes) is replaced by placeholders first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupEngine } from '../../src/backup/engines/factory.ts';
import { actionsPath } from '../../src/chat/mattermost/adapter.ts';
import type { Locale } from '../../src/core/i18n.ts';
import { runDoctor } from '../../src/doctor/run.ts';
import { startHttpServer } from '../../src/server/http.ts';
import { openDatabase } from '../../src/store/database.ts';
import { FakeMattermost } from '../fakes/mattermost/index.ts';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { leaveStaleResticLock, repoPassword } from '../integration/backup-helpers.ts';
import {
  requireAlertmanager,
  startAlertmanager,
  type Alertmanager,
} from '../integration/alerts-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'pes-doctor-'));
const slashToken = 'slash-token-0123456789abcdef';
const actionSecret = 'action-secret-0123456789abcdef';
/** Long enough for a loaded machine: a check that times out fails the test as it should. */
const timeoutMs = 20_000;

let bed: DockerTestBed;
let project: string;
let mattermost: FakeMattermost;
let homeserver: FakeHomeserver;
let matrixUser: { userId: string; deviceId: string; accessToken: string };
let alertmanager: Alertmanager;
const repos = {
  restic: join(dir, 'restic'),
  resticLocked: join(dir, 'restic-locked'),
  borg: join(dir, 'borg'),
  missing: join(dir, 'no-repo-here'),
};

interface Setup {
  readonly dockerHost?: string;
  readonly engine?: 'restic' | 'borg';
  readonly repository?: string;
  readonly password?: string;
  readonly botToken?: string;
  readonly slashTokens?: boolean;
  readonly publicUrl?: string;
  readonly deviceId?: string;
  readonly alertmanagerUrl?: string;
  readonly service?: string;
  readonly port?: number;
}

function configFor(setup: Setup): { path: string; env: NodeJS.ProcessEnv } {
  const yaml = [
    'locale: en',
    `state: { path: ${join(dir, 'state', 'pes.db')} }`,
    `server: { host: 127.0.0.1, port: ${setup.port ?? 1} }`,
    'services:',
    '  web:',
    `    containers: { compose: { project: ${project}, service: ${setup.service ?? 'app'} } }`,
    'backup:',
    `  engine: ${setup.engine ?? 'restic'}`,
    `  repository: ${setup.repository ?? repos.restic}`,
    "  password: '${PES_BACKUP_PASSWORD}'",
    "  env: { RESTIC_CACHE_DIR: '${PES_CACHE}', BORG_BASE_DIR: '${PES_BORG_BASE}' }",
    'mattermost:',
    `  url: ${mattermost.url}`,
    "  botToken: '${PES_MM_TOKEN}'",
    ...(setup.slashTokens === false ? [] : ["  slashTokens: ['${PES_MM_SLASH}']"]),
    ...(setup.publicUrl === undefined
      ? []
      : [`  publicUrl: ${setup.publicUrl}`, "  actionSecret: '${PES_MM_ACTIONS}'"]),
    'matrix:',
    `  homeserverUrl: ${homeserver.url}`,
    `  userId: '${matrixUser.userId}'`,
    "  accessToken: '${PES_MX_TOKEN}'",
    "  deviceId: '${PES_MX_DEVICE}'",
    "  encryption: { passphrase: '${PES_MX_PASSPHRASE}' }",
    'alerts:',
    "  token: '${PES_ALERTS_TOKEN}'",
    `  alertmanagerUrl: ${setup.alertmanagerUrl ?? alertmanager.url}`,
    "  defaultRoom: 'mattermost:abcdefghijklmnopqrstuvwxyz'",
    '',
  ].join('\n');
  const path = join(dir, 'pes.yaml');
  writeFileSync(path, yaml);
  return {
    path,
    env: {
      DOCKER_HOST: setup.dockerHost ?? process.env['DOCKER_HOST'],
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      PES_BACKUP_PASSWORD: setup.password ?? repoPassword,
      PES_CACHE: join(dir, 'cache'),
      PES_BORG_BASE: join(dir, 'borg-base'),
      PES_MM_TOKEN: setup.botToken ?? mattermost.bot.token,
      PES_MM_SLASH: slashToken,
      PES_MM_ACTIONS: actionSecret,
      PES_MX_TOKEN: matrixUser.accessToken,
      PES_MX_DEVICE: setup.deviceId ?? matrixUser.deviceId,
      PES_MX_PASSPHRASE: 'matrix-passphrase-0123456789',
      PES_ALERTS_TOKEN: 'alerts-token-0123456789',
    },
  };
}

async function doctor(
  setup: Setup,
  lang: Locale = 'en',
): Promise<{ code: number; text: string; lines: string[] }> {
  const { path, env } = configFor(setup);
  let text = '';
  const code = await runDoctor(
    { flag: path, env, cwd: dir, username: 'tester' },
    { lang, json: false, timeoutMs, out: { write: (chunk: string) => (text += chunk) } },
  );
  return { code, text, lines: text.trimEnd().split('\n') };
}

/** What differs from run to run, replaced so that a report can be compared with a file. */
function normalize(text: string): string {
  return text
    .replaceAll(dir, '<dir>')
    .replaceAll(process.env['DOCKER_HOST'] ?? '<none>', 'unix://<docker.sock>')
    .replaceAll(project, '<project>')
    .replaceAll(bed.runId, '<run>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/Docker [^,\s]+, API [\d.]+/g, 'Docker <version>, API <api>')
    .replace(/restic \d+\.\d+\.\d+ compiled with .*/g, 'restic <version>')
    .replace(/borg \d+\.\d+\.\d+/g, 'borg <version>')
    .replace(/Alertmanager \d+\.\d+\.\d+/g, 'Alertmanager <version>')
    .replace(/\d+(?:[.,]\d)? (?:KB|КБ|MB|МБ|B|Б)(?!\p{L})/gu, '<size>');
}

/** A unix socket file nobody listens on: its process was killed and left it behind. */
async function deadSocket(): Promise<string> {
  const path = join(dir, 'dead.sock');
  const child: ChildProcess = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
  ]);
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  expect(existsSync(path)).toBe(true);
  return `unix://${path}`;
}

/** A 127.0.0.1 port that nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  requireAlertmanager();
  bed = new DockerTestBed();
  project = bed.project('web');
  await bed.createContainer({
    name: bed.containerName('web-app-1'),
    compose: { project, service: 'app' },
  });
  mattermost = await new FakeMattermost().start();
  homeserver = await new FakeHomeserver().start();
  matrixUser = homeserver.addUser('pes', { deviceId: 'PESDEVICE' });
  alertmanager = await startAlertmanager('http://127.0.0.1:9/unused');
  const env = { RESTIC_CACHE_DIR: join(dir, 'cache'), BORG_BASE_DIR: join(dir, 'borg-base') };
  for (const [engine, repository] of [
    ['restic', repos.restic],
    ['restic', repos.resticLocked],
    ['borg', repos.borg],
  ] as const) {
    await createBackupEngine({ engine, repository, password: repoPassword, env }).init();
  }
  await leaveStaleResticLock(repos.resticLocked);
  // The state database as a started bot leaves it: created, migrated, in WAL mode.
  openDatabase(join(dir, 'state', 'pes.db')).close();
});

afterAll(async () => {
  await bed.cleanup();
  await mattermost.close();
  await homeserver.close();
  await alertmanager.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pes doctor', () => {
  it.each(['en', 'ru'] as const)('all fine: every line ✔ and exit 0 (%s)', async (lang) => {
    const http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      readiness: { check: () => Promise.resolve({}) },
      onError: () => undefined,
      routes: [{ methods: ['POST'], path: actionsPath, handle: () => Promise.resolve() }],
    });
    try {
      const publicUrl = `http://127.0.0.1:${http.port}`;
      const report = await doctor({ port: http.port, publicUrl }, lang);
      expect(report.lines.filter((line) => !line.startsWith('✔ ')).length).toBe(1);
      expect(report.code).toBe(0);
      await expect(normalize(report.text)).toMatchFileSnapshot(`./golden/all-fine.${lang}.txt`);
    } finally {
      await http.close();
    }
  });

  it.each(['en', 'ru'] as const)(
    'faults: each on its line with its fix, exit 1 (%s)',
    async (lang) => {
      const report = await doctor(
        {
          password: 'not the password',
          service: 'nothing-runs-as-this',
          botToken: 'wrong-token',
          slashTokens: false,
          publicUrl: 'http://127.0.0.1:9',
          port: await closedPort(),
          deviceId: 'OTHERDEVICE',
          alertmanagerUrl: `http://127.0.0.1:${await closedPort()}`,
        },
        lang,
      );
      expect(report.code).toBe(1);
      await expect(normalize(report.text)).toMatchFileSnapshot(`./golden/faults.${lang}.txt`);
      // No secret is ever shown, whatever a check quotes.
      for (const secret of [repoPassword, 'not the password', slashToken, matrixUser.accessToken]) {
        expect(report.text).not.toContain(secret);
      }
    },
  );

  it('an engine nobody answers on: one line for it, the services are not checked', async () => {
    const dockerHost = await deadSocket();
    const report = await doctor({ dockerHost });
    expect(report.code).toBe(1);
    expect(report.lines).toContain(
      `✖ Docker: Cannot reach the Docker engine at ${dockerHost}: connection refused. → Start Docker (Debian/Ubuntu: apt-get install docker.io; systemctl enable --now docker) or give its address in DOCKER_HOST or docker.host.`,
    );
    expect(report.lines).toContain(
      '– Service web: not checked: the Docker engine cannot be reached',
    );
    expect(report.lines.at(-1)).toBe('Checks: 11; failed: 1; not run: 1.');
  });

  it('an address Docker does not document is a config finding naming it', async () => {
    const report = await doctor({ dockerHost: 'fd://' });
    expect(report.code).toBe(1);
    expect(report.lines.find((line) => line.startsWith('✖ Docker:'))).toMatch(
      /^✖ Docker: The Docker address "fd:\/\/" cannot be used: only unix:\/\/, tcp:\/\/ and ssh:\/\/ are supported\. → These work:/,
    );
  });

  it('restic: a missing repository and a locked one', async () => {
    const missing = await doctor({ repository: repos.missing });
    expect(missing.code).toBe(1);
    expect(missing.lines.find((l) => l.startsWith('✖ Backup repository:'))).toBe(
      `✖ Backup repository: There is no restic repository at ${repos.missing}. → Check backup.repository; the bot creates a new repository itself at the first backup.`,
    );
    const locked = await doctor({ repository: repos.resticLocked });
    expect(locked.code).toBe(1);
    const line = locked.lines.find((l) => l.startsWith('✖ Backup repository:')) ?? '';
    expect(line).toMatch(
      new RegExp(
        `^✖ Backup repository: The repository ${repos.resticLocked} is locked \\(.+\\); nothing was changed\\.`,
      ),
    );
    expect(line).toContain(`restic -r ${repos.resticLocked} unlock`);
  });

  it('borg: its version, a good repository, then one another borg holds locked', async () => {
    const good = await doctor({ engine: 'borg', repository: repos.borg });
    expect(normalize(good.text)).toContain('✔ borg: borg <version>\n');
    expect(good.lines).toContain(
      `✔ Backup repository: borg ${repos.borg}: the password fits, 0 snapshots`,
    );
    expect(good.text).not.toMatch(/^✔ restic/m);
    const holder = spawn('borg', ['with-lock', repos.borg, 'sleep', '600'], {
      env: { ...process.env, BORG_PASSPHRASE: repoPassword, BORG_BASE_DIR: join(dir, 'borg-base') },
      stdio: 'ignore',
    });
    try {
      await waitForBorgLock(repos.borg);
      const locked = await doctor({ engine: 'borg', repository: repos.borg });
      expect(locked.code).toBe(1);
      expect(locked.lines.find((l) => l.startsWith('✖ Backup repository:'))).toMatch(
        new RegExp(`^✖ Backup repository: The repository ${repos.borg} is locked`),
      );
    } finally {
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGTERM');
      await exited;
    }
  });
});

/** borg with-lock holds the lock once lock.roster names it (borg's locking.py). */
async function waitForBorgLock(repository: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (existsSync(join(repository, 'lock.exclusive'))) return;
    await sleep(50);
  }
  throw new Error('borg did not take its lock');
}
