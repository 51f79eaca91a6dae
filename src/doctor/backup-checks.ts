/**
 * Backups: the programs the configuration uses (restic or borg; pg_dump, pg_restore,
 * mysqldump and mysql only for databases dumped from this host, `via: tcp`), each with its
 * version; then the repository: is it there, is the password right, is it locked.
 */
import type { BackupConfig } from '../config/backup.ts';
import type { LoadedConfig } from '../config/load.ts';
import { createBackupEngine } from '../backup/engines/factory.ts';
import { resticUnlockCommand } from '../backup/engines/restic-errors.ts';
import { runProcess } from '../backup/engines/spawn.ts';
import { displayRepository } from '../backup/engines/tags.ts';
import { cannot, fail, fromError, ok, same, type Check, type Finding } from './check.ts';
import { plural } from './format.ts';

interface Program {
  readonly name: string;
  readonly versionArgs: readonly string[];
  /** The Debian/Ubuntu package that has it. */
  readonly debianPackage: string;
}

const programs: Readonly<Record<string, Program>> = {
  restic: { name: 'restic', versionArgs: ['version'], debianPackage: 'restic' },
  borg: { name: 'borg', versionArgs: ['--version'], debianPackage: 'borgbackup' },
  pg_dump: { name: 'pg_dump', versionArgs: ['--version'], debianPackage: 'postgresql-client' },
  pg_restore: {
    name: 'pg_restore',
    versionArgs: ['--version'],
    debianPackage: 'postgresql-client',
  },
  mysqldump: { name: 'mysqldump', versionArgs: ['--version'], debianPackage: 'mariadb-client' },
  mysql: { name: 'mysql', versionArgs: ['--version'], debianPackage: 'mariadb-client' },
};

/** The programs this configuration runs on the bot's own machine. */
export function programsUsed(config: LoadedConfig): Program[] {
  const names = new Set<string>();
  if (config.backup !== undefined) names.add(config.backup.engine);
  for (const service of config.catalog.services.values()) {
    for (const db of service.databases) {
      if (db.via !== 'tcp') continue;
      if (db.engine === 'postgres') names.add('pg_dump').add('pg_restore');
      else names.add('mysqldump').add('mysql');
    }
  }
  return [...names].flatMap((name) => programs[name] ?? []);
}

export function backupChecks(config: LoadedConfig): Check[] {
  const checks = programsUsed(config).map((program): Check => ({
    title: same(program.name),
    run: (signal) => versionOf(program, signal),
  }));
  const backup = config.backup;
  if (backup !== undefined) {
    checks.push({
      title: { ru: 'Репозиторий копий', en: 'Backup repository' },
      run: (signal) => repositoryFinding(backup, signal),
    });
  }
  return checks;
}

async function versionOf(program: Program, signal: AbortSignal): Promise<Finding> {
  const install = {
    ru: `Установите: apt-get install ${program.debianPackage}`,
    en: `Install it: apt-get install ${program.debianPackage}`,
  };
  try {
    const result = await runProcess(program.name, program.versionArgs, { signal });
    const line = result.stdout.split('\n')[0]?.trim() ?? '';
    if (result.exitCode !== 0 || line === '') {
      return fail(
        same(`${program.name} ${program.versionArgs.join(' ')}: exit ${result.exitCode ?? '?'}`),
        install,
      );
    }
    return ok(same(line));
  } catch (error) {
    return fail(fromError(error).detail, install);
  }
}

async function repositoryFinding(backup: BackupConfig, signal: AbortSignal): Promise<Finding> {
  const shown = displayRepository(backup.repository);
  // borg waits this long for a lock another process holds before it says "locked".
  const engine = createBackupEngine(backup, { lockWaitSeconds: 1 });
  let count: number;
  try {
    count = (await engine.list(undefined, signal)).length;
  } catch (error) {
    return fromError(error);
  }
  const snapshots = {
    ru: plural(count, 'ru', { one: 'снимок', few: 'снимка', other: 'снимков' }),
    en: plural(count, 'en', { one: 'snapshot', other: 'snapshots' }),
  };
  const detail = {
    ru: `${backup.engine} ${shown}: пароль подходит, ${snapshots.ru}`,
    en: `${backup.engine} ${shown}: the password fits, ${snapshots.en}`,
  };
  if (backup.engine !== 'restic') return ok(detail);
  // restic lists snapshots beside a non-exclusive lock (of a running backup, or a stale one
  // left by a killed process), which would block prune and check later: it is counted here.
  const locks = await runProcess('restic', ['list', 'locks', '--no-lock'], {
    signal,
    dropEnv: ['RESTIC_'],
    env: { ...backup.env, RESTIC_REPOSITORY: backup.repository, RESTIC_PASSWORD: backup.password },
  });
  if (locks.exitCode !== 0) {
    return cannot({
      ru: `${detail.ru}; блокировки не прочитаны (restic list locks: код ${locks.exitCode ?? '?'})`,
      en: `${detail.en}; its locks could not be read (restic list locks: exit ${locks.exitCode ?? '?'})`,
    });
  }
  const held = locks.stdout.split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line.trim())).length;
  if (held === 0) return ok(detail);
  return fail(
    {
      ru: `${detail.ru}; заблокирован (${plural(held, 'ru', { one: 'блокировка', few: 'блокировки', other: 'блокировок' })})`,
      en: `${detail.en}; locked (${plural(held, 'en', { one: 'lock', other: 'locks' })})`,
    },
    {
      ru: `Если никакое копирование сейчас не идёт, блокировка осталась от прерванного процесса. Снять её: backup unlock (администратор) или вручную: ${resticUnlockCommand(backup.repository)}`,
      en: `If no backup is running now, the lock is left from an interrupted process. To clear it: backup unlock (admins), or by hand: ${resticUnlockCommand(backup.repository)}`,
    },
  );
}
