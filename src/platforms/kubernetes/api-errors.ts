/**
 * From what client-node throws to the one line a person reads. The API server answers an
 * error with a `Status` object (kind Status, reason, code, message; API reference, "Status");
 * client-node 2.x throws it as an ApiException whose body is the response text, and a
 * request that never got an answer as fetch's TypeError with the socket error as a cause.
 */
import { UserError } from '../../core/errors.ts';

/** What a call was about, so that a refusal can name what to grant. */
export interface ApiAction {
  readonly cluster: string;
  readonly verb: string;
  /** The resource as RBAC names it: `deployments`, `pods`. */
  readonly resource: string;
  /** `scale`, `log`, `exec`… when the call was on a subresource. */
  readonly subresource?: string;
  /** The API group: `apps`, or '' for the core group. */
  readonly group: string;
  readonly namespace: string;
}

export interface ApiStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

/** The HTTP code and Status of an API error; undefined for anything else. */
export function apiStatus(error: unknown): ApiStatus | undefined {
  if (!(error instanceof Error) || !('code' in error) || !('body' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  if (typeof code !== 'number') return undefined;
  const body = (error as { body: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const status =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  return {
    code,
    reason: typeof status['reason'] === 'string' ? status['reason'] : '',
    message: typeof status['message'] === 'string' ? status['message'] : '',
  };
}

/** Socket errors that mean the server was not reached or stopped answering. */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The socket or TLS error code somewhere down the cause chain (AggregateError included). */
export function networkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && unreachableCodes.has(code)) return code;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const e of inner as unknown[]) {
      const found = networkCode(e, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return networkCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * The person-facing error for a failed call, or the error itself when it is not the API's
 * (a bug, an abort): those stay internal errors with their stack.
 */
export function toUserError(error: unknown, action: ApiAction): unknown {
  if (error instanceof UserError) return error;
  const status = apiStatus(error);
  if (status === undefined) {
    const code = networkCode(error);
    if (code === undefined) return error;
    return new UserError(
      'kubernetes-unreachable',
      { cluster: action.cluster, reason: code },
      { cause: error },
    );
  }
  if (status.code === 401) {
    return new UserError('kubernetes-unauthorized', { cluster: action.cluster }, { cause: error });
  }
  if (status.code === 403) return forbidden(action, error);
  return new UserError(
    'kubernetes-api-error',
    {
      cluster: action.cluster,
      code: status.code,
      reason: status.reason === '' ? 'Error' : status.reason,
      // The server's own sentence names the object and what is wrong with it.
      detail: status.message === '' ? '(no message)' : status.message,
    },
    { cause: error },
  );
}

/**
 * "may not patch deployments in namespace lms: grant verb patch on deployments.apps"; the
 * grant in the `resource.group/subresource` form of `kubectl create role --resource`.
 */
export function forbidden(action: ApiAction, cause?: unknown): UserError {
  const sub = action.subresource === undefined ? '' : `/${action.subresource}`;
  const group = action.group === '' ? '' : `.${action.group}`;
  return new UserError(
    'kubernetes-forbidden',
    {
      verb: action.verb,
      resource: `${action.resource}${sub}`,
      grant: `${action.resource}${group}${sub}`,
      namespace: action.namespace,
    },
    cause === undefined ? undefined : { cause },
  );
}
