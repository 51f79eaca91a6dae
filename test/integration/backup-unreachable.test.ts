/**
 * A repository that stops answering in the middle of a file-level backup, for real: restic
 * over sftp served by Debian's `sftp-server` that restic starts itself (as in
 * backup-remote.test.ts), borg over `ssh://` with BORG_RSH starting `borg serve` directly. The
 * server is stopped (SIGSTOP: a peer that hangs, as on a network cut) or killed (SIGKILL: a
 * peer that goes away) at the engine's first progress report, the event the test waits for.
 *
 * Measured before the stall watch: a stopped server kept both engines waiting forever (a
 * SIGINT did not end them), and a server gone before restic's lock made it retry ~40 s.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BorgEngine } from '../../src/backup/engines/borg.ts';
import { ResticEngine } from '../../src/backup/engines/restic.ts';
import type { BackupEngine } from '../../src/backup/types.ts';
import { UserError } from '../../src/core/errors.ts';
import { repoPassword, tagsFor } from '../helpers/backup-env.ts';

const sftpServer = '/usr/lib/openssh/sftp-server';
const stallSeconds = 2;

let dir: string;
let source: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-unreachable-'));
  source = join(dir, 'volume');
  mkdirSync(source);
  // Enough that the engine is still sending when the server is stopped.
  for (let i = 0; i < 60; i++) writeFileSync(join(source, `f${i}`), randomBytes(2 * 1024 * 1024));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Remote {
  readonly engine: BackupEngine;
  /** The shown repository (what the error must name). */
  readonly shown: string;
  /** The pid of the newest server process the engine started. */
  server(): number;
  /** The ids or names of the snapshots the repository holds, asked anew. */
  snapshots(): Promise<string[]>;
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function resticRemote(name: string): Promise<Remote> {
  const base = join(dir, name);
  mkdirSync(base);
  const pids = join(base, 'pids');
  const server = script(join(base, 'server'), `echo $$ >> ${pids}\nexec ${sftpServer}`);
  const binary = script(join(base, 'restic'), `exec restic -o sftp.command=${server} "$@"`);
  const settings = {
    repository: `sftp:pes-test:${join(base, 'repo')}`,
    password: repoPassword,
    env: { RESTIC_CACHE_DIR: join(base, 'cache') },
    binary,
    progressFps: 10,
  };
  const engine = new ResticEngine({ ...settings, stallSeconds });
  await engine.init();
  return {
    engine,
    shown: `sftp:pes-test:${join(base, 'repo')}`,
    server: () => Number(readFileSync(pids, 'utf8').trim().split('\n').at(-1)),
    snapshots: async () => (await new ResticEngine(settings).list(undefined)).map((s) => s.id),
  };
}

async function borgRemote(name: string): Promise<Remote> {
  const base = join(dir, name);
  mkdirSync(base);
  const pids = join(base, 'pids');
  // BORG_RSH gets the host, then the remote command (`borg serve …`): run it here.
  const rsh = script(join(base, 'rsh'), `echo $$ >> ${pids}\nshift\nexec "$@"`);
  const repository = `ssh://pes-test${join(base, 'repo')}`;
  const settings = {
    repository,
    password: repoPassword,
    env: { BORG_BASE_DIR: join(base, 'base'), BORG_RSH: rsh },
    lockWaitSeconds: 1,
  };
  const engine = new BorgEngine({ ...settings, stallSeconds });
  await engine.init();
  return {
    engine,
    shown: repository,
    server: () => Number(readFileSync(pids, 'utf8').trim().split('\n').at(-1)),
    // The listing waits for the lock: the killed `borg serve` holds it until it is reaped,
    // which a loaded machine may take longer than the backup's 1 s lock wait to do.
    snapshots: async () =>
      (await new BorgEngine({ ...settings, lockWaitSeconds: 60 }).list(undefined)).map((s) => s.id),
  };
}

/** Runs a backup and does `fault` to the server once the engine has reported progress. */
async function backupWithFault(
  remote: Remote,
  job: string,
  fault: 'SIGSTOP' | 'SIGKILL',
): Promise<{ error: unknown; afterFaultMs: number; server: number }> {
  let faulted: number | undefined;
  let server = 0;
  const error = await remote.engine
    .backupTree({
      directory: source,
      tags: tagsFor('app', 'volume:data', job),
      onProgress: () => {
        // The first report: the engine has opened the repository and is reading files.
        if (faulted !== undefined) return;
        server = remote.server();
        process.kill(server, fault);
        faulted = Date.now();
      },
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (faulted === undefined) {
    throw new Error(`the backup ended before it reported progress: ${String(error)}`);
  }
  return { error, afterFaultMs: Date.now() - faulted, server };
}

const remotes: ReadonlyArray<[string, (name: string) => Promise<Remote>]> = [
  ['restic over sftp', resticRemote],
  ['borg over ssh', borgRemote],
];

describe.each(remotes)('%s: the repository stops answering mid-backup', (_label, make) => {
  it('a server that hangs: the backup ends within the stall time, one clear error, no snapshot', async () => {
    const remote = await make(`${_label.split(' ')[0]}-hang`);
    const before = await remote.snapshots();
    const { error, afterFaultMs, server } = await backupWithFault(remote, 'hang-1', 'SIGSTOP');
    try {
      expect(error).toBeInstanceOf(UserError);
      const e = error as UserError;
      expect(e.code).toBe('backup-repo-unreachable');
      expect(e.text('en')).toBe(
        `The ${remote.engine.name} repository ${remote.shown} stopped answering.`,
      );
      expect(e.text('ru')).toContain('перестал отвечать');
      expect(`${e.text('en')} ${e.hint('en') ?? ''}`).not.toContain(repoPassword);
      // The stall time, then SIGINT and SIGKILL after the grace: bounded, with room for load.
      expect(afterFaultMs).toBeLessThan((stallSeconds + 5) * 1000 + 20_000);
    } finally {
      process.kill(server, 'SIGKILL');
    }
    // Nothing of the run was stored as a snapshot (asked through a new server).
    expect(await remote.snapshots()).toEqual(before);
  });

  it('a server that goes away: one clear error at once, no snapshot', async () => {
    const remote = await make(`${_label.split(' ')[0]}-gone`);
    const before = await remote.snapshots();
    const { error } = await backupWithFault(remote, 'gone-1', 'SIGKILL');
    expect(error).toMatchObject({ code: 'backup-repo-unreachable' });
    expect((error as UserError).text('en')).toContain(remote.shown);
    expect(await remote.snapshots()).toEqual(before);
  });
});
