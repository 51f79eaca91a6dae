/**
 * The object store behind the fake API server: one global resourceVersion counter (an opaque
 * string to clients, compared for equality only), uid, creationTimestamp, generation that
 * moves only on spec changes, optimistic concurrency, a watch history that a test can compact,
 * and garbage collection through ownerReferences. Follows "API Concepts"
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions ,
 * #efficient-detection-of-changes, #dry-run) and the API conventions on metadata
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#metadata
 * and #concurrency-control-and-consistency) and on garbage collection
 * (https://kubernetes.io/docs/concepts/architecture/garbage-collection/ , background).
 */
import { randomUUID } from 'node:crypto';
import { rfc3339, type Clock } from './clock.ts';
import { applyDefaults } from './defaults.ts';
import { at, child, clone, isObject, jsonEqual, list, str, type JsonObject } from './json.ts';
import { apiVersionOf, resourceByName, type ResourceType } from './resources.ts';
import { alreadyExists, conflict, expired, invalid, notFound } from './status.ts';
import { validateObject } from './validate.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly resource: ResourceType;
  readonly object: JsonObject;
  readonly rv: number;
  /** For MODIFIED: the object before the change (a filtered watch needs it). */
  readonly previous?: JsonObject;
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  /** Replace only `status` (the status subresource) instead of everything else. */
  readonly status?: boolean;
}

/** Characters of generated name suffixes (k8s.io/apimachinery/pkg/util/rand: no vowels). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i += 1)
    out += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)] ?? '';
  return out;
}

/** Resources whose create resets `status` (their strategies' PrepareForCreate). */
const STATUS_RESET = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'Pod',
  'PersistentVolumeClaim',
]);

function key(r: ResourceType, namespace: string, name: string): string {
  return `${r.group}/${r.resource}/${r.namespaced ? namespace : ''}/${name}`;
}

export class ObjectStore {
  readonly #clock: Clock;
  readonly #objects = new Map<string, JsonObject>();
  #rv = 1;
  #history: StoreEvent[] = [];
  /** Watches from a resourceVersion below this one get 410 Gone. */
  #oldest = 1;
  readonly #listeners = new Set<(e: StoreEvent) => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get oldestResourceVersion(): number {
    return this.#oldest;
  }

  get(r: ResourceType, namespace: string, name: string): JsonObject | undefined {
    const o = this.#objects.get(key(r, namespace, name));
    return o === undefined ? undefined : clone(o);
  }

  mustGet(r: ResourceType, namespace: string, name: string): JsonObject {
    const o = this.get(r, namespace, name);
    if (o === undefined) throw notFound(r.group, r.resource, name);
    return o;
  }

  /** Objects of a resource, in one namespace or all (namespace undefined), sorted by name. */
  list(r: ResourceType, namespace?: string): JsonObject[] {
    const prefix = `${r.group}/${r.resource}/`;
    const out: JsonObject[] = [];
    for (const [k, o] of this.#objects) {
      if (!k.startsWith(prefix)) continue;
      if (r.namespaced && namespace !== undefined && at(o, 'metadata', 'namespace') !== namespace)
        continue;
      out.push(clone(o));
    }
    return out.sort((a, b) => {
      const ka = `${str(at(a, 'metadata', 'namespace')) ?? ''}/${str(at(a, 'metadata', 'name')) ?? ''}`;
      const kb = `${str(at(b, 'metadata', 'namespace')) ?? ''}/${str(at(b, 'metadata', 'name')) ?? ''}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Events after `rv`, or 'expired' when compaction removed some of them. */
  eventsAfter(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.#oldest - 1) return 'expired';
    return this.#history.filter((e) => e.rv > rv);
  }

  expiredError(rv: number): Error {
    return expired(rv, this.#oldest);
  }

  /** Forgets the history so far, as etcd compaction does: older watches get 410 Gone. */
  compact(): void {
    this.#history = [];
    this.#oldest = this.#rv + 1;
  }

  create(
    r: ResourceType,
    namespace: string,
    body: JsonObject,
    options: WriteOptions = {},
  ): JsonObject {
    const o = clone(body);
    o.apiVersion = apiVersionOf(r);
    o.kind = r.kind;
    const meta = child(o, 'metadata');
    if (r.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    let name = str(meta.name) ?? '';
    const generateName = str(meta.generateName);
    if (name === '' && generateName !== undefined) name = `${generateName}${randomSuffix()}`;
    if (name === '') {
      throw invalid(r.group, r.kind, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    meta.name = name;
    if (r.namespaced && this.get(resourceByName('namespaces'), '', namespace) === undefined) {
      throw notFound('', 'namespaces', namespace);
    }
    applyDefaults(r.kind, o);
    validateObject(r, o, name);
    if (this.#objects.has(key(r, namespace, name))) throw alreadyExists(r.group, r.resource, name);
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.#clock.now());
    if (r.generation) meta.generation = 1;
    else delete meta.generation;
    delete meta.deletionTimestamp;
    if (STATUS_RESET.has(r.kind))
      o.status = r.kind === 'Pod' ? { phase: 'Pending', qosClass: 'BestEffort' } : {};
    if (options.dryRun === true) {
      delete meta.resourceVersion;
      return o;
    }
    return this.#commit('ADDED', r, namespace, name, o);
  }

  /**
   * Replaces an object (PUT). A non-empty metadata.resourceVersion that is not the current
   * one is a 409 Conflict; server-owned metadata is kept; generation moves when spec changes.
   */
  update(
    r: ResourceType,
    namespace: string,
    name: string,
    body: JsonObject,
    options: WriteOptions = {},
  ): JsonObject {
    const existing = this.#objects.get(key(r, namespace, name));
    if (existing === undefined) throw notFound(r.group, r.resource, name);
    const sent = str(at(body, 'metadata', 'resourceVersion'));
    if (
      sent !== undefined &&
      sent !== '' &&
      sent !== str(at(existing, 'metadata', 'resourceVersion'))
    ) {
      throw conflict(r.group, r.resource, name);
    }
    let o: JsonObject;
    if (options.status === true) {
      o = clone(existing);
      if (body.status !== undefined) o.status = clone(body.status);
      else delete o.status;
    } else {
      o = clone(body);
      if (existing.status !== undefined && r.subresources.some((s) => s.name === 'status')) {
        o.status = clone(existing.status);
      }
    }
    o.apiVersion = apiVersionOf(r);
    o.kind = r.kind;
    const meta = child(o, 'metadata');
    const old = isObject(existing.metadata) ? existing.metadata : {};
    if (str(meta.name) !== undefined && meta.name !== name) {
      throw invalid(r.group, r.kind, name, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(meta.name)}: field is immutable`,
          field: 'metadata.name',
        },
      ]);
    }
    meta.name = name;
    if (r.namespaced) meta.namespace = namespace;
    for (const k of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp'] as const) {
      if (old[k] !== undefined) meta[k] = clone(old[k]);
      else Reflect.deleteProperty(meta, k);
    }
    // A write without managedFields keeps the recorded ones (api-concepts, "Field management").
    if (meta.managedFields === undefined && old.managedFields !== undefined) {
      meta.managedFields = clone(old.managedFields);
    }
    applyDefaults(r.kind, o);
    validateObject(r, o, name);
    if (r.generation && !jsonEqual(existing.spec, o.spec)) {
      meta.generation = (typeof old.generation === 'number' ? old.generation : 0) + 1;
    }
    meta.resourceVersion = old.resourceVersion ?? null;
    if (jsonEqual(existing, o)) return clone(existing);
    if (options.dryRun === true) return o;
    return this.#commit('MODIFIED', r, namespace, name, o);
  }

  /** Read-modify-write for the fake's own controllers and kubelet (never a conflict). */
  mutate(
    r: ResourceType,
    namespace: string,
    name: string,
    change: (o: JsonObject) => void,
    options: WriteOptions = {},
  ): JsonObject | undefined {
    const o = this.get(r, namespace, name);
    if (o === undefined) return undefined;
    change(o);
    return this.update(r, namespace, name, o, options);
  }

  delete(r: ResourceType, namespace: string, name: string, options: WriteOptions = {}): JsonObject {
    const k = key(r, namespace, name);
    const existing = this.#objects.get(k);
    if (existing === undefined) throw notFound(r.group, r.resource, name);
    if (options.dryRun === true) return clone(existing);
    this.#objects.delete(k);
    this.#rv += 1;
    const gone = clone(existing);
    child(gone, 'metadata').resourceVersion = String(this.#rv);
    this.#emit({ type: 'DELETED', resource: r, object: gone, rv: this.#rv });
    this.#collect(r, gone);
    return clone(gone);
  }

  /** Deletes what the deleted object owned (and a namespace's contents), at once. */
  #collect(r: ResourceType, gone: JsonObject): void {
    const uid = str(at(gone, 'metadata', 'uid'));
    const nsName = r.kind === 'Namespace' ? str(at(gone, 'metadata', 'name')) : undefined;
    for (const [k, o] of [...this.#objects]) {
      if (!this.#objects.has(k)) continue;
      const owned = list(at(o, 'metadata', 'ownerReferences')).some(
        (ref) => isObject(ref) && ref.uid === uid,
      );
      const inNamespace = nsName !== undefined && at(o, 'metadata', 'namespace') === nsName;
      if (!owned && !inNamespace) continue;
      const res = resourceOfObject(o);
      this.delete(
        res,
        str(at(o, 'metadata', 'namespace')) ?? '',
        str(at(o, 'metadata', 'name')) ?? '',
      );
    }
  }

  #commit(
    type: EventType,
    r: ResourceType,
    namespace: string,
    name: string,
    o: JsonObject,
  ): JsonObject {
    this.#rv += 1;
    child(o, 'metadata').resourceVersion = String(this.#rv);
    const k = key(r, namespace, name);
    const before = this.#objects.get(k);
    this.#objects.set(k, o);
    const e: StoreEvent = { type, resource: r, object: clone(o), rv: this.#rv };
    this.#emit(type === 'MODIFIED' && before !== undefined ? { ...e, previous: clone(before) } : e);
    return clone(o);
  }

  #emit(e: StoreEvent): void {
    this.#history.push(e);
    for (const l of [...this.#listeners]) l(e);
  }
}

function resourceOfObject(o: JsonObject): ResourceType {
  const kind = str(o.kind) ?? '';
  const table: Record<string, string> = {
    Namespace: 'namespaces',
    Pod: 'pods',
    Service: 'services',
    Secret: 'secrets',
    PersistentVolumeClaim: 'persistentvolumeclaims',
    Event: 'events',
    Deployment: 'deployments',
    ReplicaSet: 'replicasets',
    StatefulSet: 'statefulsets',
    ControllerRevision: 'controllerrevisions',
  };
  return resourceByName(table[kind] ?? '');
}
