/**
 * Which replicas a scale creates or removes, as Compose numbers them: new ones get the
 * numbers after the highest in use (`com.docker.compose.container-number`), skipping names
 * something else already holds; scaling down removes the highest numbers first.
 */
export interface Replica {
  readonly name: string;
  /** The Compose replica number; undefined when the container has none. */
  readonly number: number | undefined;
}

export interface NewReplica {
  readonly name: string;
  readonly number: number;
}

/**
 * Compose v2 names replicas `<project>-<service>-<n>`; a first container named that way
 * gets siblings named that way, any other name (`container_name`, Compose v1's
 * `project_service_1`) gets `<name>-<n>`.
 */
export function replicaName(
  first: Replica,
  compose: { readonly project: string; readonly service: string },
  number: number,
): string {
  const v2 = `${compose.project}-${compose.service}-`;
  if (first.number !== undefined && first.name === `${v2}${first.number}`) {
    return `${v2}${number}`;
  }
  return `${first.name}-${number}`;
}

export function replicasToCreate(
  existing: readonly Replica[],
  compose: { readonly project: string; readonly service: string },
  count: number,
  isTaken: (name: string) => boolean,
): NewReplica[] {
  const first = existing[0];
  if (first === undefined || count <= 0) return [];
  const used = new Set(existing.map((r) => r.name));
  let number = Math.max(0, ...existing.map((r) => r.number ?? 1));
  const created: NewReplica[] = [];
  while (created.length < count) {
    number += 1;
    const name = replicaName(first, compose, number);
    if (used.has(name) || isTaken(name)) continue;
    created.push({ name, number });
  }
  return created;
}

/** Highest number first; containers without a number count as the first replica. */
export function replicasToRemove(existing: readonly Replica[], count: number): Replica[] {
  if (count <= 0) return [];
  const order = [...existing].sort((a, b) => (b.number ?? 1) - (a.number ?? 1));
  return order.slice(0, count);
}
