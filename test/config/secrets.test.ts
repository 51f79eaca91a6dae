import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

// Block style on purpose: an unquoted ${VAR} is fine there, but not inside a { } flow map.
const withPassword = (password: string): string => `
services:
  moodle:
    containers: { names: [moodle] }
    databases:
      - name: moodle
        engine: postgres
        container: pg
        database: moodle
        user: moodle
        password: ${password}
`;

describe('secret references', () => {
  it('resolves ${ENV} and collects the value for redaction', () => {
    const cwd = makeTempDir({
      'pes.yaml': withPassword('${PG_PASSWORD}') + 'secrets:\n  hook: "${HOOK_TOKEN}"\n',
    });
    const loaded = loadConfig({
      flag: 'pes.yaml',
      env: { PG_PASSWORD: 's3cret-pg', HOOK_TOKEN: 'tok-123456' },
      cwd,
    });
    expect(loaded.databasePasswords.get('moodle/moodle')).toBe('s3cret-pg');
    expect(loaded.secrets.get('hook')).toBe('tok-123456');
    expect([...loaded.catalog.secrets].sort()).toEqual(['s3cret-pg', 'tok-123456']);
    // The password never sits in the catalog, which commands show to people.
    expect(JSON.stringify(loaded.catalog.services.get('moodle'))).not.toContain('s3cret');
  });

  it('names the missing variable and the field that needs it', () => {
    const cwd = makeTempDir({ 'pes.yaml': withPassword('${PG_PASSWORD}') });
    const error = catchUserError(() =>
      loadConfig({ flag: 'pes.yaml', env: { PG_PASSWORD: '' }, cwd }),
    );
    expect(error.code).toBe('config-secret-missing');
    expect(error.params).toEqual({
      path: join(cwd, 'pes.yaml'),
      secret: 'PG_PASSWORD',
      at: 'services.moodle.databases.0.password',
    });
  });

  it('reads {file:} relative to the config file, dropping one trailing newline', () => {
    const cwd = makeTempDir({
      'conf/pes.yaml':
        withPassword('{ file: secrets/pg }') + 'secrets:\n  two: { file: secrets/two }\n',
      'conf/secrets/pg': 'from-file\n',
      'conf/secrets/two': 'line\n\n',
    });
    const loaded = loadConfig({ flag: 'conf/pes.yaml', env: {}, cwd });
    expect(loaded.databasePasswords.get('moodle/moodle')).toBe('from-file');
    expect(loaded.secrets.get('two')).toBe('line\n');
    expect(loaded.catalog.secrets).toContain('from-file');
  });

  it('names a missing secret file by its path', () => {
    const cwd = makeTempDir({ 'pes.yaml': 'secrets:\n  tok: { file: nope.txt }\n' });
    const error = catchUserError(() => loadConfig({ flag: 'pes.yaml', env: {}, cwd }));
    expect(error.code).toBe('config-secret-missing');
    expect(error.params['secret']).toBe(join(cwd, 'nope.txt'));
    expect(error.params['at']).toBe('secrets.tok');
  });

  it('refuses a secret written as plain text, without repeating it', () => {
    const cwd = makeTempDir({
      'pes.yaml': withPassword('hunter2') + 'secrets:\n  a: "$HOOK"\n  b: { file: x, mode: 1 }\n',
    });
    const error = catchUserError(() => loadConfig({ flag: 'pes.yaml', env: {}, cwd }));
    const message = 'a secret must be written as ${ENV_VAR} or {file: path}, not as plain text';
    expect(problemsOf(error)).toEqual([
      `services.moodle.databases.0.password: ${message}`,
      `secrets.a: ${message}`,
      `secrets.b: ${message}`,
    ]);
    expect(error.message).not.toContain('hunter2');
  });
});
