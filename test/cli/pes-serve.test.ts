/**
 * `pes serve` as started by a person: the HTTP server, the recovery of jobs a dead process
 * left behind, and the chat-like prompt on a real pseudo-terminal (util-linux `script`).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { pesBin, tempWorkdir } from '../helpers/cli.ts';
import { freePort, leaveInterruptedJob, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

const config = `
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
`;

describe('pes serve', () => {
  it('serves /healthz and /readyz, reports interrupted jobs, and stops cleanly on SIGTERM', async () => {
    const w = tempWorkdir(config);
    const jobId = leaveInterruptedJob(w.dir, { actor: 'local:root', room: 'terminal' });
    const port = await freePort();
    const { child, output, exited } = startServe(w, { PES_PORT: String(port) });
    await waitFor(() => output().includes('listening'), 'the server to listen');

    expect(output()).toContain(
      `Job ${jobId} (restart moodle) was interrupted when the bot stopped.`,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const check = new SqliteJobStore(openDatabase(join(w.dir, 'state/pes.db')));
    expect(check.get(jobId)?.state).toBe('interrupted');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 2 with one line when its port is taken', async () => {
    const w = tempWorkdir(config);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const child = spawn(process.execPath, [pesBin, '--config', w.config, 'serve'], {
      cwd: w.dir,
      env: { PATH: process.env['PATH'], PES_PORT: String(address.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    blocker.close();
    expect(code).toBe(2);
    expect(err.trim()).toMatch(
      new RegExp(`^pes: Cannot listen on port ${address.port}: .*EADDRINUSE`),
    );
  });

  it('offers a prompt on a terminal that goes through the same path as chat', async () => {
    const w = tempWorkdir(config);
    const port = await freePort();
    const command = [process.execPath, pesBin, '--config', w.config, 'serve']
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: w.dir,
      env: { PATH: process.env['PATH'], PES_PORT: String(port), TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => out.includes('pes> '), 'the prompt');
    child.stdin.write('whoami\n');
    await waitFor(() => out.includes('Who you are to the bot'), 'the whoami answer');
    child.stdin.write('/pes frobnicate\n');
    await waitFor(() => out.includes('Unknown command "frobnicate".'), 'the error');
    child.stdin.write('exit\n');
    expect(await exited).toBe(0);
    // Both went through the invocation path: both are in the audit log.
    const audit = new SqliteAuditLog(openDatabase(join(w.dir, 'state/pes.db')));
    expect(
      audit
        .last(5)
        .map((r) => [r.raw, r.result])
        .reverse(),
    ).toEqual([
      ['whoami', 'ok'],
      ['frobnicate', 'unknown-command'],
    ]);
  });
});
