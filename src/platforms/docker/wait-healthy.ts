/**
 * Waits until a container that was just started is fit to take traffic: healthy when its
 * image or configuration has a health check, otherwise still running after a short settle
 * time (a process that crashes at start-up usually does so within it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../core/errors.ts';
import { requestDocker, type DockerConnection } from './client.ts';

export interface WaitOptions {
  readonly timeoutMs: number;
  /** How long a container without a health check must stay up. */
  readonly settleMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal | undefined;
}

export async function waitHealthy(
  connection: DockerConnection,
  id: string,
  name: string,
  options: WaitOptions,
): Promise<'healthy' | 'running'> {
  const settleMs = options.settleMs ?? 2000;
  const pollMs = options.pollMs ?? 250;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const info = await requestDocker(
      connection,
      (abortSignal) => connection.docker.getContainer(id).inspect({ abortSignal }),
      options.signal,
    );
    const { State: state } = info;
    if (state.Status === 'exited' || state.Status === 'dead') {
      throw new UserError('container-unhealthy', {
        container: name,
        reason: `exited with code ${state.ExitCode}`,
      });
    }
    const health = state.Health?.Status;
    if (health === 'healthy') return 'healthy';
    if (health === 'unhealthy') {
      const last = state.Health?.Log?.at(-1)?.Output?.trim().split('\n')[0]?.slice(0, 200) ?? '';
      throw new UserError('container-unhealthy', {
        container: name,
        reason: last === '' ? 'health check failed' : `health check failed: ${last}`,
      });
    }
    if (health === undefined && state.Status === 'running') {
      const up = Date.now() - new Date(state.StartedAt).getTime();
      if (up >= settleMs) return 'running';
    }
    if (Date.now() >= deadline) {
      throw new UserError('container-unhealthy', {
        container: name,
        reason: `still ${health ?? state.Status} after ${Math.round(options.timeoutMs / 1000)} s`,
      });
    }
    await sleep(pollMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
  }
}
