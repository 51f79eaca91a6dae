/**
 * A PostgreSQL database as a source: `pg_dump --format=custom` (consistent, compressed, one
 * stream), either inside the database's container (`docker exec -i` with no TTY streams it,
 * docs/FIELD-NOTES.md "PostgreSQL") or from the bot's machine over TCP when configured `via: tcp`.
 * Restored with `pg_restore --clean --if-exists` (without --if-exists it fails on objects that
 * do not exist yet) in one transaction, so a failed restore changes nothing; pg_restore cannot
 * work in parallel from stdin. Roles are not in a dump (`pg_dumpall --globals-only` holds
 * them): they must exist where a dump is restored.
 */
import type { Readable } from 'node:stream';
import type { DatabaseDefinition } from '../../core/catalog.ts';
import type { Platform } from '../../core/platform.ts';
import type { BackupSource, ProducedStream } from '../types.ts';
import { consume, produce, type ContainerRef, type ProgramSpec, type Runner } from './process.ts';

export const defaultPostgresPort = 5432;

export interface DatabaseAccess {
  readonly platform: Platform;
  /** The database user's password, when one is configured. */
  readonly password: string | undefined;
  /**
   * On a cluster: the pod's container, found at each run (src/platforms/kubernetes/
   * database-target.ts); the programs then connect over the local socket.
   */
  readonly pod?: ContainerRef;
}

export function postgresSource(db: DatabaseDefinition, access: DatabaseAccess): BackupSource {
  const id = `postgres:${db.name}`;
  const spec = (argv: readonly string[]): ProgramSpec => ({
    runner: runnerOf(db, access),
    argv: [...argv, ...connectionArgs(db)],
    // -w: never prompt (there is no terminal); the password comes from the environment.
    ...(access.password === undefined ? {} : { env: { PGPASSWORD: access.password } }),
    source: id,
  });
  return {
    id,
    filename: `${db.name}.pgdump`,
    produce: (signal?: AbortSignal): Promise<ProducedStream> =>
      Promise.resolve(produce(spec(['pg_dump', '--format=custom', '-w']), signal)),
    consume: (input: Readable, signal?: AbortSignal): Promise<void> =>
      consume(
        spec([
          'pg_restore',
          '--clean',
          '--if-exists',
          '--single-transaction',
          '--exit-on-error',
          '-w',
        ]),
        input,
        signal,
      ),
  };
}

/** `-U user -d db`, and `-h host -p port` over TCP; values are checked by the config schema. */
export function connectionArgs(db: DatabaseDefinition): string[] {
  const args = ['-U', db.user, '-d', db.database];
  if (db.via === 'tcp') {
    args.push('-h', db.host ?? '127.0.0.1', '-p', String(db.port ?? defaultPostgresPort));
  }
  return args;
}

export function runnerOf(db: DatabaseDefinition, access: DatabaseAccess): Runner {
  if (access.pod !== undefined)
    return { kind: 'exec', platform: access.platform, container: access.pod, watchdog: true };
  return db.via === 'tcp'
    ? { kind: 'host' }
    : { kind: 'exec', platform: access.platform, container: db.container };
}
