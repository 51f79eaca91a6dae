/**
 * pods/log (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#read-log-of-the-specified-pod):
 * text/plain from the kubelet, `container` required when the pod has several (the
 * apiserver's 400 "a container name must be specified…"), `tailLines`, `limitBytes`, and the
 * 400 a container that never started gets ("…is waiting to start: …"), as
 * pkg/registry/core/pod/strategy.go LogLocation answers.
 */
import type { Kubelet } from './kubelet.ts';
import { at, isObject, list, num, str, type JsonObject } from './json.ts';
import { ApiError, badRequest } from './status.ts';

export async function podLog(
  kubelet: Kubelet | undefined,
  pod: JsonObject,
  query: URLSearchParams,
): Promise<string> {
  const name = str(at(pod, 'metadata', 'name')) ?? '';
  const containers = list(at(pod, 'spec', 'containers'))
    .map((c) => str(at(c, 'name')) ?? '')
    .filter((c) => c !== '');
  let container = query.get('container') ?? '';
  if (container === '') {
    if (containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0] ?? '';
  }
  if (!containers.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  const status = list(at(pod, 'status', 'containerStatuses')).find(
    (c) => isObject(c) && c.name === container,
  );
  const waiting = str(at(status, 'state', 'waiting', 'reason'));
  const started =
    at(status, 'state', 'running') !== undefined ||
    at(status, 'lastState', 'terminated') !== undefined;
  if (status === undefined || (waiting !== undefined && !started)) {
    const why =
      waiting === 'ImagePullBackOff' || waiting === 'ErrImagePull'
        ? 'trying and failing to pull image'
        : (waiting ?? 'ContainerCreating');
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  const text = kubelet?.logs === undefined ? undefined : await kubelet.logs(pod, container);
  if (text === undefined)
    throw new ApiError(500, 'InternalError', `the kubelet keeps no log for container ${container}`);
  let lines = text.split('\n');
  if (lines.at(-1) === '') lines = lines.slice(0, -1);
  const tail = num(Number(query.get('tailLines') ?? 'NaN'));
  if (tail !== undefined && Number.isInteger(tail) && tail >= 0)
    lines = tail === 0 ? [] : lines.slice(-tail);
  let out = lines.map((l) => `${l}\n`).join('');
  const limit = Number(query.get('limitBytes') ?? 'NaN');
  if (Number.isInteger(limit) && limit > 0)
    out = Buffer.from(out).subarray(0, limit).toString('utf8');
  return out;
}
