/**
 * Defaulting the API server applies on every write (pkg/apis/apps/v1/defaults.go and
 * pkg/apis/core/v1/defaults.go, https://github.com/kubernetes/kubernetes/tree/master/pkg/apis),
 * as the Deployment and StatefulSet reference pages list the defaults
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/ :
 * replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600).
 * Only the fields a client compares (kubectl's rollout undo compares templates) are defaulted.
 */
import { child, isObject, list, type JsonObject } from './json.ts';

function setDefault(o: JsonObject, key: string, value: JsonObject[string]): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function containerDefaults(c: JsonObject): void {
  const image = typeof c.image === 'string' ? c.image : '';
  const tagged = /:[^/]+$/.test(image) || image.includes('@');
  const latest = !tagged || image.endsWith(':latest');
  setDefault(c, 'imagePullPolicy', latest ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of list(c.ports)) if (isObject(p)) setDefault(p, 'protocol', 'TCP');
}

export function podSpecDefaults(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    if (isObject(c)) containerDefaults(c);
  }
}

function templateDefaults(spec: JsonObject): void {
  const template = child(spec, 'template');
  // A Go client sends the zero metav1.Time of a template as null, and the 1.33 server stores
  // and shows it so (`creationTimestamp: null` in `kubectl get deploy -o yaml`).
  child(template, 'metadata').creationTimestamp = null;
  podSpecDefaults(child(template, 'spec'));
}

export function applyDefaults(kind: string, o: JsonObject): void {
  if (kind === 'Pod') podSpecDefaults(child(o, 'spec'));
  if (kind === 'Deployment') {
    const spec = child(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    const strategy = child(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      setDefault(ru, 'maxSurge', '25%');
      setDefault(ru, 'maxUnavailable', '25%');
    }
    templateDefaults(spec);
  }
  if (kind === 'ReplicaSet') {
    setDefault(child(o, 'spec'), 'replicas', 1);
    templateDefaults(child(o, 'spec'));
  }
  if (kind === 'StatefulSet') {
    const spec = child(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = child(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate')
      setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
    templateDefaults(spec);
  }
  if (kind === 'Service') {
    const spec = child(o, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    for (const p of list(spec.ports)) {
      if (!isObject(p)) continue;
      setDefault(p, 'protocol', 'TCP');
      setDefault(p, 'targetPort', typeof p.port === 'number' ? p.port : null);
    }
  }
  if (kind === 'Secret') setDefault(o, 'type', 'Opaque');
  if (kind === 'Namespace') {
    const spec = child(o, 'spec');
    setDefault(spec, 'finalizers', ['kubernetes']);
    setDefault(child(o, 'status'), 'phase', 'Active');
  }
}
