/**
 * `pes doctor` through the real entry point: its exit codes (0 fine, 1 a check failed,
 * 2 no configuration), its JSON form, and its help. The checks themselves are tested
 * against real servers in test/doctor/.
 */
import { describe, expect, it } from 'vitest';
import { runPes, tempWorkdir } from '../helpers/cli.ts';

const config = `
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
`;

describe('pes doctor (terminal)', () => {
  it('exits 1 when a check fails, one line per check and a summary', async () => {
    const w = tempWorkdir(config);
    const r = await runPes(['--config', w.config, 'doctor'], { cwd: w.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `✔ Configuration: ${w.config}: 1 service, 0 secrets resolved`,
      `✔ State database: ${w.dir}/state/pes.db does not exist yet; it is created at the first start`,
      '✖ Docker: Cannot reach the Docker engine at unix:///nonexistent/pes/docker.sock: no such socket. → Start Docker (Debian/Ubuntu: apt-get install docker.io; systemctl enable --now docker) or give its address in DOCKER_HOST or docker.host.',
      '– Service moodle: not checked: the Docker engine cannot be reached',
      'Checks: 4; failed: 1; not run: 1.',
    ]);
  });

  it('--json gives one object with every check', async () => {
    const w = tempWorkdir(config);
    const r = await runPes(['--config', w.config, 'doctor', '--json', '--lang', 'ru'], {
      cwd: w.dir,
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { check: string; status: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['Конфигурация', 'ok'],
      ['База состояния', 'ok'],
      ['Docker', 'fail'],
      ['Сервис moodle', 'cannot'],
    ]);
  });

  it('exits 2 with one line when the configuration cannot be read', async () => {
    const w = tempWorkdir(config);
    const r = await runPes(['--config', `${w.dir}/missing.yaml`, 'doctor', '--lang', 'en'], {
      cwd: w.dir,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      `✖ Configuration: Cannot read the configuration ${w.dir}/missing.yaml: no such file.\n`,
    );
  });

  it('a secret that is not set is named, its value never shown', async () => {
    const w = tempWorkdir(config + "secrets:\n  hook: '${PES_HOOK_TOKEN}'\n");
    const r = await runPes(['--config', w.config, 'doctor', '--lang', 'en'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^✖ Configuration: .*PES_HOOK_TOKEN/);
    const set = await runPes(['--config', w.config, 'doctor'], {
      cwd: w.dir,
      env: { PES_HOOK_TOKEN: 'hook-secret-value-42' },
    });
    expect(set.stdout).toContain('1 secret resolved');
    expect(set.stdout).not.toContain('hook-secret-value-42');
  });

  it('help doctor explains it, as doctor --help does', async () => {
    const w = tempWorkdir(config);
    const a = await runPes(['--config', w.config, 'help', 'doctor', '--lang', 'en'], {
      cwd: w.dir,
    });
    const b = await runPes(['doctor', '--help', '--lang', 'en'], { cwd: w.dir });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^pes doctor — check everything the configuration names/);
    expect(b.stdout).toBe(a.stdout);
  });
});
