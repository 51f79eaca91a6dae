/**
 * An engine command (src/backup/volume-access.ts) run in a claim pod through pods/exec.
 * pods/exec has no environment and no working directory of its own: the command runs in the
 * container's `workingDir` (the claim, claim-pod-spec.ts), and what the engine needs besides
 * its password goes through coreutils' `env` at the head of argv. So only variables known to
 * hold no secret may go (the repository's place, progress rate, borg's answers to its
 * questions); any other (S3 keys, BORG_RSH…) is refused with one line instead of being put
 * where the API server's request log and the pod's process list would show it. The password
 * is the command's whole stdin, closed after it (v5.channel.k8s.io): restic reads it from a
 * stdin that is no terminal, borg from fd 0 with BORG_PASSPHRASE_FD=0.
 *
 * A repository on a claim of its own is mounted at /repository: the engine there is pointed
 * at it instead of at the bot's own path of the same repository.
 */
import { Readable, Writable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { SpawnResult } from '../../backup/engines/spawn.ts';
import { lineSplitter, tailKeeper } from '../../backup/engines/spawn.ts';
import type { EngineCommand, EngineRunner } from '../../backup/volume-access.ts';
import { repositoryPath } from './claim-pod-spec.ts';
import type { ClaimPod } from './claim-pod.ts';

/** Variables that never hold a secret; the repository's is set here when it is on a claim. */
const plainVariables = new Set([
  'RESTIC_REPOSITORY',
  'RESTIC_PROGRESS_FPS',
  'BORG_REPO',
  'BORG_PASSPHRASE_FD',
  'BORG_RELOCATED_REPO_ACCESS_IS_OK',
  'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK',
  'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING',
  'BORG_DELETE_I_KNOW_WHAT_I_AM_DOING',
  'BORG_DISPLAY_PASSPHRASE',
]);

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

/** The argv that runs `command` with its plain variables; refuses any other variable. */
export function claimArgv(command: EngineCommand, settings: ClaimRunnerSettings): string[] {
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
  const refused = Object.keys(env).filter((name) => !plainVariables.has(name));
  if (refused.length > 0) {
    throw new UserError('kubernetes-engine-env', {
      cluster: settings.cluster,
      names: refused.sort().join(', '),
    });
  }
  const assignments = Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`);
  // `env` with nothing but assignments still runs the program with the pod's environment.
  return ['env', ...assignments, command.program, ...command.args];
}

/** The EngineRunner of one claim pod. */
export function claimRunner(pod: ClaimPod, settings: ClaimRunnerSettings): EngineRunner {
  return async (command, options): Promise<SpawnResult> => {
    const argv = claimArgv(command, settings);
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
        { stdin: Readable.from([Buffer.from(command.password, 'utf8')]), stdout },
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
      } else {
        throw error;
      }
    }
    stderrLines?.end();
    return {
      exitCode,
      exitSignal: null,
      stdout: Buffer.concat(kept).toString('utf8'),
      stderr: stderr.text(),
      stdinError: undefined,
      stdoutError,
    };
  };
}
