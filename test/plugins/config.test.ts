import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from '../config/temp-config.ts';

const base = `
services:
  moodle:
    containers: { names: [moodle-web] }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
  teacher: { members: [], commands: [plugin-request, plugins, plugin] }
rooms:
  admins: { address: 'mattermost:abcdefghijklmnopqrstuvwxyz' }
`;

function load(text: string): ReturnType<typeof loadConfig> {
  const cwd = makeTempDir({ 'pes.yaml': text });
  return loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice', commands });
}

describe('plugins: and approvals: in the configuration', () => {
  it('resolves rooms to addresses and hours to milliseconds', () => {
    const loaded = load(`${base}
plugins:
  service: moodle
  approvals: { roles: [admin], count: 2, hours: 72, remindHours: 24, room: admins }
approvals:
  commands:
    - { command: restore, service: moodle, roles: [admin], count: 2, hours: 4 }
`);
    expect(loaded.plugins.desk).toEqual({
      service: 'moodle',
      root: '/var/www/html',
      directoryUrl: undefined,
      policy: {
        roles: ['admin'],
        count: 2,
        ttlMs: 72 * 3_600_000,
        remindBeforeMs: 24 * 3_600_000,
        room: 'mattermost:abcdefghijklmnopqrstuvwxyz',
      },
      install: {
        webUser: 'www-data',
        php: 'php',
        databaseVolume: undefined,
        maxDownloadBytes: 100 * 1024 * 1024,
        downloadTimeoutMs: 300_000,
        downloadOrigins: [],
      },
    });
    expect(loaded.plugins.commandRules).toEqual([
      { command: 'restore', service: 'moodle', roles: ['admin'], count: 2, ttlMs: 4 * 3_600_000 },
    ]);
  });

  it('names a service, room or role that does not exist, with its path', () => {
    const error = catchUserError(() =>
      load(`${base}
plugins:
  service: lms
  approvals: { roles: [admins], room: ops }
approvals:
  commands:
    - { command: restore, service: keycloak, roles: [admin] }
`),
    );
    expect(problemsOf(error)).toEqual([
      'plugins.service: no service "lms" in services:',
      'plugins.approvals.room: no room "ops" in rooms:',
      'plugins.approvals.roles.0: no role "admins" in roles:',
      'approvals.commands.0.service: no service "keycloak" in services:',
    ]);
  });

  it('refuses a rule on no command, and on a command with no service; takes an alias', () => {
    const error = catchUserError(() =>
      load(`${base}
approvals:
  commands:
    - { command: restor, service: moodle, roles: [admin] }
    - { command: status, service: moodle, roles: [admin] }
    - { command: масштаб, service: moodle, roles: [admin] }
`),
    );
    const problems = problemsOf(error);
    expect(problems[0]).toBe(
      'approvals.commands.0.command: no command "restor", did you mean restore?',
    );
    expect(problems[1]).toMatch(
      /^approvals\.commands\.1\.command: status works on no one service, so no rule can match it \(rules apply to .*\brestore\b/,
    );
    expect(problems).toHaveLength(2);
  });

  it('the example’s commented plugins and approvals sections load once uncommented', () => {
    const example = readFileSync('config/pes.example.yaml', 'utf8');
    const start = example.indexOf('# plugins:');
    expect(start).toBeGreaterThan(0);
    const uncommented = example
      .slice(start)
      .split('\n')
      .filter((l) => /^# {1,7}(?:[a-zA-Z]+:|- )/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    expect(uncommented).toContain('plugins:');
    expect(uncommented).toContain('approvals:');
    const loaded = load(`${base}\n${uncommented}\n`);
    expect(loaded.plugins.desk?.policy.count).toBe(2);
    expect(loaded.plugins.commandRules[0]?.command).toBe('restore');
  });
});
