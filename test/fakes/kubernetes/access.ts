/**
 * Who may do what: a rule set in the shape of RBAC PolicyRules
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/ : verbs, apiGroups,
 * resources with "resource/subresource", resourceNames; "*" matches everything, a plain
 * resource does not cover its subresources), with optional namespaces (a RoleBinding's reach).
 * The same rules answer requests (403 Forbidden with the authorizer's message,
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go) and
 * SelfSubjectAccessReviews
 * (https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/self-subject-access-review-v1/).
 */
import { at, str, type JsonObject } from './json.ts';
import { ApiError, groupResource } from './status.ts';

export interface Rule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** Namespaces the rule applies in; absent means every namespace and the cluster scope. */
  readonly namespaces?: readonly string[];
  readonly resourceNames?: readonly string[];
}

export interface Attributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

/** Every verb on everything: the fake's default, like a cluster-admin binding. */
export const ALLOW_ALL: readonly Rule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];

function resourceMatches(rule: Rule, a: Attributes): boolean {
  const full = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  return rule.resources.some(
    (r) => r === '*' || r === full || (a.subresource !== '' && r === `*/${a.subresource}`),
  );
}

export function isAllowed(rules: readonly Rule[], a: Attributes): boolean {
  return rules.some(
    (rule) =>
      (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.group)) &&
      resourceMatches(rule, a) &&
      (rule.namespaces === undefined ||
        (a.namespace !== '' && rule.namespaces.includes(a.namespace))) &&
      (rule.resourceNames === undefined || (a.name !== '' && rule.resourceNames.includes(a.name))),
  );
}

export function forbidden(user: string, a: Attributes): ApiError {
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  const where =
    a.namespace === '' ? 'at the cluster scope' : `in the namespace ${JSON.stringify(a.namespace)}`;
  const reason = `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${where}`;
  const gr = groupResource(a.group, a.resource);
  const message =
    a.name === ''
      ? `${gr} is forbidden: ${reason}`
      : `${gr} ${JSON.stringify(a.name)} is forbidden: ${reason}`;
  const details: JsonObject = { name: a.name, kind: a.resource };
  if (a.group !== '') details.group = a.group;
  return new ApiError(403, 'Forbidden', message, details);
}

/** Answers a SelfSubjectAccessReview body from the rules. */
export function reviewAccess(rules: readonly Rule[], body: JsonObject): JsonObject {
  const ra = at(body, 'spec', 'resourceAttributes');
  const a: Attributes = {
    verb: str(at(ra, 'verb')) ?? '',
    group: str(at(ra, 'group')) ?? '',
    resource: str(at(ra, 'resource')) ?? '',
    subresource: str(at(ra, 'subresource')) ?? '',
    namespace: str(at(ra, 'namespace')) ?? '',
    name: str(at(ra, 'name')) ?? '',
  };
  const spec = at(body, 'spec') ?? {};
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: isAllowed(rules, a) },
  };
}
