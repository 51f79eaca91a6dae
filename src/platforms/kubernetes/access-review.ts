/**
 * Asking the API server whether the bot's own account may do something, before it tries:
 * a SelfSubjectAccessReview (authorization.k8s.io/v1) with the verb, group, resource,
 * subresource and namespace. A refusal becomes one line naming what to grant, in the form
 * `kubectl create role --verb=… --resource=resource.group/subresource` takes.
 */
import type { UserError } from '../../core/errors.ts';
import { forbidden } from './api-errors.ts';

export interface AccessRequest {
  readonly cluster: string;
  readonly namespace: string;
  readonly verb: string;
  /** `apps`, or '' for the core group (pods, pods/log). */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
}

export interface SelfSubjectAccessReview {
  readonly apiVersion: 'authorization.k8s.io/v1';
  readonly kind: 'SelfSubjectAccessReview';
  readonly spec: {
    readonly resourceAttributes: {
      readonly namespace: string;
      readonly verb: string;
      readonly group: string;
      readonly resource: string;
      readonly subresource?: string;
      readonly name?: string;
    };
  };
}

export function accessReview(request: AccessRequest): SelfSubjectAccessReview {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        namespace: request.namespace,
        verb: request.verb,
        group: request.group,
        resource: request.resource,
        ...(request.subresource === undefined ? {} : { subresource: request.subresource }),
        ...(request.name === undefined ? {} : { name: request.name }),
      },
    },
  };
}

/** The status the server fills in; `allowed` false with `denied` absent means "no opinion". */
export interface AccessReviewStatus {
  readonly allowed?: boolean;
  readonly denied?: boolean;
  readonly reason?: string;
}

/** undefined when allowed; else the refusal with the grant hint. */
export function accessDenial(
  request: AccessRequest,
  status: AccessReviewStatus | undefined,
): UserError | undefined {
  if (status?.allowed === true) return undefined;
  return forbidden({
    cluster: request.cluster,
    verb: request.verb,
    resource: request.resource,
    group: request.group,
    namespace: request.namespace,
    ...(request.subresource === undefined ? {} : { subresource: request.subresource }),
  });
}
