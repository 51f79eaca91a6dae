/**
 * The provisioning verbs go to the cluster, everything else (methods with their own `this`,
 * and members the port may gain) to Docker.
 */
import { describe, expect, it } from 'vitest';
import type { DeprovisionPlan, Platform, WorkloadSpec } from '../../../src/core/platform.ts';
import { provisionOn } from '../../../src/platforms/kubernetes/provision-route.ts';

/** A stand-in whose methods need their own `this`. */
class Recorder {
  readonly name: string;
  readonly seen: string[] = [];
  /** A member the Platform port does not (yet) list. */
  readonly extra = { marker: true };

  constructor(name: string) {
    this.name = name;
  }

  planDeprovision(instance: string): Promise<DeprovisionPlan> {
    this.seen.push(`planDeprovision ${instance}`);
    return Promise.resolve({ instance, containers: [], volumes: [], deleteData: false });
  }

  planProvision(spec: WorkloadSpec): Promise<unknown> {
    this.seen.push(`planProvision ${spec.name}`);
    return Promise.resolve(undefined);
  }

  removeVolume(name: string): Promise<void> {
    this.seen.push(`removeVolume ${name}`);
    return Promise.resolve();
  }
}

describe('provisionOn', () => {
  it('routes the four provisioning verbs to the cluster and the rest to Docker', async () => {
    const docker = new Recorder('docker');
    const cluster = new Recorder('kubernetes');
    const routed = provisionOn(
      docker as unknown as Platform,
      cluster as unknown as Platform,
    ) as unknown as Recorder & Platform;
    expect(routed.name).toBe('docker');
    await routed.planProvision({ name: 'files' } as WorkloadSpec);
    await routed.planDeprovision('files', false);
    await routed.removeVolume('moodle-data');
    expect(cluster.seen).toEqual(['planProvision files', 'planDeprovision files']);
    expect(docker.seen).toEqual(['removeVolume moodle-data']);
    expect(routed.extra).toBe(docker.extra);
  });
});
