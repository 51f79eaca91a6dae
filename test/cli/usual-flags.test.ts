/** The flags every command-line program has: --help, -h, <command> --help, --version. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPes, tempWorkdir } from '../helpers/cli.ts';

const config = `
locale: en
state: { path: state/pes.db }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
`;

describe('pes --help, -h, <command> --help, --version', () => {
  it.each([['--help'], ['-h'], ['help', '--help']])(
    '%s shows the flags, the terminal-only commands and the command list',
    async (...args) => {
      const w = tempWorkdir(config);
      const r = await runPes(['--config', w.config, ...args], { cwd: w.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: pes \[flags\] <command> \[arguments\]\n/);
      expect(r.stdout).toContain('--version, -V');
      expect(r.stdout).toMatch(/Terminal only:\n {2}serve .*\n {2}init .*\n {2}doctor /);
      expect(r.stdout).toContain('status [service]');
    },
  );

  it('shows the flags in Russian by default', async () => {
    const w = tempWorkdir(config.replace('locale: en\n', ''));
    const r = await runPes(['--config', w.config, '--help'], { cwd: w.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Использование: pes \[флаги\] <команда> \[аргументы\]\n/);
    expect(r.stdout).toContain('Только в терминале:');
  });

  it('<command> --help explains that command, wherever the flag stands', async () => {
    const w = tempWorkdir(config);
    for (const args of [
      ['status', '--help'],
      ['-h', 'status', 'moodle'],
    ]) {
      const r = await runPes(['--config', w.config, ...args], { cwd: w.dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('`status [service]`');
      expect(r.stdout).not.toContain('Usage: pes');
    }
  });

  it('serve, init and doctor --help explain the terminal-only commands without starting them', async () => {
    const w = tempWorkdir(config);
    const serve = await runPes(['serve', '--help', '--lang', 'en'], { cwd: w.dir });
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/^pes serve — run the bot/);
    const doctor = await runPes(['doctor', '-h', '--lang', 'ru'], { cwd: w.dir });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^pes doctor — проверить всё/);
    const init = await runPes(['init', '--help', '--lang', 'en'], { cwd: w.dir });
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^pes init \[project…\] — write a first configuration/);
    // Help only: nothing written.
    expect(existsSync(join(w.dir, 'config'))).toBe(false);
  });

  it("--version prints package.json's version, also outside npm", async () => {
    const w = tempWorkdir(config);
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = await runPes([flag], { cwd: w.dir, env: { npm_package_version: '9.9.9' } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`pes-bot ${version} (node ${process.versions.node})\n`);
    }
  });
});

describe('DOCKER_HOST that is not a local socket', () => {
  it.each(['ssh://ops@127.0.0.1:1', 'tcp://127.0.0.1:1', 'bogus'])(
    'DOCKER_HOST=%s: help needs no engine and exits 0',
    async (value) => {
      const w = tempWorkdir(config);
      const r = await runPes(['--config', w.config, 'help'], {
        cwd: w.dir,
        env: { DOCKER_HOST: value },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('status [service]');
    },
  );

  it('a bad DOCKER_HOST is a config error naming the value, in one line, exit 2', async () => {
    const w = tempWorkdir(config);
    const r = await runPes(['--config', w.config, 'status', 'moodle'], {
      cwd: w.dir,
      env: { DOCKER_HOST: 'npipe:////./pipe/docker_engine' },
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      '✖ The Docker address "npipe:////./pipe/docker_engine" cannot be used: only unix://, tcp:// and ssh:// are supported.',
    );
    expect(r.stderr).not.toMatch(/\bat \w+ \(|node:internal/);
  });
});
