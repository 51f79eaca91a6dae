import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPes, tempWorkdir } from '../helpers/cli.ts';

const base = `
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
`;
const asAdmin = base + `roles:\n  admin: { members: ['local:@me'], commands: ['*'] }\n`;
const asNobody = base + `roles:\n  admin: { members: ['local:somebody-else'], commands: ['*'] }\n`;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('pes (terminal)', () => {
  it('runs help and exits 0', async () => {
    const w = tempWorkdir(asAdmin);
    const r = await runPes(['--config', w.config, 'help'], { cwd: w.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('status [service]');
    expect(r.stdout).toContain('audit [action] [--last <n>]');
  });

  it('prints the result as JSON with --json', async () => {
    const w = tempWorkdir(asAdmin);
    const r = await runPes(['whoami', '--json', '--config', w.config], { cwd: w.dir });
    expect(r.code).toBe(0);
    const outcome = JSON.parse(r.stdout) as { status: string; data: { roles: string[] } };
    expect(outcome.status).toBe('ok');
    expect(outcome.data.roles).toEqual(['admin']);
  });

  it.each([
    [['frobnicate'], 2, 'Unknown command "frobnicate".'],
    [['status', 'moodle; rm -rf /'], 2, 'Unknown service "moodle; rm -rf /".'],
    [['status', 'moodle', 'extra'], 2, 'Too many arguments for status: extra.'],
    [['status'], 1, 'Cannot reach the Docker engine at unix:///nonexistent/pes/docker.sock'],
  ])('%j exits %i with one clear line', async (args, code, text) => {
    const w = tempWorkdir(asAdmin);
    const r = await runPes(['--config', w.config, ...args], { cwd: w.dir });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)[0]).toContain(text);
    expect(lines(r.stderr).length).toBeLessThanOrEqual(2);
  });

  it('exits 3 when the local user may not run the command, naming the role', async () => {
    const w = tempWorkdir(asNobody);
    const r = await runPes(['--config', w.config, 'jobs'], { cwd: w.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/may not run jobs\.\nRoles that allow it: admin/);
  });

  it('answers in Russian by default', async () => {
    const w = tempWorkdir(asAdmin.replace('locale: en', ''));
    const r = await runPes(['--config', w.config, 'frobnicate'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe('✖ Неизвестная команда «frobnicate».');
  });

  it('exits 2 with every problem of an invalid config and creates no state', async () => {
    const w = tempWorkdir(
      asAdmin.replace(
        'service: moodle } }',
        'service: moodle } }\n    scale: { max: 0 }\n    colour: red',
      ),
    );
    const r = await runPes(['--config', w.config, 'status', '--lang', 'en'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(r.stderr, r.stderr).toContain('services.moodle.scale.max: expected a number ≥ 1');
    expect(r.stderr).toContain('services.moodle: unknown key "colour"');
    expect(existsSync(join(w.dir, 'state'))).toBe(false);
  });

  it('exits 2 naming a missing secret and an unreadable config', async () => {
    const w = tempWorkdir(asAdmin + `secrets:\n  token: '\${PES_TEST_MISSING_TOKEN}'\n`);
    const r = await runPes(['--config', w.config, 'status', '--lang', 'en'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PES_TEST_MISSING_TOKEN');
    const gone = await runPes(['--config', join(w.dir, 'nope.yaml'), 'status', '--lang', 'en'], {
      cwd: w.dir,
    });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/Cannot read the configuration .*nope\.yaml/);
  });

  it('audit verify exits 1 after a row was edited behind its back', async () => {
    const w = tempWorkdir(asAdmin);
    for (const cmd of ['whoami', 'help', 'jobs'])
      expect((await runPes(['--config', w.config, cmd], { cwd: w.dir })).code).toBe(0);
    expect((await runPes(['--config', w.config, 'audit', 'verify'], { cwd: w.dir })).code).toBe(0);
    const db = new DatabaseSync(join(w.dir, 'state/pes.db'));
    // Someone holding the file can drop the guard triggers; the hash chain still tells.
    db.exec('DROP TRIGGER audit_no_update');
    db.prepare("UPDATE audit SET raw = 'help' WHERE id = 1").run();
    db.close();
    const r = await runPes(['--config', w.config, 'audit', 'verify'], { cwd: w.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('entry 1: edited');
  });

  it('refuses to run on a Node older than 24 with one line', async () => {
    const w = tempWorkdir(asAdmin);
    const pretend = `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.20.2'})`;
    const r = await runPes(['--config', w.config, 'status'], {
      cwd: w.dir,
      nodeArgs: ['--import', pretend],
      env: { PES_LANG: 'en' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pes: Node\.js 24 or newer is needed; this is 20\.20\.2\./);
  });
});
