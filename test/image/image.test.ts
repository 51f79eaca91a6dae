/**
 * The Dockerfile, built for real (test/image/image.ts: bases made from Debian's packages and
 * the project's Node, then `docker build` with no network) and run in the private test engine
 * with network mode none: no config, the tools, and the bot serving with the engine's socket
 * and a config mounted, as the README's `docker run` does.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { appImage } from '../helpers/docker.ts';
import {
  buildImage,
  docker,
  engineSocket,
  imageTag,
  imageTargetBytes,
  megabytes,
  mustDocker,
  socketGid,
  type BuiltImage,
} from './image.ts';

const execFileAsync = promisify(execFile);
const runId = `pi${process.pid.toString(36)}${Date.now().toString(36)}`;

/**
 * Run with node in a directory that has node_modules: imports and requires every package
 * there (or those named in PES_PACKAGES) and prints, as one JSON line, what each exports or
 * the code of the error it fails with.
 */
const loadEveryPackage = `
const { readdirSync } = await import('node:fs');
const { createRequire } = await import('node:module');
const require = createRequire(process.cwd() + '/package.json');
const scoped = (dir) => readdirSync('node_modules/' + dir).map((name) => dir + '/' + name);
const names = process.env.PES_PACKAGES
  ? JSON.parse(process.env.PES_PACKAGES)
  : readdirSync('node_modules')
      .filter((dir) => !dir.startsWith('.'))
      .flatMap((dir) => (dir.startsWith('@') ? scoped(dir) : [dir]));
const sorted = (m) => Object.keys(m).sort().join(',');
const keys = (m) => sorted(m) + ' / ' + sorted(m.default ?? {});
const out = {};
for (const name of names.sort()) {
  let imported, required;
  try {
    imported = keys(await import(name));
  } catch (error) {
    imported = 'fails: ' + error.code;
  }
  try {
    required = keys(require(name));
  } catch (error) {
    required = 'fails: ' + error.code;
  }
  out[name] = 'import ' + imported + '; require ' + required;
}
// Exit even if a package left a timer or socket open, but only once the pipe has the output.
process.stdout.write(JSON.stringify(out) + '\\n', () => process.exit(0));
`;
const minute = 60_000;
let built: BuiltImage;

/** `docker run --rm` of the image with network mode none, another entrypoint and its args. */
function runTool(entrypoint: string, args: readonly string[]): ReturnType<typeof docker> {
  return docker([
    'run',
    '--rm',
    '--network',
    'none',
    '--label',
    'pes.test=1',
    '--entrypoint',
    entrypoint,
    imageTag,
    ...args,
  ]);
}

beforeAll(async () => {
  built = await buildImage((line) => console.log(`image: ${line}`));
  const bytes = built.bytes - built.testRepositoryBytes;
  console.log(
    `image: ${imageTag} built in ${built.buildMs} ms; size ${megabytes(bytes)} MB ` +
      `(${megabytes(built.bytes)} MB in the test engine, less ${megabytes(built.testRepositoryBytes)} MB of the ` +
      `test base's local package repository); target ≤ ${megabytes(imageTargetBytes)} MB: ` +
      (bytes <= imageTargetBytes ? 'PASS' : 'MISS'),
  );
}, 40 * minute);

describe('the image without a configuration', () => {
  it('says in one line where the configuration goes and exits 2', async () => {
    const result = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      'pes.test=1',
      '-e',
      'PES_LANG=en',
      imageTag,
    ]);
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('/etc/pes-bot/pes.yaml');
    expect(lines[0]).toContain('no such file');
    expect(result.stdout).toBe('');
  });
});

describe('what the image holds', () => {
  it('was built from a context of the sources only (.dockerignore)', () => {
    // node_modules, .test-env (engine data, base images) and .git of the checkout would be
    // hundreds of megabytes; a local config/pes.yaml and state/ must not reach the builder.
    const match = /daemon\s+([\d.]+)(kB|MB|GB)$/.exec(built.contextLine);
    expect(match, built.contextLine).not.toBeNull();
    const unit = { kB: 1e3, MB: 1e6, GB: 1e9 }[match?.[2] as 'kB' | 'MB' | 'GB'];
    expect(Number(match?.[1]) * unit).toBeLessThan(10e6);
  });

  it('holds the bot, its production dependencies and the templates: no config, state or tests', async () => {
    const result = await runTool('ls', ['-A', '/app', '/etc/pes-bot']);
    expect(result.code).toBe(0);
    const [app, etc] = result.stdout.trim().split('\n\n');
    expect(app?.split('\n').slice(1)).toEqual([
      '.compile-cache',
      'bin',
      'commands',
      'node_modules',
      'package-lock.json',
      'package.json',
      'src',
      'state',
    ]);
    expect(etc?.split('\n').slice(1)).toEqual(['templates']);
    const state = await runTool('ls', ['-A', '/app/state']);
    expect(state.stdout).toBe('');
    const dev = await runTool('ls', ['/app/node_modules/vitest', '/app/node_modules/typescript']);
    expect(dev.code).not.toBe(0);
  });
});

describe('the tools in the image', () => {
  it.each([
    ['restic', ['version'], /^restic \d+\.\d+\.\d+/],
    ['borg', ['--version'], /^borg \d+\.\d+\.\d+/],
    ['pg_dump', ['--version'], /^pg_dump \(PostgreSQL\) \d+/],
    ['mariadb-dump', ['--version'], /mariadb-dump.*Distrib \d+\.\d+/],
    ['mysqldump', ['--version'], /Distrib \d+\.\d+/],
    ['tini', ['--version'], /^tini version \d+\.\d+\.\d+/],
    ['node', ['--version'], /^v24\.\d+\.\d+$/],
    ['pes', ['--version'], /^pes-bot \d+\.\d+\.\d+ \(node 24\./],
  ] as const)('%s answers with its version, as the bot’s user', async (tool, args, pattern) => {
    const result = await runTool(tool, args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(pattern);
  });

  it('gives the bot’s user the compile cache filled at build time, with no miss', async () => {
    // Node keeps the cache per user id and writes its files for their owner only: filled as
    // root, or left unreadable, every start strips the types of every file again (seconds).
    const result = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      'pes.test=1',
      '-e',
      'NODE_DEBUG_NATIVE=COMPILE_CACHE',
      '--entrypoint',
      'pes',
      imageTag,
      '--version',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'retrieving transpile cache for StrippedTypeScript file:///app/src/main.ts...success',
    );
    expect(result.stderr).not.toMatch(
      /permission denied|no transpile cache|Creating temporary file/,
    );
  });

  it('loads every production dependency as the checkout does, though thinned', async () => {
    // The Dockerfile strips comments and indentation from node_modules and removes optional
    // packages, add-ons for another runtime and test directories: each package must still load
    // by import and by require, with the same exports as the untouched copy of the checkout.
    const inImage = await runTool('node', ['--input-type=module', '-e', loadEveryPackage]);
    expect(inImage.stderr).toBe('');
    expect(inImage.code).toBe(0);
    const image = JSON.parse(inImage.stdout.trim().split('\n').at(-1) ?? '') as Record<
      string,
      string
    >;
    expect(Object.keys(image)).toContain('@kubernetes/client-node');
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--input-type=module', '-e', loadEveryPackage],
      {
        cwd: repoRoot,
        env: { ...process.env, PES_PACKAGES: JSON.stringify(Object.keys(image)) },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const checkout = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, string>;
    expect(image).toEqual(checkout);
  });

  it('loads what the bot imports only when it is configured (Matrix, Kubernetes)', async () => {
    // The trimmed node_modules (Dockerfile: no declarations, maps or TypeScript) must still
    // hold every module these need at run time.
    const result = await runTool('node', [
      '--input-type=module',
      '-e',
      "await import('/app/src/chat/matrix/adapter.ts'); await import('@kubernetes/client-node'); await import('fake-indexeddb'); console.log('loaded')",
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('loaded');
  });
});

describe('the image serving, with a config and the engine socket mounted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pes-image-'));
  const bot = `${runId}-bot`;
  const target = `${runId}-web`;
  const project = `${runId}-proj`;

  beforeAll(async () => {
    // A service for `pes status` to find through the socket: a container of the test engine.
    await mustDocker([
      'run',
      '-d',
      '--network',
      'none',
      '--name',
      target,
      '--label',
      'pes.test=1',
      '--label',
      `com.docker.compose.project=${project}`,
      '--label',
      'com.docker.compose.service=web',
      '--label',
      'com.docker.compose.container-number=1',
      appImage(1),
    ]);
    const config = [
      'locale: en',
      'server:',
      '  host: 0.0.0.0',
      '  port: 8080',
      '  stopGraceSeconds: 5',
      'docker:',
      '  host: unix:///var/run/docker.sock',
      'services:',
      '  web:',
      '    containers:',
      `      compose: { project: ${project}, service: web }`,
      'roles:',
      '  admin:',
      '    members: [local:pes]',
      "    commands: ['*']",
      '',
    ].join('\n');
    // Readable by the image's user (uid 1000), as a mounted config must be.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'pes.yaml'), config, { mode: 0o644 });
    await mustDocker([
      'run',
      '-d',
      '--network',
      'none',
      '--name',
      bot,
      '--label',
      'pes.test=1',
      '-v',
      `${engineSocket()}:/var/run/docker.sock`,
      '--group-add',
      String(socketGid()),
      '-v',
      `${join(dir, 'pes.yaml')}:/etc/pes-bot/pes.yaml:ro`,
      // The image's HEALTHCHECK command, run every second instead of every 30 s.
      '--health-interval',
      '1s',
      imageTag,
    ]);
  }, 2 * minute);

  afterAll(async () => {
    await docker(['rm', '-fv', bot, target]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'becomes healthy by its own HEALTHCHECK and answers /healthz and /readyz',
    async () => {
      const deadline = Date.now() + 2 * minute;
      let status = '';
      while (status !== 'healthy') {
        status = (await mustDocker(['inspect', '-f', '{{.State.Health.Status}}', bot])).trim();
        if (Date.now() > deadline) {
          const logs = await docker(['logs', bot]);
          throw new Error(`not healthy in time (${status}):\n${logs.stdout}\n${logs.stderr}`);
        }
        if (status !== 'healthy') await sleep(250);
      }
      // Network mode none: no port to reach from here, so the probe runs inside.
      const probe = await mustDocker([
        'exec',
        bot,
        'node',
        '-e',
        "for (const p of ['/healthz', '/readyz']) { const r = await fetch('http://127.0.0.1:8080' + p); console.log(p, r.status, await r.text()); }",
      ]);
      const [healthz, readyz] = probe.trim().split('\n');
      expect(healthz).toMatch(/^\/healthz 200 /);
      expect(readyz).toMatch(/^\/readyz 200 /);
      expect(readyz).toContain('"state":"ok"');
    },
    3 * minute,
  );

  it('runs the bot as uid 1000, with the socket group added, under tini as PID 1', async () => {
    const ids = await mustDocker(['exec', bot, 'id']);
    expect(ids).toMatch(/^uid=1000\(pes\) gid=1000\(pes\) groups=/);
    expect(ids).toContain(`${socketGid()}`);
    const pid1 = await mustDocker(['exec', bot, 'cat', '/proc/1/cmdline']);
    expect(pid1.split('\0').slice(0, 3)).toEqual(['tini', '--', 'node']);
    const owner = await mustDocker(['exec', bot, 'stat', '-c', '%u', '/proc/1']);
    expect(owner.trim()).toBe('1000');
  });

  it('answers `pes status` from the engine through the mounted socket', async () => {
    const result = await docker(['exec', bot, 'pes', '--json', 'status', 'web']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      data?: { services?: { service: string; state: string; containers: { name: string }[] }[] };
    };
    const web = answer.data?.services?.[0];
    expect(web?.service).toBe('web');
    expect(web?.state).toBe('up');
    expect(web?.containers.map((c) => c.name)).toEqual([target]);
  });

  it(
    'stops on `docker stop` through its own graceful stop, exit 0, before any kill',
    async () => {
      const t0 = Date.now();
      // 60 s before the engine would SIGKILL: an exit by signal would be 137.
      await mustDocker(['stop', '-t', '60', bot], { timeoutMs: 2 * minute });
      const stoppedMs = Date.now() - t0;
      const state = await mustDocker([
        'inspect',
        '-f',
        '{{.State.ExitCode}} {{.State.OOMKilled}}',
        bot,
      ]);
      expect(state.trim()).toBe('0 false');
      expect(stoppedMs).toBeLessThan(60_000);
      const logs = await docker(['logs', bot]);
      const lines = logs.stderr.split('\n').filter((line) => line.startsWith('{'));
      const msgs = lines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
      expect(msgs).toContain('listening');
      expect(msgs).toContain('stopping');
      console.log(`image: docker stop took ${stoppedMs} ms`);
    },
    3 * minute,
  );
});
