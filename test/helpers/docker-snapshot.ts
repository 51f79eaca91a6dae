/**
 * The state of a test run's containers on the engine, for "nothing changed" checks, and the
 * bot wired to the real engine for scale / update / rollback tests.
 */
import type { ContainerInspectInfo } from 'dockerode';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { createTestBot, type TestBot } from './bot.ts';
import { service, testCatalog } from './catalog.ts';
import type { DockerTestBed } from './docker.ts';

export const admin = 'local:root';

/**
 * Every container of the test bed's run, fully inspected, by name. Left out is only what
 * the engine changes by itself: the health check log and the ids of the execs that run the
 * health checks. Mounts are sorted, since the engine lists them in map order.
 */
export async function engineSnapshot(bed: DockerTestBed): Promise<Record<string, unknown>> {
  const listed = await bed.docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${bed.runId}`] },
  });
  const snapshot: Record<string, unknown> = {};
  for (const info of listed) {
    const inspected = await bed.docker.getContainer(info.Id).inspect();
    const { State: state } = inspected;
    const health = state.Health === undefined ? undefined : { Status: state.Health.Status };
    const mounts = [...inspected.Mounts].sort((a, b) => a.Destination.localeCompare(b.Destination));
    snapshot[inspected.Name] = {
      ...inspected,
      State: { ...state, Health: health },
      ExecIDs: undefined,
      Mounts: mounts,
    };
  }
  return snapshot;
}

/** The containers of a Compose service of this run, lowest replica number first. */
export async function composeContainers(
  bed: DockerTestBed,
  project: string,
  name: string,
): Promise<ContainerInspectInfo[]> {
  const listed = await bed.docker.listContainers({
    all: true,
    filters: {
      label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${name}`],
    },
  });
  const inspected = await Promise.all(
    listed.map((info) => bed.docker.getContainer(info.Id).inspect()),
  );
  const number = (i: ContainerInspectInfo): number =>
    Number(i.Config.Labels['com.docker.compose.container-number'] ?? 0);
  return inspected.sort((a, b) => number(a) - number(b) || a.Name.localeCompare(b.Name));
}

export function composeService(
  name: string,
  project: string,
  extra: Partial<ServiceDefinition> = {},
): ServiceDefinition {
  return service(name, {
    containers: { compose: { project, service: name } },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds: 20 },
    ...extra,
  });
}

/** A bot on the real engine whose catalog holds exactly these services. */
export function engineBot(
  bed: DockerTestBed,
  services: readonly ServiceDefinition[],
  options: { pull?: boolean } = {},
): TestBot {
  return createTestBot({
    catalog: testCatalog({ services: new Map(services.map((s) => [s.name, s])) }),
    platform: new DockerPlatform({ ...bed.connection, pull: options.pull === true }),
  });
}

/** Answers every confirmation question yes and remembers what was asked. */
export function yes(asked: string[]): {
  sink: { confirm: { kind: 'prompt'; ask(d: string): Promise<boolean> } };
} {
  return {
    sink: {
      confirm: {
        kind: 'prompt',
        ask: (description) => {
          asked.push(description);
          return Promise.resolve(true);
        },
      },
    },
  };
}
