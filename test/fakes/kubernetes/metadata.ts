/**
 * Metadata-only answers: a client that sends `Accept: application/json;as=PartialObjectMetadata;
 * g=meta.k8s.io;v=v1` on a get, or `as=PartialObjectMetadataList` on a list, gets only each
 * object's metadata (API reference, meta/v1 PartialObjectMetadata and
 * PartialObjectMetadataList; apiserver endpoints/handlers/response.go, transformObject). The
 * wrong one of the two for the request is 406 NotAcceptable, as there.
 */
import { isObject, type JsonObject } from './json.ts';
import { ApiError } from './status.ts';

type Wanted = 'object' | 'list' | undefined;

function wanted(accept: string | undefined): Wanted {
  const match = /as=(PartialObjectMetadata(?:List)?)\b/.exec(accept ?? '');
  if (match === null) return undefined;
  return match[1] === 'PartialObjectMetadataList' ? 'list' : 'object';
}

function partial(o: JsonObject): JsonObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: isObject(o.metadata) ? o.metadata : {},
  };
}

function notAcceptable(message: string): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

/** The object's metadata when the request asks for it; undefined: answer as usual. */
export function metadataOfObject(
  accept: string | undefined,
  o: JsonObject,
): JsonObject | undefined {
  const want = wanted(accept);
  if (want === undefined) return undefined;
  if (want === 'list') {
    throw notAcceptable(
      'you requested PartialObjectMetadataList, but the requested object is not a list',
    );
  }
  return partial(o);
}

/** The list's metadata when the request asks for it; undefined: answer as usual. */
export function metadataOfList(
  accept: string | undefined,
  items: readonly JsonObject[],
  resourceVersion: string,
): JsonObject | undefined {
  const want = wanted(accept);
  if (want === undefined) return undefined;
  if (want === 'object') {
    throw notAcceptable('you requested PartialObjectMetadata, but the requested object is a list');
  }
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    items: items.map(partial),
  };
}
