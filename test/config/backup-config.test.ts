/** The `backup:` section and the per-service backup keys: resolved, checked, redacted. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

const base = `
backup:
  engine: borg
  repository: ssh://backup@nas/./pes
  password: '\${PES_BACKUP_PASSWORD}'
  env:
    BORG_RSH: {file: secrets/borg-rsh}
services:
  moodle:
    containers: {compose: {project: pes, service: moodle}}
    volumes: [moodledata]
    databases:
      - {name: moodle, engine: postgres, container: pes-postgres-1, database: moodle, user: moodle}
      - name: wiki
        engine: mysql
        container: db
        database: wiki
        user: wiki
        via: tcp
        host: db.internal
        port: 3307
    backup:
      retention: {keepDaily: 7, keepWeekly: 4, keepMonthly: 6}
      schedule: '30 2 * * *'
      drill: '0 4 * * 0'
      hooks:
        container: pes-moodle-1
        user: www-data
        before: [[php, admin/cli/maintenance.php, --enable]]
        after: [[php, admin/cli/maintenance.php, --disable]]
      commands:
        - name: code
          container: pes-moodle-1
          backup: [tar, -c, -f, '-', -C, /var/www, html]
          restore: [tar, -x, -f, '-', -C, /var/www]
`;

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const dir = makeTempDir({ 'pes.yaml': text, 'secrets/borg-rsh': 'ssh -i /keys/id\n' });
  return loadConfig({ flag: 'pes.yaml', env, cwd: dir, username: 'alice' });
}

describe('backup configuration', () => {
  it('resolves the engine settings and adds its secrets to the redaction list', () => {
    const loaded = load(base, { PES_BACKUP_PASSWORD: 'repo-pass-123' });
    expect(loaded.backup).toEqual({
      engine: 'borg',
      repository: 'ssh://backup@nas/./pes',
      password: 'repo-pass-123',
      env: { BORG_RSH: 'ssh -i /keys/id' },
      helperImage: 'busybox:1.36',
      engineHelper: { image: undefined, network: undefined, cacheVolume: 'pes-bot-engine-cache' },
      prune: undefined,
    });
    expect(loaded.catalog.secrets).toEqual(
      expect.arrayContaining(['repo-pass-123', 'ssh -i /keys/id']),
    );
  });

  it('puts retention, schedules, hooks, command sources and database access on the service', () => {
    const moodle = load(base, { PES_BACKUP_PASSWORD: 'x' }).catalog.services.get('moodle');
    expect(moodle?.backup).toEqual({
      retention: { keepDaily: 7, keepWeekly: 4, keepMonthly: 6 },
      schedule: '30 2 * * *',
      drill: '0 4 * * 0',
      hooks: {
        container: 'pes-moodle-1',
        user: 'www-data',
        before: [['php', 'admin/cli/maintenance.php', '--enable']],
        after: [['php', 'admin/cli/maintenance.php', '--disable']],
      },
      commands: [
        {
          name: 'code',
          container: 'pes-moodle-1',
          backup: ['tar', '-c', '-f', '-', '-C', '/var/www', 'html'],
          restore: ['tar', '-x', '-f', '-', '-C', '/var/www'],
        },
      ],
    });
    expect(moodle?.databases.map((d) => [d.via, d.host, d.port])).toEqual([
      ['exec', undefined, undefined],
      ['tcp', 'db.internal', 3307],
    ]);
  });

  it('refuses a variable name that is not one', () => {
    const error = catchUserError(() =>
      load(`backup: {repository: /srv/r, password: '\${P}', env: {lower-case: '\${Y}'}}`),
    );
    expect(problemsOf(error).join('\n')).toContain('backup.env.lower-case');
  });

  it('takes backup.prune as a cron expression or false, and nothing else', () => {
    const section = (prune: string): string =>
      `backup: {repository: /srv/r, password: '\${P}', prune: ${prune}}\nservices: {}`;
    expect(load(section("'30 3 * * 6'"), { P: 'x' }).backup?.prune).toBe('30 3 * * 6');
    expect(load(section('false'), { P: 'x' }).backup?.prune).toBe(false);
    for (const bad of ['weekly', 'true', "'0 4 * *'"]) {
      const problems = problemsOf(catchUserError(() => load(section(bad), { P: 'x' })));
      expect(problems.join('\n')).toContain('backup.prune');
    }
  });

  it('is optional: no section, no backups', () => {
    expect(load('services: {}').backup).toBeUndefined();
  });

  it('refuses secrets in plain text, credentials in the URL, reserved variables and bad values', () => {
    const error = catchUserError(() =>
      load(`
backup:
  repository: 'rest:https://user:pw@host/repo'
  password: plain-text
  env: {RESTIC_PASSWORD: '\${X}'}
  helperImage: 'Bad Image'
services:
  m:
    containers: {names: [m]}
    databases: [{name: d, engine: postgres, container: c, database: d, user: u, via: ssh, host: 'a b'}]
    backup:
      retention: {}
      schedule: 'daily'
      hooks: {container: c, before: [[]]}
      commands: [{name: x, backup: [a]}, {name: x, backup: [b]}]
`),
    );
    const problems = problemsOf(error).join('\n');
    for (const expected of [
      'backup.repository',
      'backup.password',
      'backup.env.RESTIC_PASSWORD: set by the bot from repository and password',
      'backup.helperImage',
      'services.m.databases.0.via',
      'services.m.databases.0.host',
      'services.m.backup.retention',
      'services.m.backup.schedule',
      'services.m.backup.hooks.before.0',
      'services.m.backup.commands.1.name',
    ]) {
      expect(problems, expected).toContain(expected);
    }
    expect(problems).not.toContain('pw@');
    expect(problems).not.toContain('plain-text');
  });
});
