import { describe, expect, it } from 'vitest';
import { isUserError } from '../../../src/core/errors.ts';
import { planImage } from '../../../src/platforms/kubernetes/image-patch.ts';
import type { Deployment, PodTemplate } from '../../../src/platforms/kubernetes/objects.ts';
import { planRestart } from '../../../src/platforms/kubernetes/restart-patch.ts';

const digest = `sha256:${'a'.repeat(64)}`;

const template: PodTemplate = {
  spec: {
    containers: [
      { name: 'keycloak', image: 'quay.io/keycloak/keycloak:26.0.6' },
      { name: 'proxy', image: `registry.local:5000/lms/proxy@${digest}` },
    ],
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
  },
};

describe('the restart patch (kubectl rollout restart)', () => {
  const deployment: Deployment = { metadata: { name: 'kc' }, spec: { template } };

  it('sets restartedAt in the pod template, in RFC 3339 without fractions', () => {
    const plan = planRestart(deployment, new Date('2026-12-06T22:40:05.123Z'));
    expect(plan).toEqual({
      kind: 'patch',
      contentType: 'application/strategic-merge-patch+json',
      patch: {
        spec: {
          template: {
            metadata: {
              annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-06T22:40:05Z' },
            },
          },
        },
      },
    });
  });

  it('refuses a paused Deployment', () => {
    expect(
      planRestart({ ...deployment, spec: { ...deployment.spec, paused: true } }, new Date()),
    ).toEqual({ kind: 'paused' });
  });
});

describe('the image patch', () => {
  it("a tag goes to the containers of the first container's repository; sidecars and init containers stay", () => {
    const plan = planImage(template, { kind: 'tag', tag: '26.0.7' });
    expect(plan.changes).toEqual([
      {
        container: 'keycloak',
        from: 'quay.io/keycloak/keycloak:26.0.6',
        to: 'quay.io/keycloak/keycloak:26.0.7',
      },
      {
        container: 'proxy',
        from: `registry.local:5000/lms/proxy@${digest}`,
        to: `registry.local:5000/lms/proxy@${digest}`,
      },
    ]);
    expect(plan.contentType).toBe('application/strategic-merge-patch+json');
    expect(plan.patch).toEqual({
      spec: {
        template: {
          spec: { containers: [{ name: 'keycloak', image: 'quay.io/keycloak/keycloak:26.0.7' }] },
        },
      },
    });
  });

  it('a digest goes only to the containers of its repository, and nothing when none changes', () => {
    const other = `sha256:${'c'.repeat(64)}`;
    const plan = planImage(template, {
      kind: 'digest',
      image: 'registry.local:5000/lms/proxy',
      digest: other,
    });
    expect(plan.patch).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'proxy', image: `registry.local:5000/lms/proxy@${other}` }],
          },
        },
      },
    });
    const same = planImage(template, {
      kind: 'digest',
      image: 'registry.local:5000/lms/proxy',
      digest,
    });
    expect(same.patch).toBeUndefined();
    expect(planImage(template, { kind: 'current' }).patch).toBeUndefined();
  });

  it('a reference goes only to the containers of its repository', () => {
    const plan = planImage(template, {
      kind: 'reference',
      reference: 'quay.io/keycloak/keycloak:26.1.0',
    });
    expect(plan.patch).toEqual({
      spec: {
        template: {
          spec: { containers: [{ name: 'keycloak', image: 'quay.io/keycloak/keycloak:26.1.0' }] },
        },
      },
    });
  });

  it('refuses a reference or digest that no container runs, in one line', () => {
    let caught: unknown;
    try {
      planImage(template, { kind: 'reference', reference: 'registry.test/moodle:4.5' });
    } catch (error) {
      caught = error;
    }
    expect(isUserError(caught) && caught.code).toBe('kubernetes-image-no-container');
    if (!isUserError(caught)) return;
    expect(caught.text('en')).toBe(
      `No container runs registry.test/moodle (containers: keycloak (quay.io/keycloak/keycloak:26.0.6), proxy (registry.local:5000/lms/proxy@${digest})); nothing was changed.`,
    );
  });

  it('refuses a reference that is not one', () => {
    for (const reference of [
      'moodle;id',
      '../../etc/passwd',
      'Moodle:1',
      'moodle:1 --x',
      'a@sha256:zz',
    ]) {
      let caught: unknown;
      try {
        planImage(template, { kind: 'reference', reference });
      } catch (error) {
        caught = error;
      }
      expect(isUserError(caught) && caught.code === 'update-bad-target', reference).toBe(true);
    }
  });

  it('refuses a tag for a container that runs an image id', () => {
    const byId: PodTemplate = { spec: { containers: [{ name: 'x', image: 'b'.repeat(64) }] } };
    expect(() => planImage(byId, { kind: 'tag', tag: '1' })).toThrow(/runs an image by id/);
  });
});
