/**
 * Sources and hooks against a recording Platform: the exact argv and environment each one
 * runs, and what a failure becomes.
 */
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { buildBackupParts, buildSources } from '../../src/backup/sources/build.ts';
import { commandSource } from '../../src/backup/sources/command.ts';
import { execHooks, withHooks } from '../../src/backup/sources/hooks.ts';
import { mysqlSource } from '../../src/backup/sources/mysql.ts';
import { postgresSource } from '../../src/backup/sources/postgres.ts';
import type { DatabaseDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type { ExecOptions, ExecResult, Platform } from '../../src/core/platform.ts';
import { fakePlatform } from '../helpers/bot.ts';
import { service } from '../helpers/catalog.ts';

interface ExecCall {
  readonly container: string;
  readonly argv: readonly string[];
  readonly options: ExecOptions;
  readonly aborted: boolean;
  readonly stdin: string | undefined;
}

/** A Platform whose exec records each call and answers from `reply`. */
function recordingPlatform(
  reply: (argv: readonly string[]) => { exitCode: number; stdout?: string; stderr?: string },
): { platform: Platform; calls: ExecCall[] } {
  const calls: ExecCall[] = [];
  const platform: Platform = {
    ...fakePlatform({}),
    async exec(container, argv, options, signal): Promise<ExecResult> {
      const stdin = options.stdin === undefined ? undefined : await text(options.stdin);
      calls.push({ container, argv, options, aborted: signal?.aborted === true, stdin });
      const answer = reply(argv);
      if (options.stdout !== undefined) options.stdout.end(answer.stdout ?? '');
      return { exitCode: answer.exitCode, stdout: '', stderr: answer.stderr ?? '' };
    },
  };
  return { platform, calls };
}

const pg: DatabaseDefinition = {
  name: 'moodle',
  engine: 'postgres',
  container: 'pes-postgres-1',
  database: 'moodle',
  user: 'moodle',
};

async function expectCode(promise: Promise<unknown>, code: string): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).code).toBe(code);
  return error as UserError;
}

describe('postgres source', () => {
  it('dumps with pg_dump --format=custom inside the container, password only in the environment', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0, stdout: 'PGDMP…' }));
    const source = postgresSource(pg, { platform, password: 'db-secret' });
    expect(source.id).toBe('postgres:moodle');
    expect(source.filename).toBe('moodle.pgdump');
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('PGDMP…');
    await produced.done;
    expect(calls[0]?.container).toBe('pes-postgres-1');
    expect(calls[0]?.argv).toEqual([
      'pg_dump',
      '--format=custom',
      '-w',
      '-U',
      'moodle',
      '-d',
      'moodle',
    ]);
    expect(calls[0]?.options.env).toEqual({ PGPASSWORD: 'db-secret' });
    expect(calls[0]?.argv.join(' ')).not.toContain('db-secret');
  });

  it('restores with pg_restore --clean --if-exists in one transaction, from stdin', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0 }));
    await postgresSource(pg, { platform, password: undefined }).consume(Readable.from(['dump']));
    expect(calls[0]?.argv).toEqual([
      'pg_restore',
      '--clean',
      '--if-exists',
      '--single-transaction',
      '--exit-on-error',
      '-w',
      '-U',
      'moodle',
      '-d',
      'moodle',
    ]);
    expect(calls[0]?.stdin).toBe('dump');
    expect(calls[0]?.options.env).toBeUndefined();
  });

  it('a failing pg_dump rejects `done` with its exit code and last stderr line', async () => {
    const { platform } = recordingPlatform(() => ({
      exitCode: 1,
      stderr: 'pg_dump: error: connection to server failed\n',
    }));
    const produced = await postgresSource(pg, { platform, password: undefined }).produce();
    await text(produced.stream);
    const error = await expectCode(produced.done, 'backup-producer-failed');
    expect(error.text('en')).toBe(
      'Reading postgres:moodle failed (exit 1): pg_dump: error: connection to server failed',
    );
  });

  it('a failing pg_restore is a consumer error', async () => {
    const { platform } = recordingPlatform(() => ({ exitCode: 1, stderr: 'pg_restore: error: x' }));
    await expectCode(
      postgresSource(pg, { platform, password: undefined }).consume(Readable.from(['x'])),
      'backup-consumer-failed',
    );
  });
});

describe('mysql source', () => {
  it('mysqldump --single-transaction in the container, MYSQL_PWD in the environment', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0, stdout: '-- dump' }));
    const db: DatabaseDefinition = {
      ...pg,
      name: 'wiki',
      engine: 'mysql',
      database: 'wiki',
      user: 'wiki',
    };
    const source = mysqlSource(db, { platform, password: 'pw' });
    expect(source.filename).toBe('wiki.sql');
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('-- dump');
    await produced.done;
    await source.consume(Readable.from(['-- dump']));
    // Each run first asks whether the container has MariaDB's own names (program-choice.ts).
    expect(calls.map((c) => c.argv)).toEqual([
      ['mariadb-dump', '--version'],
      ['mariadb-dump', '--single-transaction', '--no-tablespaces', '--user=wiki', 'wiki'],
      ['mariadb-dump', '--version'],
      ['mariadb', '--user=wiki', 'wiki'],
    ]);
    expect(calls[0]?.options.env).toBeUndefined();
    expect(calls[1]?.options.env).toEqual({ MYSQL_PWD: 'pw' });
  });

  it('mysqldump and mysql where the container has no mariadb-dump', async () => {
    const { platform, calls } = recordingPlatform((argv) =>
      argv[0] === 'mariadb-dump'
        ? { exitCode: 127, stdout: '' }
        : { exitCode: 0, stdout: '-- dump' },
    );
    const db: DatabaseDefinition = {
      ...pg,
      name: 'wiki',
      engine: 'mysql',
      database: 'wiki',
      user: 'wiki',
    };
    const source = mysqlSource(db, { platform, password: undefined });
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('-- dump');
    await produced.done;
    await source.consume(Readable.from(['-- dump']));
    expect(calls.map((c) => c.argv[0])).toEqual([
      'mariadb-dump',
      'mysqldump',
      'mariadb-dump',
      'mysql',
    ]);
  });
});

describe('a cluster database (its pod found at each run)', () => {
  const wiki: DatabaseDefinition = {
    ...pg,
    name: 'wiki',
    engine: 'mysql',
    database: 'wiki',
    user: 'wiki',
  };

  it('looks the pod up once per run: the probe and the program run in the same pod', async () => {
    // As a pod's exec streams: the output flows while the input is still open (the dump's
    // watchdog holds its stdin open until the output is complete).
    const calls: { container: string; argv: readonly string[] }[] = [];
    const platform: Platform = {
      ...fakePlatform({}),
      async exec(container, argv, options): Promise<ExecResult> {
        calls.push({ container, argv });
        options.stdout?.end(argv.includes('--version') ? '' : '-- dump');
        if (options.stdin !== undefined) await text(options.stdin);
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    };
    let lookups = 0;
    // A rollout replaces the pod between any two lookups.
    const pod = (): Promise<string> => Promise.resolve(`wiki-db-${String(++lookups)}`);
    const source = mysqlSource(wiki, { platform, password: undefined, pod });
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('-- dump');
    await produced.done;
    expect(lookups).toBe(1);
    await source.consume(Readable.from(['-- dump']));
    expect(lookups).toBe(2);
    // The dump's probe and dump in the first pod, the restore's probe and restore in the second.
    expect(calls.map((c) => c.container)).toEqual([
      'wiki-db-1',
      'wiki-db-1',
      'wiki-db-2',
      'wiki-db-2',
    ]);
  });

  it('a pod that cannot be found fails the restore before anything runs, its input drained', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0 }));
    const pod = (): Promise<string> => Promise.reject(new Error('no running pod'));
    const source = mysqlSource(wiki, { platform, password: undefined, pod });
    const input = Readable.from(['-- dump']);
    await expect(source.consume(input)).rejects.toThrow('no running pod');
    await expect(source.produce()).rejects.toThrow('no running pod');
    expect(calls).toEqual([]);
    expect(input.readableFlowing).toBe(true);
  });
});

describe('command source', () => {
  it('runs its argv in the container; without a restore command it refuses to restore', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0, stdout: 'rdb' }));
    const source = commandSource(
      { name: 'redis', container: 'redis-1', user: '999', backup: ['redis-cli', '--rdb', '-'] },
      platform,
    );
    expect(source.id).toBe('command:redis');
    expect(source.filename).toBe('redis.out');
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('rdb');
    await produced.done;
    expect(calls[0]?.options.user).toBe('999');
    await expectCode(source.consume(Readable.from(['rdb'])), 'backup-restore-unsupported');
  });

  it('on the bot’s machine when it names no container', async () => {
    const source = commandSource(
      { name: 'echo', backup: ['printf', 'hello'], restore: ['cat'], filename: 'echo.txt' },
      fakePlatform({}),
    );
    const produced = await source.produce();
    expect(await text(produced.stream)).toBe('hello');
    await produced.done;
    await source.consume(Readable.from(['hello']));
    const failing = commandSource(
      { name: 'bad', backup: ['ls', '/no/such/dir'] },
      fakePlatform({}),
    );
    const broken = await failing.produce();
    await text(broken.stream);
    await expectCode(broken.done, 'backup-producer-failed');
  });
});

describe('hooks', () => {
  const settings = {
    container: 'moodle-1',
    user: 'www-data',
    before: [['php', 'admin/cli/maintenance.php', '--enable']],
    after: [
      ['php', 'admin/cli/maintenance.php', '--disable'],
      ['php', 'admin/cli/purge_caches.php'],
    ],
  };

  it('runs before, the work, then after, as the configured user', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0 }));
    const result = await withHooks(execHooks(platform, settings), () => Promise.resolve(42));
    expect(result).toBe(42);
    expect(calls.map((c) => c.argv.at(-1))).toEqual([
      '--enable',
      '--disable',
      'admin/cli/purge_caches.php',
    ]);
    expect(calls.every((c) => c.options.user === 'www-data' && c.container === 'moodle-1')).toBe(
      true,
    );
  });

  it('undoes with the after-commands when the work fails, and the work’s error wins', async () => {
    const { platform, calls } = recordingPlatform(() => ({ exitCode: 0 }));
    await expect(
      withHooks(execHooks(platform, settings), () => Promise.reject(new Error('tar failed'))),
    ).rejects.toThrow('tar failed');
    expect(calls.map((c) => c.argv.at(-1))).toEqual([
      '--enable',
      '--disable',
      'admin/cli/purge_caches.php',
    ]);
  });

  it('runs the after-commands when a before-command failed, and even after a cancel', async () => {
    const { platform, calls } = recordingPlatform((argv) => ({
      exitCode: argv.includes('--enable') ? 3 : 0,
      stderr: 'cannot enable',
    }));
    const controller = new AbortController();
    controller.abort();
    const hooks = execHooks(platform, settings);
    const error = await expectCode(
      withHooks(hooks, () => Promise.resolve(1)),
      'backup-hook-command-failed',
    );
    expect(error.text('en')).toBe(
      'The command "php admin/cli/maintenance.php --enable" in the container moodle-1 exited with 3: cannot enable',
    );
    await hooks.after(controller.signal);
    const afters = calls.filter((c) => c.argv.includes('--disable'));
    expect(afters).toHaveLength(2);
    expect(afters.every((c) => !c.aborted)).toBe(true);
  });

  it('names every after-command that failed, and the work’s failure with it', async () => {
    const { platform } = recordingPlatform((argv) => ({
      exitCode: argv.includes('--enable') ? 0 : 1,
      stderr: `${argv.at(-1) ?? ''} broke`,
    }));
    const failed = await expectCode(
      withHooks(execHooks(platform, settings), () => Promise.reject(new Error('tar failed'))),
      'backup-also-failed',
    );
    for (const locale of ['en', 'ru'] as const) {
      expect(failed.text(locale)).toContain('tar failed');
      expect(failed.text(locale)).toContain('--disable broke');
      expect(failed.text(locale)).toContain('admin/cli/purge_caches.php broke');
    }
  });

  it('runs every after-command even when one fails, then reports the first failure', async () => {
    const { platform, calls } = recordingPlatform((argv) => ({
      exitCode: argv.includes('--disable') ? 1 : 0,
    }));
    await expectCode(execHooks(platform, settings).after(), 'backup-hook-command-failed');
    expect(calls).toHaveLength(2);
  });
});

describe('buildBackupParts', () => {
  it('volumes, then databases, then commands; retention and hooks from the service', () => {
    const { platform } = recordingPlatform(() => ({ exitCode: 0 }));
    const moodle = service('moodle', {
      volumes: ['moodledata'],
      databases: [pg, { ...pg, name: 'wiki', engine: 'mysql', via: 'tcp', host: 'db', port: 3307 }],
      backup: {
        retention: { keepDaily: 7 },
        hooks: { container: 'moodle-1', before: [['true']], after: [] },
        commands: [{ name: 'code', container: 'moodle-1', backup: ['tar', 'c', '/var/www'] }],
      },
    });
    const parts = buildBackupParts(moodle, {
      platform,
      databasePasswords: new Map([['moodle/moodle', 'pw']]),
    });
    expect(parts.sources.map((s) => s.id)).toEqual([
      'volume:moodledata',
      'postgres:moodle',
      'mysql:wiki',
      'command:code',
    ]);
    expect(parts.retention).toEqual({ keepDaily: 7 });
    expect(parts.hooks).toBeDefined();
    expect(buildSources(service('bare'), { platform, databasePasswords: new Map() })).toEqual([]);
    expect(
      buildBackupParts(service('bare'), { platform, databasePasswords: new Map() }),
    ).toMatchObject({
      retention: undefined,
      hooks: undefined,
    });
  });
});

describe('postgres over TCP', () => {
  it('runs pg_dump on the bot’s machine with host and port', async () => {
    // `via: tcp` spawns pg_dump here; against a port nobody listens on it fails cleanly.
    const source = postgresSource(
      { ...pg, via: 'tcp', host: '127.0.0.1', port: 9 },
      { platform: fakePlatform({}), password: 'x' },
    );
    const produced = await source.produce();
    const sink = new PassThrough();
    produced.stream.pipe(sink);
    await text(sink);
    const error = await expectCode(produced.done, 'backup-producer-failed');
    expect(error.params['reason']).toMatch(/127\.0\.0\.1|connection/);
  });
});
