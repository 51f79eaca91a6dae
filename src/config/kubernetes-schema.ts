/**
 * The Kubernetes parts of the configuration: named clusters (a kubeconfig file and context,
 * or the pod's own service account) and what a service on a cluster points at. Names are
 * checked against the API's own rules, so a typo is a load error instead of a 404 later.
 */
import { z } from 'zod';

/** A string that must match `re` and be at most `max` long; the message says what is allowed. */
function matching(re: RegExp, max: number, expected: string): z.ZodType<string> {
  return z
    .string()
    .refine((value) => value.length <= max && re.test(value), { error: `expected ${expected}` });
}

// Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label,
// IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue).
const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedPartRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && dns1123LabelRe.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && dns1123SubdomainRe.test(value);
}

/** A label key: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && qualifiedPartRe.test(name);
}

/** A label value: empty, or ≤ 63 of letters, digits, `-_.`, alphanumeric at both ends. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && qualifiedPartRe.test(value));
}

export const namespaceName = matching(
  dns1123LabelRe,
  63,
  'a Kubernetes namespace: lowercase letters, digits and "-", alphanumeric at both ends (≤ 63)',
);

const workloadName = matching(
  dns1123SubdomainRe,
  253,
  'a Kubernetes object name: lowercase letters, digits, "-" and ".", alphanumeric at both ends (≤ 253)',
);

const labelKey = z.string().refine(isLabelKey, {
  error: 'expected a label key: [prefix/]name, the name ≤ 63 letters, digits, "-", "_", "."',
});
const labelValue = z.string().refine(isLabelValue, {
  error: 'expected a label value: ≤ 63 letters, digits, "-", "_", ".", alphanumeric at both ends',
});

const workloadKind = z.enum(['Deployment', 'StatefulSet']);

/** A container of a pod (its name is a DNS-1123 label). */
export const containerName = matching(
  dns1123LabelRe,
  63,
  'a container name: lowercase letters, digits and "-", alphanumeric at both ends (≤ 63)',
);

/** Another workload of the service's namespace, by name: where one of its databases runs. */
export const databaseWorkloadSchema = z.strictObject({ kind: workloadKind, name: workloadName });

/** One workload by name, or the one workload of that kind whose labels match a selector. */
export const workloadSchema = z
  .strictObject({
    kind: workloadKind,
    name: workloadName.optional(),
    selector: z.record(labelKey, labelValue).optional(),
  })
  .superRefine((w, ctx) => {
    if ((w.name === undefined) === (w.selector === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected either name or selector' });
    } else if (w.selector !== undefined && Object.keys(w.selector).length === 0) {
      // An empty selector matches every workload of the namespace.
      ctx.addIssue({ code: 'custom', path: ['selector'], message: 'expected at least one label' });
    }
  });

/** A claim's name as a backup source: a DNS-1123 label (a snapshot's source tag holds it). */
export const claimName = matching(
  dns1123LabelRe,
  63,
  'a PersistentVolumeClaim name: lowercase letters, digits and "-", alphanumeric at both ends (≤ 63)',
);

/**
 * How the volumes (claims) of a cluster's services are reached for backups: short-lived
 * claim pods from `image` (the bot's own, which has restic and borg), the repository on
 * `repositoryClaim` in each service's namespace (at `repositoryPath` inside it), and what the
 * pods run as when no pod of the workload says so.
 */
export const clusterBackupsSchema = z.strictObject({
  image: matching(
    /^[a-z0-9][a-z0-9._/:@-]*$/,
    255,
    'an image reference: registry/name:tag or @sha256:…, no spaces or shell characters',
  ),
  repositoryClaim: claimName.optional(),
  repositoryPath: matching(
    /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
    255,
    'a relative folder inside the claim, without "." or ".." parts',
  ).optional(),
  startSeconds: z.number().int().min(5).max(3600).optional(),
  deadlineSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional(),
  runAsUser: z.number().int().min(0).optional(),
  runAsGroup: z.number().int().min(0).optional(),
  fsGroup: z.number().int().min(0).optional(),
  /**
   * Who runs the engine in a claim pod: `workload` (default) its user, who can read only what
   * that user may; `root` uid 0 with every capability dropped but those the purpose needs
   * (claim-pod-spec.ts), which needs the namespace to allow the baseline Pod Security Standard.
   */
  engineUser: z.enum(['workload', 'root']).optional(),
});

export type ClusterBackupsEntry = z.output<typeof clusterBackupsSchema>;

/**
 * A cluster: a kubeconfig file (relative to the configuration file) and one of its contexts
 * (its current context when absent), or the service account of the pod the bot runs in.
 * The file holds credentials, so it is referenced, never inlined.
 */
export const clusterSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.literal(true).optional(),
    backups: clusterBackupsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.inCluster === true && (c.kubeconfig !== undefined || c.context !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected either inCluster or kubeconfig, not both',
      });
    } else if (c.inCluster === undefined && c.kubeconfig === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected kubeconfig (and context) or inCluster: true',
      });
    }
  });

export type ClusterEntry = z.output<typeof clusterSchema>;
export type WorkloadEntry = z.output<typeof workloadSchema>;
