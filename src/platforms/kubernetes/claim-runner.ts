/**
 * An engine command (src/backup/volume-access.ts) run in a claim pod through pods/exec.
 * pods/exec has no environment and no working directory of its own: the command runs in the
 * container's `workingDir` (the claim, claim-pod-spec.ts), and argv is part of the exec URL,
 * which the API server's request log shows, as the pod's process list does. So the engine is
 * started by the launcher of the bot's image (src/backup/engine-launch.ts), whose stdin is one
 * line of the engine's variables (the repository's place, S3 keys, BORG_RSH…), then the
 * password, closed after it (v5.channel.k8s.io): none of them is in argv, the exec URL or the
 * pod's spec. restic reads the password from a stdin that is no terminal, borg from fd 0 with
 * BORG_PASSPHRASE_FD=0. A variable the launcher does not take (not one restic or borg reads)
 * is refused with one line before anything runs; an image without node or the launcher is
 * told as such (`backup-engine-launcher-missing`).
 *
 * A repository on a claim of its own is mounted at /repository: the engine there is pointed
 * at it instead of at the bot's own path of the same repository.
 */
import { Readable, Writable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { SpawnResult, StallWatch } from '../../backup/engines/spawn.ts';
import { lineSplitter, tailKeeper } from '../../backup/engines/spawn.ts';
import type { EngineCommand, EngineRunner } from '../../backup/volume-access.ts';
import {
  launchArgv,
  launchHeader,
  launcherMissing,
  launchStall,
  launchStalled,
  nodeNotFound,
  refusedLaunchNames,
} from '../../backup/engine-launch-input.ts';
import { repositoryPath } from './claim-pod-spec.ts';
import type { ClaimPod } from './claim-pod.ts';

/**
 * Places on the bot's own machine (caches, borg's security files): they mean nothing in the
 * pod, whose caches are in its own emptyDir (HOME and XDG_CACHE_HOME, claim-pod-spec.ts).
 */
const localOnly = new Set([
  'RESTIC_CACHE_DIR',
  'BORG_BASE_DIR',
  'BORG_CACHE_DIR',
  'BORG_CONFIG_DIR',
  'BORG_SECURITY_DIR',
]);

const repositoryVariable = { restic: 'RESTIC_REPOSITORY', borg: 'BORG_REPO' } as const;

const defaultStdoutLimit = 64 * 1024 * 1024;
const defaultStderrLimit = 64 * 1024;

export interface ClaimRunnerSettings {
  /** The cluster, for messages. */
  readonly cluster: string;
  /** The repository's folder inside its claim; undefined: not on a claim (remote). */
  readonly repositoryInClaim?: string;
}

/**
 * The engine's variables for a claim pod, given to the launcher on stdin; refuses a variable
 * the launcher does not take.
 */
export function claimEnv(
  command: EngineCommand,
  settings: ClaimRunnerSettings,
): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(
    Object.entries({ ...command.env, ...command.passwordOnStdin }).filter(
      ([name]) => !localOnly.has(name),
    ),
  );
  if (settings.repositoryInClaim !== undefined) {
    const inside = settings.repositoryInClaim.replace(/^\/+|\/+$/g, '');
    env[repositoryVariable[command.program]] =
      inside === '' ? repositoryPath : `${repositoryPath}/${inside}`;
  }
  const refused = refusedLaunchNames(env);
  if (refused.length > 0) {
    throw new UserError('kubernetes-engine-env', {
      cluster: settings.cluster,
      names: refused.join(', '),
    });
  }
  return env;
}

/** The exec's argv (the launcher's, no variable in it) and its stdin. */
export function claimLaunch(
  command: EngineCommand,
  settings: ClaimRunnerSettings,
  stall?: StallWatch,
): { readonly argv: string[]; readonly stdin: Buffer } {
  const header = launchHeader(claimEnv(command, settings));
  return {
    argv: launchArgv(command.program, command.args, launchStall(stall)),
    stdin: Buffer.concat([Buffer.from(header, 'utf8'), Buffer.from(command.password, 'utf8')]),
  };
}

function launcherMissingError(pod: ClaimPod, cause?: unknown): UserError {
  return new UserError(
    'backup-engine-launcher-missing',
    { image: pod.image ?? '?' },
    cause === undefined ? undefined : { cause },
  );
}

/** The EngineRunner of one claim pod. */
export function claimRunner(pod: ClaimPod, settings: ClaimRunnerSettings): EngineRunner {
  return async (command, options): Promise<SpawnResult> => {
    // The stall watch runs in the launcher: an exec'd engine cannot be signalled from here.
    const { argv, stdin } = claimLaunch(command, settings, options.stall);
    const stderr = tailKeeper(options.stderrLimit ?? defaultStderrLimit);
    const stderrLines =
      options.onStderrLine === undefined ? undefined : lineSplitter(options.onStderrLine);
    const stdoutLines =
      options.onStdoutLine === undefined ? undefined : lineSplitter(options.onStdoutLine);
    const limit = options.stdoutLimit ?? defaultStdoutLimit;
    const kept: Buffer[] = [];
    let size = 0;
    let stdoutError: Error | undefined;
    const stdout =
      options.stdout ??
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (stdoutLines !== undefined) stdoutLines.push(chunk);
          else {
            if (size < limit) kept.push(chunk.subarray(0, limit - size));
            size += chunk.length;
          }
          callback();
        },
        final(callback) {
          stdoutLines?.end();
          callback();
        },
      });
    let exitCode: number;
    try {
      const result = await pod.exec(
        argv,
        { stdin: Readable.from([stdin]), stdout },
        options.signal,
        (chunk) => {
          stderr.push(chunk);
          stderrLines?.push(chunk);
        },
      );
      exitCode = result.exitCode;
    } catch (error) {
      // The caller's consumer broke off: a result, as spawn.ts reports it.
      if (
        options.stdout !== undefined &&
        options.stdout.errored !== null &&
        !options.signal?.aborted
      ) {
        stdoutError = options.stdout.errored;
        exitCode = 1;
      } else if (nodeNotFound(error)) {
        throw launcherMissingError(pod, error);
      } else {
        throw error;
      }
    }
    if (launcherMissing(exitCode, stderr.text())) throw launcherMissingError(pod);
    stderrLines?.end();
    return {
      exitCode,
      exitSignal: null,
      stdout: Buffer.concat(kept).toString('utf8'),
      stderr: stderr.text(),
      stdinError: undefined,
      stdoutError,
      ...(launchStalled(exitCode, stderr.text()) ? { stalled: true } : {}),
    };
  };
}
