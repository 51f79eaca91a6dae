/**
 * The input of the engine launcher (engine-launch.ts), which runs restic or borg inside a
 * helper container or a claim pod: its stdin starts with ONE line, a JSON object of the
 * variables the engine needs (repository, S3 keys, BORG_RSH…), and the rest is the engine's
 * own stdin (the password). So those variables reach the engine without showing in argv, in
 * the container's or the pod's environment (`docker inspect`, the pod spec) or in an exec
 * URL, which pods/exec builds from argv and which has no environment of its own.
 *
 * Only variables that restic or borg read are taken, by name: their own prefixes and those of
 * the storage back-ends they use (restic's documentation, "Preparing a new repository", lists
 * the AWS_, B2_, AZURE_, GOOGLE_, OS_ and ST_ variables; RCLONE_ configures the rclone it
 * starts). Nothing that changes how a program is loaded or found (LD_PRELOAD, PATH,
 * NODE_OPTIONS) can be named.
 */

/** Where the launcher is in the bot's image (the Dockerfile copies src/ to /app/src). */
export const launcherPath = '/app/src/backup/engine-launch.ts';

/** The header line's limit, newline included: ample for keys and a repository URL. */
export const maxHeaderBytes = 64 * 1024;

/** The launcher's exit code when it refuses its input: no engine was started. */
export const launchRefusedExit = 122;

export const launchPrograms = ['restic', 'borg'] as const;
export type LaunchProgram = (typeof launchPrograms)[number];

const prefixes = ['RESTIC_', 'BORG_', 'AWS_', 'B2_', 'AZURE_', 'GOOGLE_', 'OS_', 'RCLONE_'];
/** OpenStack Swift's v1 authentication (restic's swift back-end). */
const exact = new Set(['ST_AUTH', 'ST_USER', 'ST_KEY']);

/** Whether the launcher passes a variable of this name on to the engine. */
export function isLaunchVariable(name: string): boolean {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) return false;
  return exact.has(name) || prefixes.some((p) => name.startsWith(p) && name.length > p.length);
}

export type HeaderResult =
  | { readonly ok: true; readonly env: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: string };

/**
 * The variables of a header line (without its newline). The reason of a refusal names no
 * value: a value may be a secret.
 */
export function parseLaunchHeader(line: string): HeaderResult {
  if (Buffer.byteLength(line, 'utf8') + 1 > maxHeaderBytes) {
    return { ok: false, reason: `the header line is longer than ${maxHeaderBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'the header line is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'the header line is not a JSON object' };
  }
  const env: Record<string, string> = {};
  const refused: string[] = [];
  for (const [name, v] of Object.entries(value)) {
    if (!isLaunchVariable(name)) {
      // A name that is no plain word is not repeated: it could be anything.
      refused.push(/^[A-Za-z0-9_]{1,64}$/.test(name) ? name : '(not a variable name)');
      continue;
    }
    if (typeof v !== 'string' || v.includes('\0')) {
      return { ok: false, reason: `the value of ${name} is not a string without NUL` };
    }
    env[name] = v;
  }
  if (refused.length > 0) {
    return { ok: false, reason: `variables not allowed: ${refused.sort().join(', ')}` };
  }
  return { ok: true, env };
}

/** The names among `env` the launcher would refuse, sorted. */
export function refusedLaunchNames(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env)
    .filter((name) => !isLaunchVariable(name))
    .sort();
}

/**
 * The header line for `env`, newline included. The caller has refused any name of
 * `refusedLaunchNames` with its own message; this only guards against a mistake.
 */
export function launchHeader(env: Readonly<Record<string, string>>): string {
  const line = JSON.stringify(env);
  const parsed = parseLaunchHeader(line);
  if (!parsed.ok) throw new Error(`engine launcher input: ${parsed.reason}`);
  return `${line}\n`;
}

/**
 * The launcher's exit code when its stall watch ended the engine (a repository that stopped
 * answering: engines/stall.ts), told on stderr by a line starting with `stallMarker`.
 */
export const launchStalledExit = 124;
export const stallMarker = 'engine-launch: stalled';

/** How long the engine may go without progress, and how long it may take to stop then. */
export interface LaunchStall {
  readonly ms: number;
  readonly graceMs: number;
}

/**
 * The argv that runs `program` through the launcher; with `stall`, the launcher watches the
 * engine's output for progress as spawn.ts does here (`--stall=<ms>,<grace ms>` before it).
 */
export function launchArgv(
  program: LaunchProgram,
  args: readonly string[],
  stall?: LaunchStall,
): string[] {
  const watch =
    stall === undefined ? [] : [`--stall=${Math.round(stall.ms)},${Math.round(stall.graceMs)}`];
  return ['node', launcherPath, ...watch, program, ...args];
}

export type ArgvResult =
  | {
      readonly ok: true;
      readonly program: LaunchProgram;
      readonly args: readonly string[];
      readonly stall: LaunchStall | undefined;
    }
  | { readonly ok: false; readonly reason: string };

/** The launcher's own arguments (after the script's path). */
export function parseLaunchArgv(argv: readonly string[]): ArgvResult {
  let rest = argv;
  let stall: LaunchStall | undefined;
  const flag = /^--stall=(\d{1,9}),(\d{1,9})$/.exec(rest[0] ?? '');
  if (flag !== null) {
    stall = { ms: Number(flag[1]), graceMs: Number(flag[2]) };
    rest = rest.slice(1);
  }
  const [program, ...args] = rest;
  const known = launchPrograms.find((p) => p === program);
  if (known === undefined) {
    return { ok: false, reason: `the program must be one of ${launchPrograms.join(', ')}` };
  }
  return { ok: true, program: known, args, stall };
}

/** The launcher's stall watch for a spawn.ts `StallWatch` (its `isProgress` is the engine's). */
export function launchStall(
  watch: { readonly ms: number; readonly killGraceMs: number } | undefined,
): LaunchStall | undefined {
  return watch === undefined ? undefined : { ms: watch.ms, graceMs: watch.killGraceMs };
}

/** Whether a run through the launcher was ended by its stall watch. */
export function launchStalled(exitCode: number | null, stderr: string): boolean {
  return exitCode === launchStalledExit && stderr.includes(stallMarker);
}

/**
 * Whether a run through the launcher failed because the image has no node, or no launcher
 * (an image of an older bot): the exit code and stderr of the run.
 * - no node: `setpriv: failed to execute node: No such file or directory` (exit 127), a
 *   runtime's `exec: "node": executable file not found in $PATH` (126/127);
 * - no launcher: node's `Cannot find module '/app/src/backup/engine-launch.ts'` (exit 1).
 */
export function launcherMissing(exitCode: number | null, stderr: string): boolean {
  if (stderr.includes(launcherPath) && /ERR_MODULE_NOT_FOUND|Cannot find module/.test(stderr)) {
    return true;
  }
  return (
    (exitCode === 126 || exitCode === 127) &&
    namesNode.test(stderr) &&
    /not found|No such file/i.test(stderr)
  );
}

/**
 * The program `node` named as the tools name a program they could not start (`"node"`,
 * `execute node: `, `sh: 1: node: `), not a word inside a name: a claim pod's or a
 * service's name may hold `-node-`, and `pods "…-node-…" not found` is no missing node.
 */
const namesNode = /"node"|(?<![\w.-])node: /;

/**
 * Whether an error (or one of its causes) says there is no `node` to start: a container
 * whose command is node fails its start so, and a pods/exec of it its status.
 */
export function nodeNotFound(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (namesNode.test(e.message) && /not found|no such file/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * The malloc settings ./pes, bin/pes.js and the image give the bot's own process (./pes says
 * why). They are the bot's, not the engine's: borg, a Python program, took 1.6 times as long
 * with blocks of 64 KB and more mapped one by one (`npm run bench:backup`, 1 GB, first backup
 * and full restore). The programs the bot starts, here or through the launcher, start without
 * them: bin/pes.js deletes these names from its environment at start, and spawn.ts and the
 * launcher give an engine `withoutBotMalloc` of theirs.
 */
export const botMallocSettings: readonly string[] = ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_'];

/** `env` without the bot's own malloc settings (`botMallocSettings`, by exact name). */
export function withoutBotMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !botMallocSettings.includes(name)),
  );
}
