/**
 * From the validated `clusters:` and the services on them to what the Kubernetes platform
 * uses. Each kubeconfig is read once at load, so a missing file or context is one line of
 * the configuration error rather than a failure in the middle of a command; the client
 * itself is built only when a command needs the cluster (src/platforms/kubernetes).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { ClusterBackupsEntry, ClusterEntry, WorkloadEntry } from './kubernetes-schema.ts';

export type ClusterConfig = (
  | {
      readonly name: string;
      readonly source: 'kubeconfig';
      /** Absolute path of the kubeconfig file. */
      readonly kubeconfig: string;
      readonly context: string;
    }
  | { readonly name: string; readonly source: 'in-cluster' }
) & {
  /** How its services' claims are backed up (claim pods); none: they are not. */
  readonly backups?: ClusterBackupsEntry;
};

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export type WorkloadRef =
  | { readonly kind: WorkloadKind; readonly name: string }
  | { readonly kind: WorkloadKind; readonly selector: Readonly<Record<string, string>> };

export interface KubernetesServiceDefinition {
  readonly name: string;
  readonly description?: string;
  readonly platform: 'kubernetes';
  readonly cluster: string;
  readonly namespace: string;
  readonly workload: WorkloadRef;
  readonly scale: { readonly min: number; readonly max: number };
  readonly health: { readonly minRunning: number; readonly timeoutSeconds: number };
}

export interface KubernetesConfig {
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  readonly services: ReadonlyMap<string, KubernetesServiceDefinition>;
}

/** What a kubeconfig says, as far as the checks here need it. */
interface KubeconfigFacts {
  readonly currentContext: string | undefined;
  readonly contexts: ReadonlyMap<string, { cluster: unknown; user: unknown }>;
  readonly clusters: ReadonlySet<string>;
  readonly users: ReadonlyMap<string, unknown>;
}

const readReasons: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

function namedEntries(list: unknown, field: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as Record<string, unknown>;
    if (typeof entry['name'] === 'string') out.set(entry['name'], entry[field]);
  }
  return out;
}

/** Reads and parses a kubeconfig; a string is the one-line reason it cannot be used. */
function readKubeconfig(path: string): KubeconfigFacts | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return `cannot read ${path} (${readReasons[code] ?? code})`;
  }
  let doc: unknown;
  try {
    doc = parse(text, { logLevel: 'error' });
  } catch {
    // The parser's message quotes the file, which holds credentials.
    return `${path} is not a valid kubeconfig (YAML syntax error)`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return `${path} is not a valid kubeconfig (expected a mapping)`;
  }
  const root = doc as Record<string, unknown>;
  const contexts = new Map<string, { cluster: unknown; user: unknown }>();
  for (const [name, value] of namedEntries(root['contexts'], 'context')) {
    const ctx =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    contexts.set(name, { cluster: ctx['cluster'], user: ctx['user'] });
  }
  const current = root['current-context'];
  return {
    currentContext: typeof current === 'string' && current !== '' ? current : undefined,
    contexts,
    clusters: new Set(namedEntries(root['clusters'], 'cluster').keys()),
    users: namedEntries(root['users'], 'user'),
  };
}

function quoteList(names: Iterable<string>): string {
  const list = [...names].map((n) => JSON.stringify(n));
  return list.length === 0 ? 'none' : list.join(', ');
}

interface CheckedCluster {
  readonly config: ClusterConfig | undefined;
  readonly problems: readonly string[];
  /** Credentials the kubeconfig holds for the context's user, for redaction. */
  readonly secrets: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** The auth-provider config fields that hold credentials (oidc, and gcp/azure's tokens). */
const authProviderSecrets = ['id-token', 'refresh-token', 'client-secret', 'access-token'];

/**
 * The credentials of a kubeconfig user, for the redaction list: its token, password and
 * client key, an auth-provider's tokens and client secret, and every value an exec plugin
 * is given in its environment (where such plugins take their keys).
 */
function userSecrets(user: unknown): string[] {
  if (!isRecord(user)) return [];
  const own = nonEmpty(['token', 'password', 'client-key-data'].map((key) => user[key]));
  const provider = user['auth-provider'];
  const config = isRecord(provider) ? provider['config'] : undefined;
  const fromProvider = isRecord(config)
    ? nonEmpty(authProviderSecrets.map((key) => config[key]))
    : [];
  const exec = user['exec'];
  const env = isRecord(exec) && Array.isArray(exec['env']) ? (exec['env'] as unknown[]) : [];
  const fromExec = nonEmpty(env.map((e) => (isRecord(e) ? e['value'] : undefined)));
  return [...own, ...fromProvider, ...fromExec];
}

function checkCluster(name: string, entry: ClusterEntry, configDir: string): CheckedCluster {
  const at = `clusters.${name}`;
  if (entry.inCluster === true || entry.kubeconfig === undefined) {
    return {
      config: { name, source: 'in-cluster', ...backupsOf(entry) },
      problems: [],
      secrets: [],
    };
  }
  const path = resolve(configDir, entry.kubeconfig);
  const facts = readKubeconfig(path);
  if (typeof facts === 'string') {
    return { config: undefined, problems: [`${at}.kubeconfig: ${facts}`], secrets: [] };
  }
  const context = entry.context ?? facts.currentContext;
  if (context === undefined) {
    return {
      config: undefined,
      problems: [
        `${at}.context: required, ${path} has no current-context (contexts: ${quoteList(facts.contexts.keys())})`,
      ],
      secrets: [],
    };
  }
  const found = facts.contexts.get(context);
  if (found === undefined) {
    const where = entry.context === undefined ? `${at}.kubeconfig` : `${at}.context`;
    return {
      config: undefined,
      problems: [
        `${where}: no context ${JSON.stringify(context)} in ${path} (contexts: ${quoteList(facts.contexts.keys())})`,
      ],
      secrets: [],
    };
  }
  const problems: string[] = [];
  if (typeof found.cluster !== 'string' || !facts.clusters.has(found.cluster)) {
    problems.push(
      `${at}.context: context ${JSON.stringify(context)} in ${path} names no cluster of the file`,
    );
  }
  if (typeof found.user === 'string' && !facts.users.has(found.user)) {
    problems.push(
      `${at}.context: context ${JSON.stringify(context)} in ${path} names no user of the file`,
    );
  }
  const secrets = typeof found.user === 'string' ? userSecrets(facts.users.get(found.user)) : [];
  if (problems.length > 0) return { config: undefined, problems, secrets };
  return {
    config: { name, source: 'kubeconfig', kubeconfig: path, context, ...backupsOf(entry) },
    problems,
    secrets,
  };
}

function backupsOf(entry: ClusterEntry): { backups?: ClusterBackupsEntry } {
  return entry.backups === undefined ? {} : { backups: entry.backups };
}

export interface ResolvedKubernetes {
  readonly settings: KubernetesConfig;
  readonly problems: readonly string[];
  readonly secrets: readonly string[];
}

type ServiceEntry = Omit<KubernetesServiceDefinition, 'name' | 'workload'> & {
  readonly workload: WorkloadEntry;
  /** Its claims: in the catalog's service (catalog.ts), not in the platform's view. */
  readonly volumes?: readonly string[];
};

function toWorkloadRef(w: WorkloadEntry): WorkloadRef {
  // The schema lets exactly one of the two through.
  if (w.name !== undefined) return { kind: w.kind, name: w.name };
  return { kind: w.kind, selector: w.selector ?? {} };
}

/**
 * Checks every cluster's kubeconfig and context (only clusters a service uses, and unused
 * ones too: a cluster written down is meant to work) and builds the services on clusters.
 */
export function resolveKubernetes(
  clusters: Readonly<Record<string, ClusterEntry>>,
  services: Readonly<Record<string, ServiceEntry>>,
  configDir: string,
): ResolvedKubernetes {
  const resolved = new Map<string, ClusterConfig>();
  const problems: string[] = [];
  const secrets: string[] = [];
  for (const [name, entry] of Object.entries(clusters)) {
    const checked = checkCluster(name, entry, configDir);
    problems.push(...checked.problems);
    secrets.push(...checked.secrets);
    if (checked.config !== undefined) resolved.set(name, checked.config);
  }
  const defs = new Map<string, KubernetesServiceDefinition>();
  for (const [name, def] of Object.entries(services)) {
    defs.set(name, {
      name,
      ...(def.description === undefined ? {} : { description: def.description }),
      platform: def.platform,
      cluster: def.cluster,
      namespace: def.namespace,
      workload: toWorkloadRef(def.workload),
      scale: def.scale,
      health: def.health,
    });
  }
  return { settings: { clusters: resolved, services: defs }, problems, secrets };
}
