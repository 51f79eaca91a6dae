/**
 * A platform double for the goldens: moodle has two containers, keycloak none; every verb
 * reports the steps a Docker engine would and answers with fixed reports. `failUpdate` makes
 * the next update or rollback fail at its second container and put the first one back, as
 * src/platforms/docker does (the UserError it throws is the real one).
 */
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type {
  ContainerReport,
  ContainerStatus,
  ImageTarget,
  Platform,
  ServiceStatus,
  UpdatePlan,
} from '../../src/core/platform.ts';
import { fakePlatform } from '../helpers/bot.ts';

function container(n: number, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    name: `pes-moodle-${n}`,
    id: String(n).repeat(64),
    state: 'running',
    health: n === 1 ? 'healthy' : 'none',
    image: 'moodle',
    tag: '4.5',
    startedAt: new Date('2026-12-05T21:02:00Z'),
    restartCount: n - 1,
    ...extra,
  };
}

export interface GoldenPlatform extends Platform {
  failUpdate: boolean;
  /** While set, a restart waits for it after its first step (a job to be busy with). */
  gate: Promise<void> | undefined;
}

export function goldenPlatform(): GoldenPlatform {
  const moodle: ServiceStatus = {
    service: 'moodle',
    state: 'degraded',
    containers: [container(1), container(2, { state: 'exited', startedAt: undefined })],
  };
  const statuses = {
    moodle,
    keycloak: { service: 'keycloak', state: 'missing', containers: [] } satisfies ServiceStatus,
  };
  const planUpdate = (service: ServiceDefinition, target: ImageTarget): Promise<UpdatePlan> => {
    if (service.name !== 'moodle')
      return Promise.resolve({ service: service.name, changes: [], pull: false });
    const to =
      target.kind === 'previous'
        ? { reference: 'moodle:4.4', id: 'sha256:' + '4'.repeat(64) }
        : target.kind === 'tag'
          ? { reference: `moodle:${target.tag}`, id: undefined }
          : { reference: 'moodle:4.5', id: 'sha256:' + '6'.repeat(64) };
    return Promise.resolve({
      service: 'moodle',
      pull: to.id === undefined,
      changes: [1, 2].map((n) => ({
        container: `pes-moodle-${n}`,
        from: { reference: 'moodle:4.5', id: 'sha256:' + '5'.repeat(64) },
        to,
      })),
    });
  };
  const p: GoldenPlatform = {
    ...fakePlatform(statuses),
    failUpdate: false,
    gate: undefined,
    logs: (service, request) =>
      Promise.resolve(
        service.name === 'moodle'
          ? [
              {
                container: 'pes-moodle-1',
                text: '2026-12-06T00:10:00Z [cron] done\n2026-12-06T00:11:00Z PHP Warning: x\n',
              },
              { container: 'pes-moodle-2', text: '' },
            ].filter((l) => request.container === undefined || l.container === request.container)
          : [],
      ),
    restart: async (_service, onStep, signal) => {
      onStep({ fraction: 0, container: 'pes-moodle-1', phase: 'stopping' });
      if (p.gate !== undefined) {
        const aborted = new Promise<void>((resolve) =>
          signal?.addEventListener('abort', () => resolve(), { once: true }),
        );
        await Promise.race([p.gate, aborted]);
        signal?.throwIfAborted();
      }
      onStep({ fraction: 0.25, container: 'pes-moodle-1', phase: 'waiting' });
      onStep({ fraction: 0.5, container: 'pes-moodle-1', phase: 'healthy' });
      onStep({ fraction: 0.5, container: 'pes-moodle-2', phase: 'stopping' });
      onStep({ fraction: 0.75, container: 'pes-moodle-2', phase: 'waiting' });
      return [
        { container: 'pes-moodle-1', action: 'restarted', health: 'healthy', durationMs: 2345 },
        { container: 'pes-moodle-2', action: 'restarted', health: 'running', durationMs: 1000 },
      ] satisfies ContainerReport[];
    },
    planScale: (service, replicas) => {
      const before = 2;
      const names = (from: number, to: number): string[] =>
        Array.from({ length: Math.max(0, to - from) }, (_, i) => `pes-moodle-${from + i + 1}`);
      return Promise.resolve({
        service: service.name,
        before,
        after: replicas,
        create: names(before, replicas),
        remove: names(replicas, before).reverse(),
      });
    },
    scale: (_service, plan, onStep) => {
      const all = [...plan.create, ...plan.remove];
      all.forEach((name, i) => {
        const phase = plan.create.includes(name) ? 'creating' : 'removing';
        onStep({ fraction: i / all.length, container: name, phase });
      });
      return Promise.resolve(
        all.map((name) => ({
          container: name,
          action: plan.create.includes(name) ? ('created' as const) : ('removed' as const),
          health: plan.create.includes(name) ? ('healthy' as const) : ('stopped' as const),
          durationMs: 3100,
        })),
      );
    },
    planUpdate,
    planProvision: (spec) =>
      spec.name === 'files'
        ? Promise.reject(
            new UserError('provision-exists', { instance: spec.name, names: 'files, files-data' }),
          )
        : Promise.resolve({
            instance: spec.name,
            container: spec.name,
            volumes: spec.volumes.map((v) => v.name),
            image: spec.image,
            pull: false,
          }),
    provision: (spec, onStep) => {
      onStep({ fraction: 0.2, container: spec.name, phase: 'creating' });
      onStep({ fraction: 0.5, container: spec.name, phase: 'waiting' });
      return Promise.resolve<ContainerReport[]>([
        { container: spec.name, action: 'created', health: 'healthy', durationMs: 1200 },
      ]);
    },
    planDeprovision: (instance, deleteData) =>
      instance === 'ghost'
        ? Promise.reject(new UserError('unknown-instance', { name: instance }))
        : Promise.resolve({
            instance,
            containers: [instance],
            volumes: [`${instance}-data`],
            deleteData,
          }),
    deprovision: (plan, onStep) => {
      onStep({ fraction: 0, container: plan.instance, phase: 'removing' });
      const gone = [plan.instance, ...(plan.deleteData ? plan.volumes : [])];
      return Promise.resolve<ContainerReport[]>(
        gone.map((name) => ({
          container: name,
          action: 'removed',
          health: 'stopped',
          durationMs: 800,
        })),
      );
    },
    update: (_service, plan, onStep) => {
      onStep({ fraction: 0, container: 'pes-moodle-1', phase: 'pulling' });
      onStep({ fraction: 0.1, container: 'pes-moodle-1', phase: 'stopping' });
      onStep({ fraction: 0.3, container: 'pes-moodle-1', phase: 'waiting' });
      onStep({ fraction: 0.5, container: 'pes-moodle-1', phase: 'healthy' });
      if (p.failUpdate) {
        p.failUpdate = false;
        onStep({ fraction: 0.6, container: 'pes-moodle-2', phase: 'failed' });
        onStep({ fraction: 0.8, container: 'pes-moodle-1', phase: 'rolling-back' });
        onStep({ fraction: 1, container: 'pes-moodle-1', phase: 'rolled-back' });
        return Promise.reject(
          new UserError('update-rolled-back', {
            service: plan.service,
            container: 'pes-moodle-2',
            reasonRu: 'не стал здоровым за 30 с',
            reasonEn: 'not healthy within 30 s',
            statesRu: 'pes-moodle-1: возвращён, работает, здоров',
            statesEn: 'pes-moodle-1: restored, running, healthy',
          }),
        );
      }
      onStep({ fraction: 0.5, container: 'pes-moodle-2', phase: 'stopping' });
      onStep({ fraction: 0.8, container: 'pes-moodle-2', phase: 'waiting' });
      return Promise.resolve<ContainerReport[]>(
        plan.changes.map((c) => ({
          container: c.container,
          action: 'updated',
          health: 'healthy',
          durationMs: 4200,
        })),
      );
    },
  };
  return p;
}
