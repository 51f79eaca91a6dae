/**
 * What the fake's controllers share: owner references
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/),
 * the template hash of pkg/controller/controller_utils.go ComputeHash (FNV-32a of the template,
 * its decimal digits encoded with rand.SafeEncodeString), events
 * (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/), and pod
 * readiness as `kubectl` and the controllers read it (the Ready condition).
 */
import { randomBytes } from 'node:crypto';
import { rfc3339, type Clock } from '../clock.ts';
import { at, canonical, isObject, list, str, type Json, type JsonObject } from '../json.ts';
import { resourceByName } from '../resources.ts';
import type { ObjectStore } from '../store.ts';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function templateHash(template: Json | undefined, collisionCount = 0): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(
    `${canonical(template)}${collisionCount === 0 ? '' : collisionCount}`,
  )) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Array.from(String(h), (d) => ALPHANUMS[d.charCodeAt(0) % ALPHANUMS.length] ?? '').join('');
}

export const nameOf = (o: JsonObject): string => str(at(o, 'metadata', 'name')) ?? '';
export const namespaceOf = (o: JsonObject): string => str(at(o, 'metadata', 'namespace')) ?? '';
export const uidOf = (o: JsonObject): string => str(at(o, 'metadata', 'uid')) ?? '';

export function ownerReference(owner: JsonObject): JsonObject {
  return {
    apiVersion: str(owner.apiVersion) ?? '',
    kind: str(owner.kind) ?? '',
    name: nameOf(owner),
    uid: uidOf(owner),
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isControlledBy(o: JsonObject, owner: JsonObject): boolean {
  return list(at(o, 'metadata', 'ownerReferences')).some(
    (r) => isObject(r) && r.controller === true && r.uid === uidOf(owner),
  );
}

export function isPodReady(pod: JsonObject): boolean {
  return list(at(pod, 'status', 'conditions')).some(
    (c) => isObject(c) && c.type === 'Ready' && c.status === 'True',
  );
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: JsonObject, minReadySeconds: number, now: number): boolean {
  const ready = list(at(pod, 'status', 'conditions')).find(
    (c) => isObject(c) && c.type === 'Ready' && c.status === 'True',
  );
  if (ready === undefined) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(str(at(ready, 'lastTransitionTime')) ?? '');
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Records an Event about `about`, as the controllers and the kubelet do. */
export function recordEvent(
  store: ObjectStore,
  clock: Clock,
  about: JsonObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): void {
  const now = rfc3339(clock.now());
  const namespace = namespaceOf(about) || 'default';
  try {
    store.create(resourceByName('events'), namespace, {
      metadata: { name: `${nameOf(about)}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        kind: str(about.kind) ?? '',
        namespace,
        name: nameOf(about),
        uid: uidOf(about),
        apiVersion: str(about.apiVersion) ?? '',
        resourceVersion: str(at(about, 'metadata', 'resourceVersion')) ?? '',
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
  } catch {
    // The namespace went away meanwhile: a real recorder drops the event too.
  }
}

export function podTemplateLabels(template: Json | undefined): Record<string, string> {
  const labels = at(template, 'metadata', 'labels');
  const out: Record<string, string> = {};
  if (isObject(labels))
    for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}
