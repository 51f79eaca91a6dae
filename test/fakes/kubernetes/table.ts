/**
 * Server-side printing (https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables):
 * a client that sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` gets a
 * meta.k8s.io/v1 Table whose columns are those of pkg/printers/internalversion/printers.go
 * (https://github.com/kubernetes/kubernetes/blob/master/pkg/printers/internalversion/printers.go),
 * and rows holding the object's metadata (PartialObjectMetadata, includeObject=Metadata).
 */
import { at, isObject, list, num, str, stringMap, type Json, type JsonObject } from './json.ts';
import type { ResourceType } from './resources.ts';
import { selectorText } from './selectors.ts';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly priority?: number;
  readonly cell: (o: JsonObject, now: number) => Json;
}

/** duration.HumanDuration of k8s.io/apimachinery/pkg/util/duration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

const name: Column = {
  name: 'Name',
  type: 'string',
  cell: (o) => str(at(o, 'metadata', 'name')) ?? '',
};
const age: Column = {
  name: 'Age',
  type: 'string',
  cell: (o, now) => {
    const t = Date.parse(str(at(o, 'metadata', 'creationTimestamp')) ?? '');
    return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
  },
};
const n = (v: Json | undefined): number => num(v) ?? 0;
const containers = (o: JsonObject): Json[] => list(at(o, 'spec', 'template', 'spec', 'containers'));
const names = (o: JsonObject): string =>
  containers(o)
    .map((c) => str(at(c, 'name')) ?? '')
    .join(',');
const images = (o: JsonObject): string =>
  containers(o)
    .map((c) => str(at(c, 'image')) ?? '')
    .join(',');

function podStatus(o: JsonObject): string {
  if (at(o, 'metadata', 'deletionTimestamp') !== undefined) return 'Terminating';
  let reason = str(at(o, 'status', 'reason')) ?? str(at(o, 'status', 'phase')) ?? 'Pending';
  for (const c of list(at(o, 'status', 'containerStatuses'))) {
    const waiting = str(at(c, 'state', 'waiting', 'reason'));
    const terminated = str(at(c, 'state', 'terminated', 'reason'));
    if (waiting !== undefined && waiting !== '') reason = waiting;
    else if (terminated !== undefined && terminated !== '') reason = terminated;
  }
  return reason;
}

const COLUMNS: Record<string, Column[]> = {
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${n(at(o, 'status', 'readyReplicas'))}/${n(at(o, 'spec', 'replicas'))}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => n(at(o, 'status', 'updatedReplicas')) },
    { name: 'Available', type: 'integer', cell: (o) => n(at(o, 'status', 'availableReplicas')) },
    age,
    { name: 'Containers', type: 'string', priority: 1, cell: names },
    { name: 'Images', type: 'string', priority: 1, cell: images },
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) => selectorText(at(o, 'spec', 'selector')),
    },
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => n(at(o, 'spec', 'replicas')) },
    { name: 'Current', type: 'integer', cell: (o) => n(at(o, 'status', 'replicas')) },
    { name: 'Ready', type: 'integer', cell: (o) => n(at(o, 'status', 'readyReplicas')) },
    age,
    { name: 'Containers', type: 'string', priority: 1, cell: names },
    { name: 'Images', type: 'string', priority: 1, cell: images },
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) => selectorText(at(o, 'spec', 'selector')),
    },
  ],
  StatefulSet: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${n(at(o, 'status', 'readyReplicas'))}/${n(at(o, 'spec', 'replicas'))}`,
    },
    age,
    { name: 'Containers', type: 'string', priority: 1, cell: names },
    { name: 'Images', type: 'string', priority: 1, cell: images },
  ],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = list(at(o, 'status', 'containerStatuses'));
        const ready = statuses.filter((c) => at(c, 'ready') === true).length;
        return `${ready}/${list(at(o, 'spec', 'containers')).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(
          list(at(o, 'status', 'containerStatuses')).reduce<number>(
            (s, c) => s + n(at(c, 'restartCount')),
            0,
          ),
        ),
    },
    age,
    {
      name: 'IP',
      type: 'string',
      priority: 1,
      cell: (o) => str(at(o, 'status', 'podIP')) ?? '<none>',
    },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      cell: (o) => str(at(o, 'spec', 'nodeName')) ?? '<none>',
    },
  ],
  Namespace: [
    name,
    { name: 'Status', type: 'string', cell: (o) => str(at(o, 'status', 'phase')) ?? '' },
    age,
  ],
  ControllerRevision: [
    name,
    {
      name: 'Controller',
      type: 'string',
      cell: (o) => {
        const ref = list(at(o, 'metadata', 'ownerReferences')).find(
          (r) => isObject(r) && r.controller === true,
        );
        return ref === undefined
          ? '<none>'
          : `${(str(at(ref, 'kind')) ?? '').toLowerCase()}.apps/${str(at(ref, 'name')) ?? ''}`;
      },
    },
    { name: 'Revision', type: 'integer', cell: (o) => n(o.revision) },
    age,
  ],
  Secret: [
    name,
    { name: 'Type', type: 'string', cell: (o) => str(o.type) ?? '' },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(stringMap(o.data)).length },
    age,
  ],
};

function rowObject(o: JsonObject): JsonObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: isObject(o.metadata) ? o.metadata : {},
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept);
}

export function toTable(
  r: ResourceType,
  objects: JsonObject[],
  resourceVersion: string,
  now: number,
): JsonObject {
  const columns = COLUMNS[r.kind] ?? [name, { ...age, name: 'Created At' }];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({ cells: columns.map((c) => c.cell(o, now)), object: rowObject(o) })),
  };
}
