/**
 * Stopping an exec'd process that was abandoned (a cancel, or a consumer that went away).
 * The engine has no kill for an exec: closing its streams gives a reader EOF, but a writer
 * such as pg_dump then blocks on its full stdout for ever, holding its locks. When the bot
 * sees the host's processes (it runs on the host, or with `pid: host`), the process is
 * found by the host pid the engine reports and sent SIGTERM — only after checking that it
 * is that command, in a container's pid namespace, so that a pid that means another
 * process here is never signalled. Anywhere else this does nothing.
 */
import { readFile } from 'node:fs/promises';
import type { Exec } from 'dockerode';
import { requestDocker, type DockerConnection } from './client.ts';

export async function terminateExec(
  connection: DockerConnection,
  exec: Exec,
  argv: readonly string[],
): Promise<boolean> {
  try {
    const info = await requestDocker(connection, (abortSignal) => exec.inspect({ abortSignal }));
    const pid = info.Pid;
    if (!info.Running || typeof pid !== 'number' || pid <= 1) return false;
    const [cmdline, status] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    const command = cmdline.toString('utf8').split('\0').slice(0, argv.length);
    // `NSpid: <host pid> <pid in the container>`: two or more means a nested namespace.
    const nested = (/^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? []).length >= 2;
    if (!nested || command.join('\0') !== argv.join('\0')) return false;
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    // Not visible from here (the bot runs in a container of its own), or already gone.
    return false;
  }
}
