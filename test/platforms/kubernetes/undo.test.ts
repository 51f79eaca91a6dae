import { describe, expect, it } from 'vitest';
import type {
  ControllerRevision,
  Deployment,
  PodTemplate,
  ReplicaSet,
  StatefulSet,
} from '../../../src/platforms/kubernetes/objects.ts';
import { planDeploymentUndo, planStatefulSetUndo } from '../../../src/platforms/kubernetes/undo.ts';

const owner = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'moodle',
  uid: 'd-1',
  controller: true,
};

function template(image: string, hash?: string, extra: Record<string, string> = {}): PodTemplate {
  return {
    metadata: {
      labels: {
        app: 'moodle',
        ...(hash === undefined ? {} : { 'pod-template-hash': hash }),
        ...extra,
      },
    },
    spec: { containers: [{ name: 'moodle', image }] },
  };
}

function replicaSet(
  revision: string | undefined,
  image: string,
  opts: { uid?: string; controller?: boolean; annotations?: Record<string, string> } = {},
): ReplicaSet {
  return {
    metadata: {
      name: `moodle-${image.replace(/\W/g, '')}`,
      annotations: {
        ...(revision === undefined ? {} : { 'deployment.kubernetes.io/revision': revision }),
        ...opts.annotations,
      },
      ownerReferences: [{ ...owner, uid: opts.uid ?? 'd-1', controller: opts.controller ?? true }],
    },
    spec: { template: template(image, `h${image.length}`) },
  };
}

function deployment(
  image: string,
  opts: { paused?: boolean; annotations?: Record<string, string> } = {},
): Deployment {
  return {
    metadata: { name: 'moodle', uid: 'd-1', generation: 3, annotations: opts.annotations ?? {} },
    spec: {
      replicas: 2,
      template: template(image),
      ...(opts.paused === undefined ? {} : { paused: opts.paused }),
    },
  };
}

describe('undo of a Deployment (kubectl rollout undo)', () => {
  it('restores the previous revision by JSON patch, without the hash label', () => {
    const d = deployment('moodle:4.5.2', {
      annotations: {
        'deployment.kubernetes.io/revision': '3',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        team: 'lms',
      },
    });
    const sets = [
      replicaSet('1', 'moodle:4.5.0'),
      replicaSet('3', 'moodle:4.5.2'),
      replicaSet('2', 'moodle:4.5.1', {
        annotations: { 'deployment.kubernetes.io/revision-history': '1', note: 'from rs' },
      }),
      // Not this Deployment's: another owner, or a reference that is not the controller.
      replicaSet('9', 'other:1', { uid: 'd-2' }),
      replicaSet('8', 'other:2', { controller: false }),
      // A revision that is not a number does not count.
      replicaSet('x', 'other:3'),
    ];
    const plan = planDeploymentUndo(d, sets);
    expect(plan).toEqual({
      kind: 'patch',
      revision: 2,
      from: 'moodle-moodle451',
      contentType: 'application/json-patch+json',
      patch: [
        { op: 'replace', path: '/spec/template', value: template('moodle:4.5.1') },
        {
          op: 'replace',
          path: '/metadata/annotations',
          // Kept from the Deployment: its revision and last-applied; copied from the
          // ReplicaSet: everything else but the skipped ones. `team` is dropped, as kubectl does.
          value: {
            'deployment.kubernetes.io/revision': '3',
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
            note: 'from rs',
          },
        },
      ],
    });
  });

  it('skips when the template already matches the previous revision', () => {
    // After an update that was undone by hand: the template is revision 2's again.
    const d = deployment('moodle:4.5.1');
    const plan = planDeploymentUndo(d, [
      replicaSet('2', 'moodle:4.5.1'),
      replicaSet('3', 'moodle:4.5.0'),
    ]);
    expect(plan).toEqual({ kind: 'skip', revision: 2 });
  });

  it('compares templates as the API does: absent and empty are the same', () => {
    const d = deployment('moodle:4.5.1');
    const rs = replicaSet('1', 'moodle:4.5.1');
    const withEmpty: ReplicaSet = {
      ...rs,
      spec: {
        template: {
          ...template('moodle:4.5.1', 'abc'),
          spec: { containers: [{ name: 'moodle', image: 'moodle:4.5.1', env: [] }] },
        },
      },
    };
    expect(planDeploymentUndo(d, [withEmpty, replicaSet('2', 'moodle:9')])).toEqual({
      kind: 'skip',
      revision: 1,
    });
  });

  it('has nothing to go back to with one revision', () => {
    expect(planDeploymentUndo(deployment('moodle:1'), [replicaSet('1', 'moodle:1')])).toEqual({
      kind: 'no-history',
    });
  });

  it('refuses a paused Deployment', () => {
    const d = deployment('moodle:2', { paused: true });
    expect(
      planDeploymentUndo(d, [replicaSet('1', 'moodle:1'), replicaSet('2', 'moodle:2')]),
    ).toEqual({ kind: 'paused' });
  });
});

function statefulSet(image: string): StatefulSet {
  return {
    metadata: { name: 'db', uid: 's-1', generation: 2 },
    spec: { replicas: 1, template: template(image) },
  };
}

function revision(n: number, image: string, uid = 's-1'): ControllerRevision {
  return {
    metadata: {
      name: `db-${n}`,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid, controller: true },
      ],
    },
    revision: n,
    // Keys in another order than the template: equal content is equal.
    data: {
      spec: {
        template: {
          spec: { containers: [{ image, name: 'moodle' }] },
          metadata: { labels: { app: 'moodle' } },
          $patch: 'replace',
        },
      },
    },
  };
}

describe('undo of a StatefulSet (ControllerRevisions)', () => {
  it('applies the second newest revision it controls as a strategic-merge patch', () => {
    const revisions = [
      revision(3, 'pg:16.4'),
      revision(1, 'pg:16.2'),
      revision(2, 'pg:16.3'),
      revision(7, 'x:1', 's-2'),
    ];
    const plan = planStatefulSetUndo(statefulSet('pg:16.4'), revisions);
    expect(plan).toEqual({
      kind: 'patch',
      revision: 2,
      from: 'db-2',
      contentType: 'application/strategic-merge-patch+json',
      patch: revision(2, 'pg:16.3').data,
    });
  });

  it('skips when the template already matches that revision', () => {
    expect(
      planStatefulSetUndo(statefulSet('pg:16.3'), [revision(2, 'pg:16.3'), revision(3, 'pg:16.4')]),
    ).toEqual({
      kind: 'skip',
      revision: 2,
    });
  });

  it('has nothing to go back to with one revision of its own', () => {
    expect(
      planStatefulSetUndo(statefulSet('pg:16.4'), [
        revision(1, 'pg:16.4'),
        revision(2, 'x:1', 's-2'),
      ]),
    ).toEqual({
      kind: 'no-history',
    });
  });
});
