/**
 * `pes serve` started as a person starts it, in a child process, and what its tests set up
 * before: a free port, and a job left running by a process that no longer exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { pesBin } from './cli.ts';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A `restart moodle` job in the state file of `workdir`, still marked running by a pid that
 * is gone: the next start must report it interrupted. Returns its id.
 */
export function leaveInterruptedJob(
  workdir: string,
  where: { actor: string; room: string },
): number {
  const db = openDatabase(join(workdir, 'state/pes.db'));
  try {
    const dead = new SqliteJobStore(db, { pid: 999_999, ownerToken: 'gone' });
    const job = dead.create({
      command: 'restart',
      text: 'restart moodle',
      ...where,
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    return job.id;
  } finally {
    db.close();
  }
}

export interface Serving {
  readonly child: ChildProcess;
  /** What it printed so far, stdout and stderr. */
  readonly output: () => string;
  /** Its exit code once it is gone. */
  readonly exited: Promise<number | null>;
}

/** `pes --config <config> serve` in `dir`, with only PATH and `env` in its environment. */
export function startServe(w: { dir: string; config: string }, env: NodeJS.ProcessEnv): Serving {
  const child = spawn(process.execPath, [pesBin, '--config', w.config, 'serve'], {
    cwd: w.dir,
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output: () => out, exited };
}
