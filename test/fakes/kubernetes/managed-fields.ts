/**
 * Field management, coarse but in the real shape (https://kubernetes.io/docs/reference/using-api/server-side-apply/):
 * metadata.managedFields entries {manager, operation Apply|Update, apiVersion, time,
 * fieldsType FieldsV1, fieldsV1, subresource}; fieldsV1 is a tree of `f:<field>` and, for lists
 * merged by key, `k:{"name":"x"}`. Server-side apply needs fieldManager, merges like a
 * strategic merge, removes what the same manager applied before and no longer applies (unless
 * another manager owns it), and answers 409 on a field another manager set to another value
 * unless force=true. An Update (PUT/PATCH) takes the fields whose values it changed.
 */
import { rfc3339 } from './clock.ts';
import {
  at,
  child,
  clone,
  isObject,
  jsonEqual,
  list,
  str,
  type Json,
  type JsonObject,
} from './json.ts';
import { strategicMerge } from './patch.ts';
import { ApiError } from './status.ts';

type Path = string[];

const SERVER_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

const KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
};

function itemKey(field: string, item: Json): string | undefined {
  if (!isObject(item)) return undefined;
  const k =
    field === 'ports' ? (item.containerPort !== undefined ? 'containerPort' : 'port') : KEYS[field];
  if (k === undefined || item[k] === undefined) return undefined;
  return `k:${JSON.stringify({ [k]: item[k] })}`;
}

function leaves(value: Json, prefix: Path, out: Path[], field: string): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, [...prefix, `f:${k}`], out, k);
    return;
  }
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((i) => itemKey(field, i) !== undefined)
  ) {
    for (const item of value) leaves(item, [...prefix, itemKey(field, item) ?? ''], out, field);
    return;
  }
  out.push(prefix);
}

/** The leaf paths an object sets, without server-owned metadata and without status. */
export function fieldPaths(o: JsonObject): Path[] {
  const out: Path[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v))
        if (!SERVER_META.has(mk)) leaves(mv, ['f:metadata', `f:${mk}`], out, mk);
      continue;
    }
    leaves(v, [`f:${k}`], out, k);
  }
  return out;
}

export function toFieldsV1(paths: Path[]): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const token of p) node = child(node, token);
  }
  return root;
}

function fromFieldsV1(tree: Json | undefined, prefix: Path = [], out: Path[] = []): Path[] {
  if (!isObject(tree)) return out;
  const entries = Object.entries(tree).filter(([k]) => k !== '.');
  if (entries.length === 0 && prefix.length > 0) out.push(prefix);
  for (const [k, v] of entries) fromFieldsV1(v, [...prefix, k], out);
  return out;
}

function valueAt(o: Json | undefined, path: Path): Json | undefined {
  let current = o;
  for (const token of path) {
    if (token.startsWith('f:')) {
      if (!isObject(current)) return undefined;
      current = current[token.slice(2)];
    } else {
      const want: Json = JSON.parse(token.slice(2)) as Json;
      if (!Array.isArray(current) || !isObject(want)) return undefined;
      const [k, v] = Object.entries(want)[0] ?? ['', null];
      current = current.find((i) => isObject(i) && jsonEqual(i[k], v));
    }
  }
  return current;
}

function removeAt(o: JsonObject, path: Path): void {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1] ?? '';
  const parent = valueAt(o, parentPath);
  if (last.startsWith('f:') && isObject(parent)) Reflect.deleteProperty(parent, last.slice(2));
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const want: Json = JSON.parse(last.slice(2)) as Json;
    if (!isObject(want)) return;
    const [k, v] = Object.entries(want)[0] ?? ['', null];
    const i = parent.findIndex((item) => isObject(item) && jsonEqual(item[k], v));
    if (i >= 0) parent.splice(i, 1);
  }
}

const text = (p: Path): string => p.join('.');
/**
 * A field path as conflict messages print it (structured-merge-diff's fieldpath: `.spec`,
 * a keyed list item as `[name="app"]`).
 */
const dotted = (p: Path): string =>
  p
    .map((t) => {
      if (t.startsWith('f:')) return `.${t.slice(2)}`;
      const key: Json = JSON.parse(t.slice(2)) as Json;
      if (!isObject(key)) return `[${t.slice(2)}]`;
      const parts = Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      return `[${parts.join(',')}]`;
    })
    .join('');

interface Entry {
  manager: string;
  operation: string;
  subresource: string;
  paths: Path[];
  apiVersion: string;
}

function entries(o: JsonObject): Entry[] {
  return list(at(o, 'metadata', 'managedFields')).flatMap((e) =>
    isObject(e)
      ? [
          {
            manager: str(e.manager) ?? '',
            operation: str(e.operation) ?? 'Update',
            subresource: str(e.subresource) ?? '',
            apiVersion: str(e.apiVersion) ?? '',
            paths: fromFieldsV1(e.fieldsV1),
          },
        ]
      : [],
  );
}

function writeEntries(o: JsonObject, list_: Entry[], now: number): void {
  const kept = list_.filter((e) => e.paths.length > 0);
  const meta = child(o, 'metadata');
  meta.managedFields = kept.map((e) => {
    const out: JsonObject = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: rfc3339(now),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(e.paths),
    };
    if (e.subresource !== '') out.subresource = e.subresource;
    return out;
  });
}

/** Records an Update by `manager` on `after` (the object about to be stored). */
export function recordUpdate(
  before: JsonObject | undefined,
  after: JsonObject,
  manager: string,
  subresource: string,
  now: number,
): void {
  const changed = fieldPaths(after).filter(
    (p) => before === undefined || !jsonEqual(valueAt(before, p), valueAt(after, p)),
  );
  if (changed.length === 0 && before !== undefined) return;
  const keys = new Set(changed.map(text));
  const list_ = entries(after).map((e) => ({
    ...e,
    paths: e.paths.filter((p) => !keys.has(text(p))),
  }));
  const apiVersion = str(after.apiVersion) ?? '';
  const mine = list_.find(
    (e) => e.manager === manager && e.operation === 'Update' && e.subresource === subresource,
  );
  if (mine === undefined)
    list_.push({ manager, operation: 'Update', subresource, apiVersion, paths: changed });
  else mine.paths.push(...changed);
  writeEntries(after, list_, now);
}

/**
 * Server-side apply of `applied` onto `live` (undefined: the object is created).
 * Returns the object to store, or throws the 409 of a conflict.
 */
export function serverSideApply(
  live: JsonObject | undefined,
  applied: JsonObject,
  manager: string,
  force: boolean,
  now: number,
): JsonObject {
  const appliedPaths = fieldPaths(applied);
  const apiVersion = str(applied.apiVersion) ?? '';
  if (live === undefined) {
    const created = clone(applied);
    writeEntries(
      created,
      [{ manager, operation: 'Apply', subresource: '', apiVersion, paths: appliedPaths }],
      now,
    );
    return created;
  }
  const others = entries(live).filter((e) => !(e.manager === manager && e.operation === 'Apply'));
  const conflicts: { manager: string; apiVersion: string; path: Path }[] = [];
  for (const p of appliedPaths) {
    if (jsonEqual(valueAt(live, p), valueAt(applied, p))) continue;
    for (const e of others) {
      if (e.subresource === '' || e.subresource === 'scale') {
        if (e.paths.some((q) => text(q) === text(p)))
          conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: p });
      }
    }
  }
  if (conflicts.length > 0 && !force) {
    const n = conflicts.length;
    const lines = conflicts.map(
      (c) => `conflict with ${JSON.stringify(c.manager)} using ${c.apiVersion}: ${dotted(c.path)}`,
    );
    const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${lines.join('\n')}`;
    throw new ApiError(409, 'Conflict', message, {
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with ${JSON.stringify(c.manager)} using ${c.apiVersion}`,
        field: dotted(c.path),
      })),
    });
  }
  const previous =
    entries(live).find((e) => e.manager === manager && e.operation === 'Apply')?.paths ?? [];
  const appliedKeys = new Set(appliedPaths.map(text));
  const othersKeys = new Set(others.flatMap((e) => e.paths.map(text)));
  const merged = strategicMerge(live, applied);
  if (!isObject(merged))
    throw new ApiError(400, 'BadRequest', 'the applied configuration is not an object');
  for (const p of previous)
    if (!appliedKeys.has(text(p)) && !othersKeys.has(text(p))) removeAt(merged, p);
  const taken = force ? new Set(conflicts.map((c) => text(c.path))) : new Set<string>();
  const list_ = others.map((e) => ({ ...e, paths: e.paths.filter((p) => !taken.has(text(p))) }));
  list_.push({ manager, operation: 'Apply', subresource: '', apiVersion, paths: appliedPaths });
  writeEntries(merged, list_, now);
  // An apply that changes no value and no ownership leaves the object as it is, time of the
  // entry included (ManagedFieldsEntry.time: updated only when the manager's fields or
  // their values change), so the store keeps its resourceVersion.
  if (jsonEqual(withoutTimes(merged), withoutTimes(live))) return clone(live);
  return merged;
}

function withoutTimes(o: JsonObject): JsonObject {
  const copy = clone(o);
  for (const e of list(at(copy, 'metadata', 'managedFields'))) {
    if (isObject(e)) Reflect.deleteProperty(e, 'time');
  }
  return copy;
}
