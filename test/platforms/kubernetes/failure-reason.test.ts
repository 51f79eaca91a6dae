import { describe, expect, it } from 'vitest';
import { failureReason } from '../../../src/platforms/kubernetes/failure-reason.ts';
import type { ContainerStatus, Event, Pod } from '../../../src/platforms/kubernetes/objects.ts';

function pod(name: string, phase: string, statuses: ContainerStatus[]): Pod {
  return { metadata: { name }, status: { phase, containerStatuses: statuses } };
}

const pulling: ContainerStatus = {
  name: 'moodle',
  ready: false,
  restartCount: 0,
  state: {
    waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "moodle:9.9"' },
  },
};
const crashing: ContainerStatus = {
  name: 'moodle',
  ready: false,
  started: false,
  restartCount: 4,
  state: {
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' },
  },
  lastState: { terminated: { exitCode: 3, reason: 'Error' } },
};
const unready: ContainerStatus = {
  name: 'moodle',
  ready: false,
  started: true,
  restartCount: 0,
  state: { running: {} },
};

function warning(name: string, reason: string, message: string): Event {
  return { involvedObject: { kind: 'Pod', name }, type: 'Warning', reason, message };
}

describe('why a rollout failed', () => {
  it('an image that cannot be pulled wins over everything else', () => {
    const pods = [pod('a', 'Running', [crashing]), pod('b', 'Pending', [pulling])];
    expect(failureReason(pods, [])).toEqual({
      kind: 'image-pull',
      pod: 'b',
      container: 'moodle',
      detail: 'Back-off pulling image "moodle:9.9"',
    });
  });

  it('a crash loop names the last exit code', () => {
    expect(failureReason([pod('a', 'Running', [crashing])], [])).toEqual({
      kind: 'crash-loop',
      pod: 'a',
      container: 'moodle',
      detail: 'exit code 3',
    });
  });

  it('reads the events when the pod statuses say nothing more', () => {
    const pods = [pod('a', 'Pending', [])];
    expect(
      failureReason(pods, [warning('a', 'Failed', 'Failed to pull image "moodle:9.9": not found')])
        .kind,
    ).toBe('image-pull');
    expect(
      failureReason(pods, [
        warning('a', 'BackOff', 'Back-off restarting failed container moodle in pod a'),
      ]).kind,
    ).toBe('crash-loop');
    const readiness = failureReason(pods, [
      warning('a', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503'),
    ]);
    expect(readiness).toEqual({
      kind: 'readiness',
      pod: 'a',
      container: undefined,
      detail: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
    });
  });

  it('ignores events about other pods and normal events', () => {
    const pods = [pod('a', 'Running', [unready])];
    const events = [
      warning('other', 'Failed', 'Failed to pull image "x"'),
      {
        involvedObject: { name: 'a' },
        type: 'Normal',
        reason: 'Pulled',
        message: 'Successfully pulled image',
      },
    ];
    expect(failureReason(pods, events)).toEqual({
      kind: 'readiness',
      pod: 'a',
      container: 'moodle',
      detail: undefined,
    });
  });

  it('falls back to the deadline', () => {
    expect(failureReason([pod('a', 'Pending', [])], []).kind).toBe('deadline');
  });
});
