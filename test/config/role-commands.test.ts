import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { closeCommands, editDistance } from '../../src/config/role-commands.ts';
import { runPes, tempWorkdir } from '../helpers/cli.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function rolesConfig(roleCommands: string): string {
  return `roles:\n  ops:\n    members: ['local:@me']\n    commands: ${roleCommands}\n`;
}

function load(text: string) {
  const cwd = makeTempDir({ 'pes.yaml': text });
  return () => loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice', commands });
}

describe('role commands are checked against the registry', () => {
  it('names a typo with its path and the close matches', () => {
    const error = catchUserError(load(rolesConfig('[status, bakup, silense, jobx]')));
    expect(problemsOf(error)).toEqual([
      'roles.ops.commands.1: no command "bakup", did you mean backup?',
      'roles.ops.commands.2: no command "silense", did you mean silence?',
      'roles.ops.commands.3: no command "jobx", did you mean jobs or job?',
    ]);
    expect(error.kind).toBe('usage');
    expect(error.text('en')).toContain('Invalid configuration');
  });

  it('refuses a command that does not exist, listing the commands there are', () => {
    const error = catchUserError(load(rolesConfig('[teleport]')));
    const [line, ...rest] = problemsOf(error);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^roles\.ops\.commands\.0: no command "teleport" \(the commands: /);
    for (const command of commands) expect(line).toContain(command.name);
  });

  it('asks for the canonical name instead of a Russian alias', () => {
    const error = catchUserError(load(rolesConfig('[бэкап, статус]')));
    expect(problemsOf(error)).toEqual([
      'roles.ops.commands.0: "бэкап" is another name of backup: write backup',
      'roles.ops.commands.1: "статус" is another name of status: write status',
    ]);
  });

  it('suggests by alias too: a misspelt alias points to its command', () => {
    expect(closeCommands('бекап', commands)).toEqual(['backup']);
  });

  it("accepts '*' and every command of the registry", () => {
    const names = commands.map((c) => c.name).join(', ');
    const loaded = load(rolesConfig(`['*', ${names}]`))();
    expect(loaded.catalog.roles[0]?.commands).toEqual(['*', ...commands.map((c) => c.name)]);
  });

  it('reports every problem of the file at once with the schema problems', () => {
    const error = catchUserError(load(`locale: de\n${rolesConfig('[stauts]')}`));
    expect(problemsOf(error)).toEqual(['locale: expected one of ru, en']);
    // The registry check runs on a file the schema accepted; fixing the locale shows it.
    const next = catchUserError(load(rolesConfig('[stauts]')));
    expect(problemsOf(next)).toEqual([
      'roles.ops.commands.0: no command "stauts", did you mean status?',
    ]);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('backup', 'backup')).toBe(0);
    expect(editDistance('', 'job')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('config/pes.example.yaml against the registry', () => {
  it('loads and every role grants only commands that exist', () => {
    const loaded = loadConfig({
      flag: 'config/pes.example.yaml',
      env: {},
      cwd: repoRoot,
      username: 'alice',
      commands,
    });
    const known = new Set(commands.map((c) => c.name));
    for (const role of loaded.catalog.roles) {
      for (const name of role.commands) expect(name === '*' || known.has(name)).toBe(true);
    }
  });
});

describe('pes with a role that grants no command', () => {
  it('exits 2 and names the path and the suggestion, also for pes doctor', async () => {
    const w = tempWorkdir(rolesConfig('[restar]'));
    const env = { PES_LANG: 'en' };
    const once = await runPes(['--config', w.config, 'whoami'], { cwd: w.dir, env });
    expect(once.code).toBe(2);
    expect(once.stderr).toContain(
      'roles.ops.commands.0: no command "restar", did you mean restart?',
    );
    expect(once.stdout).toBe('');
    const doctor = await runPes(['--config', w.config, 'doctor'], { cwd: w.dir, env });
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain('no command "restar", did you mean restart?');
  });
});
