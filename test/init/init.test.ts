/**
 * The first hour, as a person at a terminal lives it (README "Quick start"): in a fresh
 * working directory, `pes init` writes a configuration from what the real Docker engine
 * runs, and `pes doctor` then finds everything fine. What must not happen: an existing
 * configuration overwritten, a file written when the engine is down or a project is
 * misspelt.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPes } from '../helpers/cli.ts';
import { DockerTestBed } from '../helpers/docker.ts';

let bed: DockerTestBed;
let project: string;
let volume: string;
const dirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pes-init-'));
  dirs.push(dir);
  return dir;
}

const env = (): NodeJS.ProcessEnv => ({ DOCKER_HOST: process.env['DOCKER_HOST'] ?? '' });

beforeAll(async () => {
  bed = new DockerTestBed();
  project = bed.project('site');
  volume = `${project}_data`;
  await bed.docker.createVolume({ Name: volume, Labels: { 'pes.test': '1' } });
  for (const [service, number] of [
    ['web', 1],
    ['web', 2],
    ['db', 1],
  ] as const) {
    await bed.createContainer({
      name: bed.containerName(`${service}-${number}`),
      compose: { project, service, number },
      hostConfig: service === 'db' ? { Binds: [`${volume}:/data`] } : {},
    });
  }
}, 60_000);

afterAll(async () => {
  await bed.cleanup();
  await bed.docker.getVolume(volume).remove({ force: true });
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('pes init, then pes doctor', () => {
  it('writes the Compose services the engine runs, and the doctor finds all of it fine', async () => {
    const cwd = freshDir();
    const init = await runPes(['init', project], { cwd, env: env() });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toBe(
      '✔ Записана конфигурация config/pes.yaml: 2 сервиса (db, web).\n' +
        'Дальше: ./pes doctor — проверить настройку, ./pes serve — запустить бота.\n',
    );
    const written = readFileSync(join(cwd, 'config/pes.yaml'), 'utf8');
    expect(written).toContain(`Compose projects: ${project}`);
    expect(written.slice(written.indexOf('\nservices:') + 1, written.indexOf('\nroles:') + 1)).toBe(
      [
        'services:',
        '  db:',
        '    containers:',
        '      compose:',
        `        project: ${project}`,
        '        service: db',
        '    volumes:',
        `      - ${volume}`,
        '  web:',
        '    containers:',
        '      compose:',
        `        project: ${project}`,
        '        service: web',
        '',
      ].join('\n'),
    );

    // The bot picks config/pes.yaml by itself: no --config.
    const doctor = await runPes(['doctor', '--lang', 'en'], { cwd, env: env() });
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toContain('✔ Service web: 2 containers');
    expect(doctor.stdout).toContain('✔ Service db: 1 container');
    expect(doctor.stdout).not.toMatch(/✖|–/);

    const status = await runPes(['status', '--lang', 'en'], { cwd, env: env() });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('web — up (2 of 2 containers running)');
  });

  it('says so in English, and counts one service in the singular', async () => {
    const cwd = freshDir();
    const one = bed.project('solo');
    await bed.createContainer({
      name: bed.containerName('solo-1'),
      compose: { project: one, service: 'app' },
    });
    const init = await runPes(['init', one, '--lang', 'en'], { cwd, env: env() });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout.split('\n')[0]).toBe(
      '✔ Wrote the configuration config/pes.yaml: 1 service (app).',
    );
  });

  it('never overwrites a configuration that is there', async () => {
    const cwd = freshDir();
    const path = join(cwd, 'config/pes.yaml');
    await runPes(['init', project], { cwd, env: env() });
    writeFileSync(path, '# mine\n');
    const again = await runPes(['init', project, '--lang', 'en'], { cwd, env: env() });
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `pes: The configuration ${path} already exists: pes init does not overwrite it.\n` +
        'Edit it, or write a new one beside it: pes init --config config/new.yaml\n',
    );
    expect(readFileSync(path, 'utf8')).toBe('# mine\n');
  });

  it('writes nothing for a project the engine does not have, and names the ones it has', async () => {
    const cwd = freshDir();
    const result = await runPes(['init', `${project}x`, '--lang', 'en'], { cwd, env: env() });
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^pes: Docker has no Compose project "${project}x"; it has: .*${project}`),
    );
    expect(existsSync(join(cwd, 'config'))).toBe(false);
  });

  it('writes nothing when the engine cannot be reached, and says where it looked', async () => {
    const cwd = freshDir();
    const socket = join(cwd, 'nobody.sock');
    const result = await runPes(['init'], { cwd, env: { DOCKER_HOST: `unix://${socket}` } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(
      `pes: Docker недоступен по адресу unix://${socket}: no such socket.`,
    );
    expect(existsSync(join(cwd, 'config'))).toBe(false);
  });
});
