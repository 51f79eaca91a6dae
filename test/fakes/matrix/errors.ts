/**
 * Matrix's standard error response (https://spec.matrix.org/v1.13/client-server-api/#standard-error-response):
 * a JSON object with `errcode` and `error`, plus extra keys some codes define
 * (`retry_after_ms` for M_LIMIT_EXCEEDED, `soft_logout` for M_UNKNOWN_TOKEN).
 */
import type { JsonObject } from './types.ts';

export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly error: string;
  readonly extra: JsonObject;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    errcode: string,
    error: string,
    extra: JsonObject = {},
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${status} ${errcode}: ${error}`);
    this.status = status;
    this.errcode = errcode;
    this.error = error;
    this.extra = extra;
    this.headers = headers;
  }

  body(): JsonObject {
    return { errcode: this.errcode, error: this.error, ...this.extra };
  }
}

export const forbidden = (message: string): MatrixHttpError =>
  new MatrixHttpError(403, 'M_FORBIDDEN', message);

export const notFound = (message: string): MatrixHttpError =>
  new MatrixHttpError(404, 'M_NOT_FOUND', message);

export const badJson = (message: string): MatrixHttpError =>
  new MatrixHttpError(400, 'M_BAD_JSON', message);

export const invalidParam = (message: string): MatrixHttpError =>
  new MatrixHttpError(400, 'M_INVALID_PARAM', message);
