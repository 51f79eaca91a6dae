/**
 * `pes status` end to end, as a person types it: the real entry point in a child process,
 * a config file, and labelled containers on the real Docker engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPes, tempWorkdir } from '../helpers/cli.ts';
import { DockerTestBed } from '../helpers/docker.ts';

interface StatusJson {
  status: string;
  data: {
    services: {
      service: string;
      state: string;
      containers: { name: string; state: string; image: string; tag: string }[];
    }[];
  };
}

describe('pes status (real engine)', () => {
  const bed = new DockerTestBed();
  let workdir: { dir: string; config: string };

  beforeAll(async () => {
    const project = bed.project('pes');
    await bed.createContainer({
      name: bed.containerName('moodle-1'),
      compose: { project, service: 'moodle', number: 1 },
    });
    const second = await bed.createContainer({
      name: bed.containerName('moodle-2'),
      compose: { project, service: 'moodle', number: 2 },
    });
    await second.stop({ t: 0 });
    await bed.createContainer({ name: bed.containerName('db'), image: 'pes-test/app:2' });
    workdir = tempWorkdir(`
state: { path: state/pes.db }
services:
  moodle:
    containers: { compose: { project: ${project}, service: moodle } }
    scale: { min: 1, max: 4 }
    health: { minRunning: 2 }
  postgres:
    containers: { names: [${bed.containerName('db')}] }
  minio:
    containers: { compose: { project: ${project}, service: minio } }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
`);
  });

  afterAll(() => bed.cleanup());

  const env = () => ({ DOCKER_HOST: process.env['DOCKER_HOST'] });

  it('shows the real containers grouped into the services of the config', async () => {
    const r = await runPes(['--config', workdir.config, 'status', '--json'], {
      cwd: workdir.dir,
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const outcome = JSON.parse(r.stdout) as StatusJson;
    const byName = new Map(outcome.data.services.map((s) => [s.service, s]));
    expect(byName.get('moodle')?.state).toBe('degraded');
    expect(byName.get('moodle')?.containers.map((c) => [c.name, c.state])).toEqual([
      [bed.containerName('moodle-1'), 'running'],
      [bed.containerName('moodle-2'), 'exited'],
    ]);
    expect(byName.get('postgres')?.state).toBe('up');
    expect(byName.get('postgres')?.containers[0]).toMatchObject({
      image: 'pes-test/app',
      tag: '2',
    });
    expect(byName.get('minio')?.state).toBe('missing');
  });

  it('renders a table a person can read, in Russian by default', async () => {
    const r = await runPes(['--config', workdir.config, 'статус', 'moodle'], {
      cwd: workdir.dir,
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('🟡 moodle — частично (1 из 2 контейнеров работает)');
    expect(r.stdout).toMatch(
      new RegExp(
        `${bed.containerName('moodle-1')}\\s+работает\\s+—\\s+pes-test/busybox:1\\s+\\d+ с\\s+0`,
      ),
    );
    expect(r.stdout).not.toContain('postgres');
  });

  it('refuses an unknown service without touching the engine', async () => {
    const r = await runPes(
      ['--config', workdir.config, 'status', 'moodle; rm -rf /', '--lang', 'en'],
      { cwd: workdir.dir, env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown service "moodle; rm -rf /".');
    expect(r.stderr).toContain('Known services: moodle, postgres, minio');
  });
});
