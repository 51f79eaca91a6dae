/**
 * The one protobuf body the fake reads: a SelfSubjectAccessReview, which kubectl's typed
 * clients send as `application/vnd.kubernetes.protobuf` (a real server takes protobuf for
 * every built-in type). Format: https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding
 * (the "k8s\0" prefix, then a runtime.Unknown {typeMeta 1, raw 2, contentEncoding 3,
 * contentType 4}); the message fields are those of k8s.io/api/authorization/v1/generated.proto
 * (SelfSubjectAccessReview.spec = 2; spec.resourceAttributes = 1; namespace 1, verb 2,
 * group 3, version 4, resource 5, subresource 6, name 7).
 */
import type { JsonObject } from './json.ts';
import { badRequest } from './status.ts';

type Fields = Map<number, Buffer[]>;

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let p = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[p];
      if (byte === undefined) throw badRequest('truncated protobuf');
      p += 1;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
    }
  };
  while (p < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      varint();
      continue;
    }
    if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
      continue;
    }
    if (wire !== 2) throw badRequest(`unsupported protobuf wire type ${wire}`);
    const length = varint();
    const bytes = buf.subarray(p, p + length);
    p += length;
    out.set(field, [...(out.get(field) ?? []), bytes]);
  }
  return out;
}

const first = (f: Fields, n: number): Buffer => f.get(n)?.[0] ?? Buffer.alloc(0);

export function decodeSelfSubjectAccessReview(body: Buffer): JsonObject {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\u0000')
    throw badRequest('not a Kubernetes protobuf body');
  const unknown = fields(body.subarray(4));
  const review = fields(first(unknown, 2));
  const spec = fields(first(review, 2));
  const ra = fields(first(spec, 1));
  const text = (n: number): string => first(ra, n).toString('utf8');
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        namespace: text(1),
        verb: text(2),
        group: text(3),
        version: text(4),
        resource: text(5),
        subresource: text(6),
        name: text(7),
      },
    },
  };
}
