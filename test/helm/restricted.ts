/**
 * The restricted Pod Security Standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/ , "Restricted", and
 * the Baseline rules it includes) as checks on a pod spec, plus this chart's own rule: a
 * read-only root filesystem with an emptyDir for /tmp. Each violation is one line.
 */
type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function arr(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

/** Volume types the restricted profile allows. */
const allowedVolumes = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

export function restrictedViolations(podSpec: Json): string[] {
  const out: string[] = [];
  const pod = obj(podSpec.securityContext);
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (podSpec[host] === true) out.push(`${host} is set`);
  }
  for (const volume of arr(podSpec.volumes)) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    if (!types.every((t) => allowedVolumes.includes(t))) {
      out.push(`volume ${String(volume.name)} is of type ${types.join(', ')}`);
    }
  }
  if (pod.runAsUser === 0) out.push('the pod runs as uid 0');
  const podSeccomp = obj(pod.seccompProfile).type;
  const containers = [...arr(podSpec.initContainers), ...arr(podSpec.containers)];
  if (containers.length === 0) out.push('no containers');
  for (const c of containers) {
    const name = String(c.name);
    const sc = obj(c.securityContext);
    if (sc.privileged === true) out.push(`${name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) {
      out.push(`${name}: allowPrivilegeEscalation is not false`);
    }
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) out.push(`${name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${name}: runs as uid 0`);
    const seccomp = obj(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      out.push(`${name}: seccompProfile is ${String(seccomp)}`);
    }
    const caps = obj(sc.capabilities);
    const drop = Array.isArray(caps.drop) ? caps.drop : [];
    if (!drop.includes('ALL')) out.push(`${name}: capabilities do not drop ALL`);
    const add = Array.isArray(caps.add) ? caps.add : [];
    if (add.some((a) => a !== 'NET_BIND_SERVICE')) out.push(`${name}: adds ${add.join(', ')}`);
    if (arr(c.ports).some((p) => p.hostPort !== undefined && p.hostPort !== 0)) {
      out.push(`${name}: uses a host port`);
    }
    // This chart's rule on top of the standard.
    if (sc.readOnlyRootFilesystem !== true) out.push(`${name}: root filesystem is writable`);
    const tmp = arr(c.volumeMounts).find((m) => m.mountPath === '/tmp');
    const tmpVolume = arr(podSpec.volumes).find((v) => v.name === tmp?.name);
    if (tmpVolume?.emptyDir === undefined) {
      out.push(`${name}: no emptyDir at /tmp`);
    }
  }
  return out;
}
