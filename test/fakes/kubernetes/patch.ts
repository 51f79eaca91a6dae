/**
 * The patch types of PATCH requests (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 * and https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply):
 * JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and strategic merge patch
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md):
 * lists merged by their patchMergeKey (containers, env, volumes by name, container ports by
 * containerPort, service ports by port, conditions by type…), `$patch: replace|delete`,
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`, null deletes.
 */
import { clone, isObject, jsonEqual, type Json, type JsonObject } from './json.ts';
import { ApiError } from './status.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_PATCH] as const;

/** The failure of a patch that does not apply (the server's 422 for a patch it cannot use). */
function patchFailed(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw patchFailed(`invalid JSON pointer: ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map(unescapePointer);
}

function container(doc: Json, tokens: string[], op: string): Json {
  let current = doc;
  for (const t of tokens) {
    if (Array.isArray(current)) {
      const i = Number(t);
      const next = current[i];
      if (!/^\d+$/.test(t) || next === undefined)
        throw patchFailed(
          `${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`,
        );
      current = next;
    } else if (isObject(current)) {
      const next = current[t];
      if (next === undefined)
        throw patchFailed(
          `${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`,
        );
      current = next;
    } else
      throw patchFailed(
        `${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`,
      );
  }
  return current;
}

function getAt(doc: Json, path: string, op: string): Json {
  return container(doc, parsePointer(path), op);
}

function removeAt(doc: Json, path: string, op: string): Json {
  const tokens = parsePointer(path);
  const last = tokens.pop();
  if (last === undefined) throw patchFailed(`${op}: cannot remove the whole document`);
  const parent = container(doc, tokens, op);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length)
      throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
    return parent.splice(i, 1)[0] ?? null;
  }
  if (isObject(parent) && last in parent) {
    const v = parent[last] ?? null;
    Reflect.deleteProperty(parent, last);
    return v;
  }
  throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
}

function addAt(doc: Json, path: string, value: Json, op: string, replace: boolean): Json {
  const tokens = parsePointer(path);
  const last = tokens.pop();
  if (last === undefined) return value;
  const parent = container(doc, tokens, op);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (
      !(last === '-' || /^\d+$/.test(last)) ||
      i > parent.length ||
      (replace && i >= parent.length)
    ) {
      throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
    }
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent))
      throw patchFailed(`replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = value;
  } else throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
  return doc;
}

/** RFC 6902. */
export function applyJsonPatch(target: JsonObject, patch: Json): JsonObject {
  if (!Array.isArray(patch))
    throw new ApiError(
      400,
      'BadRequest',
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  let doc: Json = clone(target);
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw patchFailed('invalid JSON Patch operation');
    }
    const { op, path } = raw;
    const value = raw.value === undefined ? null : clone(raw.value);
    const from = typeof raw.from === 'string' ? raw.from : '';
    if (op === 'add') doc = addAt(doc, path, value, op, false);
    else if (op === 'replace') doc = addAt(doc, path, value, op, true);
    else if (op === 'remove') removeAt(doc, path, op);
    else if (op === 'move') doc = addAt(doc, path, removeAt(doc, from, op), op, false);
    else if (op === 'copy') doc = addAt(doc, path, clone(getAt(doc, from, op)), op, false);
    else if (op === 'test') {
      if (!jsonEqual(getAt(doc, path, op), value))
        throw patchFailed(`testing value ${path} failed: test failed`);
    } else throw patchFailed(`Unexpected kind: ${op}`);
  }
  if (!isObject(doc)) throw patchFailed('the patch made the object something other than an object');
  return doc;
}

/** RFC 7386. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * patchMergeKey of the lists strategic merge patch merges instead of replacing
 * (the `patchMergeKey` tags of k8s.io/api, e.g. core/v1/types.go). `ports` depends on where
 * it is: a container's ports merge by containerPort, a Service's by port.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};
/** Lists of scalars that merge as sets (patchStrategy merge without a key). */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (field === 'ports') {
    return items.some((i) => isObject(i) && i.containerPort !== undefined)
      ? 'containerPort'
      : 'port';
  }
  return MERGE_KEYS[field];
}

function mergeList(field: string, original: Json[], patch: Json[]): Json[] {
  if (MERGED_SCALAR_LISTS.has(field)) {
    const out = [...original];
    for (const p of patch) if (!out.some((o) => jsonEqual(o, p))) out.push(clone(p));
    return out;
  }
  const mergeKey = mergeKeyFor(field, [...original, ...patch]);
  if (mergeKey === undefined)
    return patch.filter((p) => !(isObject(p) && p.$patch !== undefined)).map((p) => clone(p));
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => clone(p));
  }
  const out = original.map((o) => clone(o));
  for (const p of patch) {
    if (!isObject(p)) continue;
    const k = p[mergeKey];
    const index = out.findIndex((o) => isObject(o) && jsonEqual(o[mergeKey], k));
    if (p.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMerge(out[index], p);
    else out.push(strategicMerge(undefined, p));
  }
  return out;
}

function reorder(items: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const position = (item: Json): number =>
    order.findIndex((o) =>
      mergeKey !== undefined && isObject(o) && isObject(item)
        ? jsonEqual(o[mergeKey], item[mergeKey])
        : jsonEqual(o, item),
    );
  const known = items.filter((i) => position(i) >= 0).sort((a, b) => position(a) - position(b));
  const rest = items.filter((i) => position(i) < 0);
  return [...known, ...rest];
}

/** Strategic merge of `patch` into `original`, per the document cited above. */
export function strategicMerge(original: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = clone(patch);
    Reflect.deleteProperty(rest, '$patch');
    return rest;
  }
  if (patch.$patch === 'delete') return {};
  const out: JsonObject = isObject(original) ? clone(original) : {};
  const retain = Array.isArray(patch.$retainKeys)
    ? patch.$retainKeys.filter((k) => typeof k === 'string')
    : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (v === null) {
      Reflect.deleteProperty(out, k);
      continue;
    }
    const current = out[k];
    if (Array.isArray(v)) out[k] = mergeList(k, Array.isArray(current) ? current : [], v);
    else if (isObject(v)) out[k] = strategicMerge(current, v);
    else out[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    const field = k.startsWith('$deleteFromPrimitiveList/')
      ? k.slice('$deleteFromPrimitiveList/'.length)
      : undefined;
    if (field !== undefined && Array.isArray(v) && Array.isArray(out[field])) {
      out[field] = out[field].filter((item) => !v.some((d) => jsonEqual(d, item)));
    }
    const ordered = k.startsWith('$setElementOrder/')
      ? k.slice('$setElementOrder/'.length)
      : undefined;
    if (ordered !== undefined && Array.isArray(v) && Array.isArray(out[ordered])) {
      out[ordered] = reorder(out[ordered], v, mergeKeyFor(ordered, v));
    }
  }
  if (retain !== undefined)
    for (const k of Object.keys(out)) if (!retain.includes(k)) Reflect.deleteProperty(out, k);
  return out;
}
