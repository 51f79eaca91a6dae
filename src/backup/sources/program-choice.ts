/**
 * Which MariaDB/MySQL client programs a container has. MariaDB renamed them (`mariadb-dump`,
 * `mariadb`) and kept `mysqldump` / `mysql` as links for a while; the official MariaDB 11
 * images ship only the new names, while MySQL's images have only the old ones. The new names
 * are used when `mariadb-dump` runs, the old ones otherwise (when neither is there, the
 * dump then fails with the old name's own message).
 */
import { succeeds, type Runner } from './process.ts';

export interface MysqlPrograms {
  /** Writes the dump (`mariadb-dump` or `mysqldump`). */
  readonly dump: string;
  /** Reads it back (`mariadb` or `mysql`). */
  readonly client: string;
}

export const mariadbPrograms: MysqlPrograms = { dump: 'mariadb-dump', client: 'mariadb' };
export const mysqlPrograms: MysqlPrograms = { dump: 'mysqldump', client: 'mysql' };

/** Asked where the programs will run, at each run: an image may change between runs. */
export async function chooseMysqlPrograms(
  runner: Runner,
  signal?: AbortSignal,
): Promise<MysqlPrograms> {
  return (await succeeds(runner, [mariadbPrograms.dump, '--version'], signal))
    ? mariadbPrograms
    : mysqlPrograms;
}
