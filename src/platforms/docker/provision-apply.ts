/**
 * Provisioning on Docker: pull if needed, create the volumes, create and start the
 * container, wait until it is healthy. Whatever fails, what this run created is removed
 * again, and the error says what was removed or what is left.
 *
 * The requests that make something are never aborted (client.ts, mutateDocker): the engine
 * may still carry out a request the client gave up on, and a volume or container made after
 * the clean-up had run would be left behind. A cancel is checked between them; one whose
 * answer is late beyond the time limit is waited for before the clean-up, which then also
 * looks for the container and the volumes by their names (new ones: the plan found them
 * free).
 */
import type { ContainerCreateOptions } from 'dockerode';
import { UserError } from '../../core/errors.ts';
import type { Locale } from '../../core/i18n.ts';
import type { ContainerReport, StepReporter, WorkloadSpec } from '../../core/platform.ts';
import { mutateDocker, requestDocker, type DockerConnection } from './client.ts';
import { hasEngineStatus } from './container-ops.ts';
import { InFlight } from './in-flight.ts';
import { pullImage } from './provision-image.ts';
import { ownLabels } from './provision-lookup.ts';
import { planProvision } from './provision-plan.ts';
import { waitHealthy } from './wait-healthy.ts';

const nanosPerSecond = 1_000_000_000;

/** What this run has made so far, to take back on failure. */
interface Created {
  container: { readonly id: string; readonly name: string } | undefined;
  readonly volumes: string[];
}

export async function applyProvision(
  connection: DockerConnection,
  spec: WorkloadSpec,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const started = Date.now();
  // Planned again: between the confirmation and now, someone may have taken the name.
  const plan = await planProvision(connection, spec, signal);
  const created: Created = { container: undefined, volumes: [] };
  const inFlight = new InFlight();
  try {
    if (plan.pull) {
      onStep({ fraction: 0.05, container: plan.image, phase: 'pulling' });
      await pullImage(connection, spec.image, signal);
    }
    const labels = ownLabels(spec.template, spec.name);
    for (const [i, volume] of spec.volumes.entries()) {
      onStep({
        fraction: 0.1 + (0.2 * i) / spec.volumes.length,
        container: volume.name,
        phase: 'creating',
      });
      signal?.throwIfAborted();
      await mutateDocker(
        connection,
        () =>
          connection.docker.createVolume({
            Name: volume.name,
            Labels: { ...spec.labels, ...labels },
          }) as Promise<unknown>,
        inFlight,
      );
      created.volumes.push(volume.name);
    }
    signal?.throwIfAborted();
    onStep({ fraction: 0.35, container: plan.container, phase: 'creating' });
    const container = await mutateDocker(
      connection,
      () => connection.docker.createContainer(createOptions(spec, plan.container)),
      inFlight,
    );
    created.container = { id: container.id, name: plan.container };
    signal?.throwIfAborted();
    onStep({ fraction: 0.45, container: plan.container, phase: 'starting' });
    await mutateDocker(connection, () => container.start() as Promise<unknown>, inFlight);
    signal?.throwIfAborted();
    onStep({ fraction: 0.5, container: plan.container, phase: 'waiting' });
    const health = await waitHealthy(connection, container.id, plan.container, {
      timeoutMs: healthTimeoutMs(spec),
      signal,
    });
    // Only now: with a restart policy from the start, a container that crashes at once would
    // loop in `restarting` instead of showing up as exited.
    await mutateDocker(
      connection,
      () => container.update({ RestartPolicy: { Name: 'unless-stopped' } }) as Promise<unknown>,
      inFlight,
    );
    onStep({ fraction: 1, container: plan.container, phase: 'healthy' });
    return [
      { container: plan.container, action: 'created', health, durationMs: Date.now() - started },
    ];
  } catch (error) {
    onStep({ fraction: 1, container: plan.container, phase: 'failed' });
    await inFlight.settle(2 * connection.timeoutMs);
    await findUnanswered(connection, spec, plan.container, created);
    // A cancel stays the cause, so that the job reports this account of it (job-runner.ts).
    const cause = signal?.aborted === true ? (signal.reason as unknown) : error;
    throw await undo(connection, spec.name, created, cause, onStep);
  }
}

/**
 * Adds to `created` what a request whose answer never came made after all: the names were
 * free when the plan was made, so whatever holds them now is this run's.
 */
async function findUnanswered(
  connection: DockerConnection,
  spec: WorkloadSpec,
  name: string,
  created: Created,
): Promise<void> {
  const exists = (look: (s: AbortSignal) => Promise<unknown>): Promise<unknown> =>
    requestDocker(connection, look).catch((error: unknown) => {
      if (hasEngineStatus(error, 404)) return undefined;
      throw error;
    });
  try {
    for (const volume of spec.volumes) {
      if (created.volumes.includes(volume.name)) continue;
      const found = await exists((abortSignal) =>
        connection.docker.getVolume(volume.name).inspect({ abortSignal }),
      );
      if (found !== undefined) created.volumes.push(volume.name);
    }
    if (created.container === undefined) {
      const found = await exists((abortSignal) =>
        connection.docker.getContainer(name).inspect({ abortSignal }),
      );
      const id = (found as { Id?: unknown } | undefined)?.Id;
      if (typeof id === 'string') created.container = { id, name };
    }
  } catch {
    // The engine does not answer: undo says what it could not remove.
  }
}

function createOptions(spec: WorkloadSpec, name: string): ContainerCreateOptions {
  const check = spec.healthcheck;
  return {
    name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.command === undefined ? {} : { Cmd: [...spec.command] }),
    Labels: { ...spec.labels, ...ownLabels(spec.template, spec.name) },
    StopTimeout: spec.stopTimeoutSeconds,
    ...(check === undefined
      ? {}
      : {
          Healthcheck: {
            // CMD: the engine runs the argv as is, with no shell in between.
            Test: ['CMD', ...check.test],
            Interval: check.intervalSeconds * nanosPerSecond,
            Timeout: check.timeoutSeconds * nanosPerSecond,
            Retries: check.retries,
            StartPeriod: check.startPeriodSeconds * nanosPerSecond,
          },
        }),
    HostConfig: {
      NetworkMode: spec.network,
      Mounts: spec.volumes.map((v) => ({ Type: 'volume', Source: v.name, Target: v.target })),
    },
  };
}

/**
 * Long enough for the health check to have its full say: the start period, then every
 * retry at its interval and time-out, plus slack. Without a check of its own the image may
 * still have one, whose timing is unknown here.
 */
function healthTimeoutMs(spec: WorkloadSpec): number {
  const check = spec.healthcheck;
  if (check === undefined) return 300_000;
  const perTry = check.intervalSeconds + check.timeoutSeconds;
  return (check.startPeriodSeconds + perTry * (check.retries + 1) + 30) * 1000;
}

/**
 * Removes what this run created and returns the error to throw. Not under the job's signal:
 * a cancelled job must still clean up after itself.
 */
async function undo(
  connection: DockerConnection,
  instance: string,
  created: Created,
  error: unknown,
  onStep: StepReporter,
): Promise<unknown> {
  const removed: string[] = [];
  const left: string[] = [];
  const attempt = async (name: string, remove: (s: AbortSignal) => Promise<unknown>) => {
    onStep({ fraction: 1, container: name, phase: 'removing' });
    try {
      await requestDocker(connection, remove);
      removed.push(name);
    } catch {
      left.push(name);
    }
  };
  const { container } = created;
  if (container !== undefined) {
    await attempt(container.name, (abortSignal) =>
      connection.docker.getContainer(container.id).remove({ force: true, v: true, abortSignal }),
    );
  }
  for (const name of created.volumes) {
    await attempt(name, (abortSignal) => connection.docker.getVolume(name).remove({ abortSignal }));
  }
  // Anything but a UserError is a bug: it must reach the log with its stack, unwrapped.
  if (!(error instanceof UserError)) return error;
  if (left.length > 0) {
    return new ProvisionFailedError(error, 'provision-cleanup-incomplete', {
      instance,
      left: left.join(', '),
    });
  }
  return new ProvisionFailedError(error, 'provision-failed', {
    removed: removed.join(', ') || '—',
  });
}

/** The error that stopped provisioning, followed by what became of the things it made. */
export class ProvisionFailedError extends UserError {
  readonly inner: UserError;

  constructor(
    inner: UserError,
    code: 'provision-failed' | 'provision-cleanup-incomplete',
    params: Readonly<Record<string, string>>,
  ) {
    super(code, params, { cause: inner });
    this.inner = inner;
    this.message = `${inner.message} ${this.message}`;
  }

  override text(locale: Locale): string {
    return `${this.inner.text(locale)} ${super.text(locale)}`;
  }

  override hint(locale: Locale): string | undefined {
    return super.hint(locale) ?? this.inner.hint(locale);
  }
}
