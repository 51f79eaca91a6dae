/**
 * Deprovisioning on Docker: stop each container gracefully, remove it, and delete the
 * volumes only when the plan says so. It acts only on what was in the confirmed plan and
 * still carries the instance's labels now: nothing new, nothing that changed hands.
 *
 * Stop and remove are never aborted (client.ts, mutateDocker): the engine may still carry
 * out a request the client gave up on, and a cancelled deprovision must not remove a
 * container after it has said what it removed. A cancel is checked between them.
 */
import type { ContainerReport, DeprovisionPlan, StepReporter } from '../../core/platform.ts';
import { mutateDocker, requestDocker, type DockerConnection } from './client.ts';
import { instanceObjects } from './provision-lookup.ts';

/** Docker's own default when a container sets no StopTimeout. */
const defaultStopSeconds = 10;

export async function applyDeprovision(
  connection: DockerConnection,
  plan: DeprovisionPlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const now = await instanceObjects(connection, plan.instance, signal);
  const containers = now.containers.filter((c) => plan.containers.includes(c.name));
  const volumes = plan.deleteData ? now.volumes.filter((v) => plan.volumes.includes(v)) : [];
  const steps = containers.length * 2 + volumes.length;
  let done = 0;
  const step = (name: string, phase: 'stopping' | 'removing'): void => {
    onStep({ fraction: done / Math.max(1, steps), container: name, phase });
    done++;
  };

  const reports: ContainerReport[] = [];
  for (const container of containers) {
    const started = Date.now();
    const handle = connection.docker.getContainer(container.id);
    const info = await requestDocker(connection, (s) => handle.inspect({ abortSignal: s }), signal);
    signal?.throwIfAborted();
    step(container.name, 'stopping');
    if (info.State.Running || info.State.Restarting) {
      // The container's own stop timeout (set from the template) is how long it may take
      // to shut down cleanly; the request must be allowed to last that long.
      const grace = stopGraceSeconds(info.Config);
      const patient = { ...connection, timeoutMs: connection.timeoutMs + grace * 1000 };
      await mutateDocker(patient, () => handle.stop({ t: grace }) as Promise<unknown>);
    }
    signal?.throwIfAborted();
    step(container.name, 'removing');
    // Anonymous volumes go with the container only when the data is to go anyway.
    await mutateDocker(connection, () => handle.remove({ v: plan.deleteData }) as Promise<unknown>);
    reports.push({
      container: container.name,
      action: 'removed',
      health: 'stopped',
      durationMs: Date.now() - started,
    });
  }
  // Volumes are reported like containers, so that the result names what really went.
  for (const volume of volumes) {
    const started = Date.now();
    signal?.throwIfAborted();
    step(volume, 'removing');
    await mutateDocker(
      connection,
      () => connection.docker.getVolume(volume).remove() as Promise<unknown>,
    );
    reports.push({
      container: volume,
      action: 'removed',
      health: 'stopped',
      durationMs: Date.now() - started,
    });
  }
  return reports;
}

/** `Config.StopTimeout` is in the engine's answer when set, but not in dockerode's types. */
function stopGraceSeconds(config: object): number {
  const value = 'StopTimeout' in config ? config.StopTimeout : undefined;
  return typeof value === 'number' && value >= 0 ? value : defaultStopSeconds;
}
