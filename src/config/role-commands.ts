/**
 * Checks that every command a role grants exists. Permissions compare the canonical command
 * name (src/core/permissions.ts), so a typo or an alias in `roles.<name>.commands` would
 * grant nothing and say nothing: here it is a configuration error with the close matches.
 * The command list is given by the caller (the registry lives in commands/, which the
 * configuration does not import).
 */
import { formatPath } from './problems.ts';

/** What the check needs of a command: its canonical name and its other names. */
export interface KnownCommand {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** The argument a mutating command locks on (its service); approvals match on it. */
  readonly mutating?: { readonly lock?: string | undefined } | undefined;
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

/** One or two edits, by length: `bakup` → backup, but `job` is not close to `jobs`' cousins. */
function closeEnough(word: string): number {
  return word.length >= 5 ? 2 : 1;
}

/**
 * The canonical names nearest to `word` (by name or by alias), in registry order: only those
 * at the smallest distance, so `bakup` gets backup and not also backups.
 */
export function closeCommands(word: string, known: readonly KnownCommand[]): string[] {
  const scored = known.map((command) => ({
    name: command.name,
    distance: Math.min(
      ...[command.name, ...(command.aliases ?? [])].map((n) => editDistance(word, n)),
    ),
  }));
  const nearest = Math.min(...scored.map((c) => c.distance));
  if (nearest > closeEnough(word)) return [];
  return scored.filter((c) => c.distance === nearest).map((c) => c.name);
}

function problemFor(word: string, known: readonly KnownCommand[]): string | undefined {
  if (word === '*' || known.some((c) => c.name === word)) return undefined;
  const aliasOf = known.find((c) => c.aliases?.includes(word) === true);
  if (aliasOf !== undefined) {
    return `"${word}" is another name of ${aliasOf.name}: write ${aliasOf.name}`;
  }
  const close = closeCommands(word, known);
  // No "; " inside: the problems of one file are joined with it.
  if (close.length > 0) return `no command "${word}", did you mean ${close.join(' or ')}?`;
  return `no command "${word}" (the commands: ${known.map((c) => c.name).join(', ')})`;
}

/**
 * One `path: problem` line per role command that is not a command's canonical name, in the
 * format of the other configuration problems (problems.ts).
 */
export function roleCommandProblems(
  roles: Readonly<Record<string, { readonly commands: readonly string[] }>>,
  known: readonly KnownCommand[],
): string[] {
  return Object.entries(roles).flatMap(([role, { commands }]) =>
    commands.flatMap((word, i) => {
      const problem = problemFor(word, known);
      return problem === undefined
        ? []
        : [`${formatPath(['roles', role, 'commands', i])}: ${problem}`];
    }),
  );
}
