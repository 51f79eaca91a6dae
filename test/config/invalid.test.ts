import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

function loadText(text: string, env: NodeJS.ProcessEnv = {}) {
  const cwd = makeTempDir({ 'pes.yaml': text });
  return () => loadConfig({ flag: 'pes.yaml', env, cwd, username: 'alice' });
}

describe('an invalid configuration', () => {
  it('lists every problem with its path', () => {
    const error = catchUserError(
      loadText(`
locale: de
typo: 1
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
    scale: { min: 3, max: 2 }
    replicas: 3
  keycloak:
    containers: { names: [keycloak] }
    scale: { min: 0, max: 0 }
  minio:
    containers: {}
  Bad_Name:
    containers: { names: [x] }
roles:
  admin:
    members: [alice, 'local:bob', 'system:scheduler']
    commands: ['*', 'Bad Cmd']
rooms:
  ops: { address: 'slack:general' }
`),
    );
    expect(problemsOf(error)).toEqual([
      'locale: expected one of ru, en',
      'services.moodle.scale: min 3 is greater than max 2',
      'services.moodle: unknown key "replicas"',
      'services.keycloak.scale.max: expected a number ≥ 1',
      'services.minio.containers: expected names or compose',
      'services.Bad_Name: invalid name: expected a name of lowercase letters, digits and "-", starting with a letter (≤ 40)',
      'roles.admin.members.0: expected mattermost:<user id>, matrix:@user:server, local:<unix user> or local:@me',
      'roles.admin.members.2: expected mattermost:<user id>, matrix:@user:server, local:<unix user> or local:@me',
      'roles.admin.commands.1: expected a command name or "*"',
      'rooms.ops.address: expected terminal, mattermost:<channel id> or matrix:!room:server',
      '(top level): unknown key "typo"',
    ]);
    expect(error.kind).toBe('usage');
    expect(error.text('en')).toContain('Invalid configuration');
  });

  it('tells a missing key from a wrong type', () => {
    const error = catchUserError(
      loadText(`
services:
  moodle:
    containers: { names: [moodle] }
    scale: { max: 2.5 }
    health:
    databases:
      - { name: moodle, engine: postgres, database: moodle, user: 7 }
`),
    );
    expect(problemsOf(error)).toEqual([
      'services.moodle.scale.max: expected an integer, got a fraction',
      'services.moodle.health: expected a mapping, got an empty value',
      'services.moodle.databases.0.container: required',
      'services.moodle.databases.0.user: expected a string, got a number',
    ]);
  });

  it('checks health against scale', () => {
    const error = catchUserError(
      loadText(`
services:
  moodle:
    containers: { names: [moodle] }
    scale: { min: 1, max: 2 }
    health: { minRunning: 3 }
`),
    );
    expect(problemsOf(error)).toEqual([
      'services.moodle.health.minRunning: must not exceed scale.max (2)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const error = catchUserError(loadText('server:\n  host: [127.0.0.1\nlog: {}\n'));
    const problems = problemsOf(error);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 3, column 1: /);
  });

  it('reports a duplicate key as a syntax error rather than keeping the last one', () => {
    const error = catchUserError(loadText('locale: en\nlocale: ru\n'));
    expect(problemsOf(error)[0]).toMatch(/^line 2, column 1: Map keys must be unique/);
  });

  it('reports a file that cannot be read', () => {
    const cwd = makeTempDir();
    const error = catchUserError(() => loadConfig({ flag: 'missing.yaml', env: {}, cwd }));
    expect(error.code).toBe('config-unreadable');
    expect(error.params).toEqual({ path: join(cwd, 'missing.yaml'), reason: 'no such file' });

    const dirError = catchUserError(() => loadConfig({ flag: '.', env: {}, cwd }));
    expect(dirError.params['reason']).toBe('it is a directory');
  });
});

describe('PES_PORT', () => {
  it('overrides the port in the file', () => {
    const loaded = loadText('server: { port: 9000 }\n', { PES_PORT: '18080' })();
    expect(loaded.server).toEqual({ host: '127.0.0.1', port: 18080, stopGraceSeconds: 60 });
  });

  it('is validated, and reported together with the problems in the file', () => {
    for (const bad of ['abc', '0', '65536', '80.5', ' 80']) {
      const error = catchUserError(loadText('log: { level: loud }\n', { PES_PORT: bad }));
      expect(problemsOf(error)).toEqual([
        'log.level: expected one of debug, info, warn, error',
        `PES_PORT: expected a port number 1..65535, got ${JSON.stringify(bad)}`,
      ]);
    }
  });
});

describe('defaults and members', () => {
  it('fills defaults for an empty file', () => {
    const loaded = loadText('# nothing here\n', { PES_LANG: 'en' })();
    expect(loaded.catalog.locale).toBe('en');
    expect(loaded.catalog.services.size).toBe(0);
    expect(loaded.server).toEqual({ host: '127.0.0.1', port: 8080, stopGraceSeconds: 60 });
    expect(loaded.logLevel).toBe('info');
  });

  it('replaces local:@me with the current unix user, once', () => {
    const loaded = loadText(`
locale: ru
roles:
  admin: { members: ['local:@me', 'local:alice', 'matrix:@bob:example.org'], commands: ['*'] }
`)();
    expect(loaded.catalog.locale).toBe('ru');
    expect(loaded.catalog.roles).toEqual([
      { name: 'admin', members: ['local:alice', 'matrix:@bob:example.org'], commands: ['*'] },
    ]);
  });

  it('passes the Docker host through and checks its form', () => {
    const loaded = loadText('docker: { host: "unix:///run/pes/docker.sock" }\n')();
    expect(loaded.docker.host).toBe('unix:///run/pes/docker.sock');
    const error = catchUserError(loadText('docker: { host: /var/run/docker.sock }\n'));
    expect(problemsOf(error)).toEqual([
      'docker.host: expected a unix://, tcp:// or http:// address',
    ]);
  });

  it('refuses two databases with one name in a service', () => {
    const db = '{ name: main, engine: mysql, container: db, database: app, user: app }';
    const text = `services:\n  app:\n    containers: { names: [app] }\n    databases: [${db}, ${db}]\n`;
    expect(problemsOf(catchUserError(loadText(text)))).toEqual([
      'services.app.databases.1.name: duplicate name',
    ]);
  });

  it('resolves the state path against the working directory', () => {
    const cwd = makeTempDir({ 'conf/pes.yaml': 'state: { path: data/bot.db }\n' });
    const loaded = loadConfig({ flag: 'conf/pes.yaml', env: {}, cwd });
    expect(loaded.statePath).toBe(join(cwd, 'data/bot.db'));
  });
});

describe('a YAML syntax error', () => {
  it('is told on one line even where the parser breaks its message', () => {
    // The yaml library ends its "Invalid escape sequence" message with a line break; found by
    // test/fuzz/config.test.ts.
    const error = catchUserError(loadText('a: "\\U\nb: 1\n'));
    const text = error.text('en');
    expect(text).toContain('Invalid escape sequence');
    expect(text).not.toMatch(/[\r\n]/);
  });
});
