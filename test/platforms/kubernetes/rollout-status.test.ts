import { describe, expect, it } from 'vitest';
import type { Deployment, StatefulSet } from '../../../src/platforms/kubernetes/objects.ts';
import {
  deploymentRolloutStatus,
  statefulSetRolloutStatus,
} from '../../../src/platforms/kubernetes/rollout-status.ts';

function deployment(
  generation: number,
  replicas: number | undefined,
  status: NonNullable<Deployment['status']>,
): Deployment {
  return {
    metadata: { name: 'moodle', generation },
    spec: { ...(replicas === undefined ? {} : { replicas }), template: {} },
    status,
  };
}

describe('deployment rollout status (kubectl rollout status)', () => {
  it('waits until the controller observed the new generation', () => {
    const d = deployment(3, 2, {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(deploymentRolloutStatus(d)).toEqual({
      state: 'waiting',
      message: 'Waiting for deployment spec update to be observed...',
    });
  });

  it('fails once the progress deadline is exceeded, before counting replicas', () => {
    const d = deployment(2, 3, {
      observedGeneration: 2,
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True' },
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
      ],
    });
    expect(deploymentRolloutStatus(d)).toEqual({
      state: 'failed',
      message: 'deployment "moodle" exceeded its progress deadline',
    });
  });

  it('waits for updated, then old replicas to go, then availability', () => {
    const base = {
      observedGeneration: 2,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
    };
    expect(
      deploymentRolloutStatus(
        deployment(2, 3, { ...base, replicas: 4, updatedReplicas: 1, availableReplicas: 3 }),
      ).message,
    ).toBe(
      'Waiting for deployment "moodle" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(
      deploymentRolloutStatus(
        deployment(2, 3, { ...base, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      ).message,
    ).toBe(
      'Waiting for deployment "moodle" rollout to finish: 1 old replicas are pending termination...',
    );
    expect(
      deploymentRolloutStatus(
        deployment(2, 3, { ...base, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      ).message,
    ).toBe(
      'Waiting for deployment "moodle" rollout to finish: 2 of 3 updated replicas are available...',
    );
    expect(
      deploymentRolloutStatus(
        deployment(2, 3, { ...base, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
      ),
    ).toEqual({
      state: 'done',
      message: 'deployment "moodle" successfully rolled out',
    });
  });

  it('treats absent counts as zero, as the Go structs do', () => {
    // Scaled to 0: nothing to wait for.
    expect(deploymentRolloutStatus(deployment(1, 0, { observedGeneration: 1 })).state).toBe('done');
    // No status at all: generation 1 is not observed yet.
    expect(
      deploymentRolloutStatus({ metadata: { name: 'x', generation: 1 }, spec: { template: {} } })
        .state,
    ).toBe('waiting');
  });
});

function statefulSet(
  spec: Partial<StatefulSet['spec']>,
  status: NonNullable<StatefulSet['status']>,
  generation = 2,
): StatefulSet {
  return { metadata: { name: 'db', generation }, spec: { template: {}, ...spec }, status };
}

describe('statefulset rollout status (kubectl rollout status)', () => {
  const rolling = { type: 'RollingUpdate' };

  it('refuses OnDelete, whose pods change only when people delete them', () => {
    expect(
      statefulSetRolloutStatus(statefulSet({ updateStrategy: { type: 'OnDelete' } }, {})).state,
    ).toBe('failed');
  });

  it('waits while observedGeneration is 0 or behind', () => {
    expect(
      statefulSetRolloutStatus(
        statefulSet({ replicas: 1, updateStrategy: rolling }, { observedGeneration: 0 }, 0),
      ).state,
    ).toBe('waiting');
    expect(
      statefulSetRolloutStatus(
        statefulSet({ replicas: 1, updateStrategy: rolling }, { observedGeneration: 1 }),
      ).message,
    ).toBe('Waiting for statefulset spec update to be observed...');
  });

  it('waits for ready pods, then for the update revision', () => {
    const spec = { replicas: 3, updateStrategy: rolling };
    expect(
      statefulSetRolloutStatus(statefulSet(spec, { observedGeneration: 2, readyReplicas: 1 }))
        .message,
    ).toBe('Waiting for 2 pods to be ready...');
    expect(
      statefulSetRolloutStatus(
        statefulSet(spec, {
          observedGeneration: 2,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        }),
      ),
    ).toEqual({
      state: 'waiting',
      message: 'waiting for statefulset rolling update to complete 1 pods at revision db-2...',
    });
    expect(
      statefulSetRolloutStatus(
        statefulSet(spec, {
          observedGeneration: 2,
          readyReplicas: 3,
          currentReplicas: 3,
          updatedReplicas: 3,
          currentRevision: 'db-2',
          updateRevision: 'db-2',
        }),
      ),
    ).toEqual({
      state: 'done',
      message: 'statefulset rolling update complete 3 pods at revision db-2...',
    });
  });

  it('with a partition (the API server defaults it to 0) counts updated pods above it', () => {
    const spec = {
      replicas: 3,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
    };
    expect(
      statefulSetRolloutStatus(
        statefulSet(spec, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }),
      ).message,
    ).toBe('Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...');
    expect(
      statefulSetRolloutStatus(
        statefulSet(spec, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 }),
      ),
    ).toEqual({
      state: 'done',
      message: 'partitioned roll out complete: 2 new pods have been updated...',
    });
  });
});
