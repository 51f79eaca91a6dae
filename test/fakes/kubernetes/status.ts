/**
 * Errors as the API server sends them: a `Status` object (kind Status, apiVersion v1,
 * status Failure, message, reason, details, code), per the API conventions
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#response-status-kind)
 * and the messages of k8s.io/apimachinery/pkg/api/errors/errors.go
 * (https://github.com/kubernetes/apimachinery/blob/master/pkg/api/errors/errors.go).
 */
import type { JsonObject } from './json.ts';

export interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** A failure the server answers with; thrown inside handlers, written by the router. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: JsonObject | undefined;

  constructor(code: number, reason: string, message: string, details?: JsonObject) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details !== undefined) status.details = this.details;
    return status;
  }
}

/** "deployments.apps" for a group, "pods" for the core group (GroupResource.String()). */
export function groupResource(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

function details(group: string, resource: string, name: string): JsonObject {
  const d: JsonObject = { name, kind: resource };
  if (group !== '') d.group = group;
  return d;
}

export function notFound(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    404,
    'NotFound',
    `${groupResource(group, resource)} "${name}" not found`,
    details(group, resource, name),
  );
}

export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${groupResource(group, resource)} "${name}" already exists`,
    details(group, resource, name),
  );
}

/** The optimistic-concurrency failure (registry/generic: OptimisticLockErrorMsg). */
export function conflict(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource(group, resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(group, resource, name),
  );
}

/**
 * A delete whose DeleteOptions.preconditions do not hold: the storage's "Precondition failed"
 * (apiserver storage/etcd3 checkPreconditions) turned into a 409 Conflict by
 * InterpretDeleteError (apiserver/pkg/storage/errors).
 */
export function preconditionFailed(
  group: string,
  resource: string,
  name: string,
  detail: string,
): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource(group, resource)} "${name}": Precondition failed: ${detail}`,
    details(group, resource, name),
  );
}

/** 422 with one cause per field (errors.NewInvalid: "Kind.group "name" is invalid: …"). */
export function invalid(group: string, kind: string, name: string, causes: Cause[]): ApiError {
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = text.length === 1 ? (text[0] ?? '') : `[${text.join(', ')}]`;
  const d: JsonObject = {
    name,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  };
  if (group !== '') d.group = group;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${joined}`, d);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

/** The 404 for a path the server does not serve at all. */
export function pageNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** A watch from a resourceVersion that compaction removed (storage: "too old resource version"). */
export function expired(requested: number, oldest: number): ApiError {
  return new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function successStatus(
  group: string,
  resource: string,
  name: string,
  uid: string,
): JsonObject {
  const d = details(group, resource, name);
  d.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: d };
}
