/**
 * The pod that reaches a PersistentVolumeClaim's files for a backup, a restore or a drill:
 * one container of the bot's own image (or the image configured for the cluster) that only
 * sleeps, while the engine is run in it through pods/exec (claim-pod.ts). Its shape follows
 * the Pod v1 API reference:
 * - the claim at `dataPath`, read-only for a backup (both `persistentVolumeClaim.readOnly`
 *   and the mount's `readOnly`), read-write for a restore; the container's `workingDir` is
 *   that path, so an exec'd `restic backup .` records paths relative to the claim, as on
 *   Docker (an exec has no working directory of its own: it runs in the container's);
 * - a repository on a claim of its own at `repositoryPath`, read-write;
 * - `hostname` stable per claim: restic picks the parent snapshot (and so skips unchanged
 *   files) by host and path, and a pod's hostname is otherwise its random name;
 * - `nodeName` when the claim is ReadWriteOnce and mounted by a running pod: the claim can be
 *   attached to that node only (Persistent Volumes, "Access Modes");
 * - `restartPolicy: Never` and `activeDeadlineSeconds`, so a pod the bot could not delete
 *   (the bot killed) ends by itself; labels a start-up sweep finds it by;
 * - the security context of the Helm chart's own pod (restricted Pod Security Standard:
 *   non-root, seccomp RuntimeDefault, no privilege escalation, every capability dropped,
 *   read-only root file system), run as the user and groups of the workload that owns the
 *   data; only when that workload runs as root does the pod keep the few capabilities a
 *   restore needs to set owners and modes back. With `engineUser: root` (configured per cluster)
 *   the engine runs as uid 0 whatever the workload runs as, keeping only what its purpose
 *   needs: DAC_READ_SEARCH to read every file for a backup (and DAC_OVERRIDE to write into a
 *   repository claim whose files another user made), and CHOWN, DAC_OVERRIDE, FOWNER, FSETID
 *   to write files of any owner back for a restore or a drill (capabilities(7)); such a pod
 *   is no longer "restricted", so the namespace must allow "baseline" (Pod Security
 *   Standards), and no fsGroup is set, which would change the claim's groups;
 * - no service account token and no service links: nothing in it talks to the API server.
 * No secret is in it: the repository password reaches the engine through exec's stdin.
 */
import { createHash, randomBytes } from 'node:crypto';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedBy = 'pes-bot';
/** Present on every claim pod: `backup`, `restore` or `drill`. */
export const claimPodLabel = 'pes-bot.io/claim-pod';
export const claimLabel = 'pes-bot.io/claim';
export const jobAnnotation = 'pes-bot.io/job';

export const dataPath = '/data';
export const repositoryPath = '/repository';
const cachePath = '/cache';
const container = 'engine';

export type ClaimPodPurpose = 'backup' | 'restore' | 'drill';

/** Who runs the engine in a claim pod: the workload's user (default), or root. */
export type EngineUser = 'workload' | 'root';

/** The user and groups the workload's own pods run as (Pod / Container securityContext). */
export interface RunAs {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly supplementalGroups?: readonly number[];
}

export interface ClaimPodRequest {
  readonly namespace: string;
  readonly claim: string;
  readonly purpose: ClaimPodPurpose;
  readonly image: string;
  /** A repository on a claim of its own, mounted read-write at `repositoryPath`. */
  readonly repositoryClaim?: string;
  /** The node the claim is attached to; undefined lets the scheduler choose. */
  readonly nodeName?: string;
  readonly runAs: RunAs;
  readonly engineUser?: EngineUser;
  /** The pod ends itself after this long whatever happens (a safety net, not a timeout). */
  readonly deadlineSeconds: number;
  readonly job?: string;
}

/** Pod v1 as sent: plain JSON. */
export interface ClaimPodObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Pod';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

/** A DNS-1123 label of at most `max` characters from `text`, with a hash when it was cut. */
export function labelFrom(text: string, max: number): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  if (clean.length <= max && clean === text) return clean;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const head = clean.slice(0, max - hash.length - 1).replace(/-+$/g, '');
  return head === '' ? hash : `${head}-${hash}`;
}

/** The same for every pod of one claim (restic's parent snapshot is found by host). */
export function claimHostname(namespace: string, claim: string): string {
  return labelFrom(`pes-${namespace}-${claim}`, 63);
}

/** `pes-backup-<claim>-<random>`: at most 63 characters, a DNS-1123 label. */
function podName(purpose: ClaimPodPurpose, claim: string): string {
  const suffix = randomBytes(3).toString('hex');
  return `pes-${purpose}-${labelFrom(claim, 63 - purpose.length - 12)}-${suffix}`;
}

const writeBack = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'];

/** The capabilities an engine run as root keeps (capabilities(7)); none otherwise. */
function keptCapabilities(request: ClaimPodRequest, root: boolean): string[] {
  if (request.engineUser !== 'root') return root ? writeBack : [];
  if (request.purpose !== 'backup') return writeBack;
  return request.repositoryClaim === undefined
    ? ['DAC_READ_SEARCH']
    : ['DAC_OVERRIDE', 'DAC_READ_SEARCH'];
}

export function claimPodSpec(request: ClaimPodRequest): ClaimPodObject {
  const engineRoot = request.engineUser === 'root';
  const runAs: RunAs = engineRoot
    ? {
        runAsUser: 0,
        runAsGroup: 0,
        ...(request.runAs.supplementalGroups === undefined
          ? {}
          : { supplementalGroups: request.runAs.supplementalGroups }),
      }
    : request.runAs;
  const root = runAs.runAsUser === 0;
  const podSecurity: Record<string, unknown> = {
    ...(root ? {} : { runAsNonRoot: true }),
    seccompProfile: { type: 'RuntimeDefault' },
    ...runAs,
  };
  const kept = keptCapabilities(request, root);
  const readOnly = request.purpose === 'backup';
  const mounts: Record<string, unknown>[] = [
    { name: 'data', mountPath: dataPath, ...(readOnly ? { readOnly: true } : {}) },
    { name: 'cache', mountPath: cachePath },
  ];
  const volumes: Record<string, unknown>[] = [
    {
      name: 'data',
      persistentVolumeClaim: { claimName: request.claim, ...(readOnly ? { readOnly: true } : {}) },
    },
    { name: 'cache', emptyDir: {} },
  ];
  if (request.repositoryClaim !== undefined) {
    mounts.push({ name: 'repository', mountPath: repositoryPath });
    volumes.push({
      name: 'repository',
      persistentVolumeClaim: { claimName: request.repositoryClaim },
    });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(request.purpose, request.claim),
      namespace: request.namespace,
      labels: {
        [managedByLabel]: managedBy,
        [claimPodLabel]: request.purpose,
        [claimLabel]: labelFrom(request.claim, 63),
      },
      annotations: request.job === undefined ? {} : { [jobAnnotation]: request.job },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: request.deadlineSeconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostname: claimHostname(request.namespace, request.claim),
      ...(request.nodeName === undefined ? {} : { nodeName: request.nodeName }),
      securityContext: podSecurity,
      containers: [
        {
          name: container,
          image: request.image,
          // Idle until the bot's exec'd commands are done and it deletes the pod.
          command: ['sleep', String(request.deadlineSeconds)],
          workingDir: dataPath,
          // Where restic and borg keep their caches and temporary packs: the root file
          // system is read-only.
          env: [
            { name: 'HOME', value: cachePath },
            { name: 'XDG_CACHE_HOME', value: cachePath },
            { name: 'TMPDIR', value: cachePath },
          ],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: kept.length > 0 ? { drop: ['ALL'], add: kept } : { drop: ['ALL'] },
          },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/** The selector of every claim pod the bot made (the start-up sweep). */
export const claimPodSelector = `${managedByLabel}=${managedBy},${claimPodLabel}`;
export const claimPodContainer = container;
