import { describe, expect, it } from 'vitest';
import { accessDenial, accessReview } from '../../../src/platforms/kubernetes/access-review.ts';

describe('the permission check before a change', () => {
  const patch = {
    cluster: 'main',
    namespace: 'lms',
    verb: 'patch',
    group: 'apps',
    resource: 'deployments',
    name: 'moodle',
  };

  it('asks about the verb, resource and namespace', () => {
    expect(accessReview({ ...patch, subresource: 'scale' })).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          namespace: 'lms',
          verb: 'patch',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
          name: 'moodle',
        },
      },
    });
  });

  it('passes when allowed', () => {
    expect(accessDenial(patch, { allowed: true })).toBeUndefined();
  });

  it('names what to grant when not allowed (or not answered)', () => {
    const denied = accessDenial(patch, { allowed: false, reason: 'no RBAC policy matched' });
    expect(denied?.code).toBe('kubernetes-forbidden');
    expect(denied?.text('en')).toBe(
      "The bot's account may not patch deployments in namespace lms: grant verb patch on deployments.apps.",
    );
    expect(accessDenial({ ...patch, subresource: 'scale' }, undefined)?.text('en')).toBe(
      "The bot's account may not patch deployments/scale in namespace lms: grant verb patch on deployments.apps/scale.",
    );
    const logs = accessDenial(
      {
        cluster: 'main',
        namespace: 'lms',
        verb: 'get',
        group: '',
        resource: 'pods',
        subresource: 'log',
      },
      { allowed: false },
    );
    expect(logs?.text('ru')).toBe(
      'Учётной записи бота запрещено действие get над pods/log в пространстве имён lms: выдайте право get на pods/log.',
    );
  });
});
