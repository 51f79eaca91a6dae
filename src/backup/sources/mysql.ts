/**
 * A MariaDB/MySQL database as a source: `mariadb-dump --single-transaction` (a consistent
 * snapshot of InnoDB tables without locking them), inside the database's container or over
 * TCP from the bot; restored by feeding the dump to `mariadb`. The old names (`mysqldump`,
 * `mysql`) where the new ones are missing (program-choice.ts). The password goes in
 * MYSQL_PWD, never on the command line where `ps` would show it; on a cluster there is none
 * (unix_socket authentication as the container's OS user).
 */
import type { Readable } from 'node:stream';
import type { DatabaseDefinition } from '../../core/catalog.ts';
import type { BackupSource, ProducedStream } from '../types.ts';
import type { DatabaseAccess } from './postgres.ts';
import { runnerOf } from './postgres.ts';
import { consume, pinRunner, produce, type ProgramSpec, type Runner } from './process.ts';
import { chooseMysqlPrograms, mysqlPrograms } from './program-choice.ts';

export const defaultMysqlPort = 3306;

export function mysqlSource(db: DatabaseDefinition, access: DatabaseAccess): BackupSource {
  const id = `mysql:${db.name}`;
  const runner = runnerOf(db, access);
  const spec = (pinned: Runner, argv: readonly string[]): ProgramSpec => ({
    runner: pinned,
    argv,
    ...(access.password === undefined ? {} : { env: { MYSQL_PWD: access.password } }),
    source: id,
  });
  return {
    id,
    filename: `${db.name}.sql`,
    produce: async (signal?: AbortSignal): Promise<ProducedStream> => {
      const pinned = await pinRunner(runner, signal);
      const programs = await chooseMysqlPrograms(pinned, signal);
      return produce(spec(pinned, mysqldumpArgv(db, programs.dump)), signal);
    },
    consume: async (input: Readable, signal?: AbortSignal): Promise<void> => {
      let pinned: Runner;
      let client: string;
      try {
        pinned = await pinRunner(runner, signal);
        client = (await chooseMysqlPrograms(pinned, signal)).client;
      } catch (error) {
        input.resume();
        throw error;
      }
      return consume(
        spec(pinned, [client, ...mysqlConnectionArgs(db), db.database]),
        input,
        signal,
      );
    },
  };
}

export function mysqldumpArgv(db: DatabaseDefinition, program = mysqlPrograms.dump): string[] {
  // --no-tablespaces: MySQL 8 otherwise wants the PROCESS privilege, which an application's
  // user rarely has. The database name is an SQL identifier (config schema), never an option.
  return [
    program,
    '--single-transaction',
    '--no-tablespaces',
    ...mysqlConnectionArgs(db),
    db.database,
  ];
}

function mysqlConnectionArgs(db: DatabaseDefinition): string[] {
  const args = [`--user=${db.user}`];
  if (db.via === 'tcp') {
    args.push(
      '--protocol=TCP',
      `--host=${db.host ?? '127.0.0.1'}`,
      `--port=${db.port ?? defaultMysqlPort}`,
    );
  }
  return args;
}
