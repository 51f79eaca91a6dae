/**
 * Moodle's own CLI scripts, run in the Moodle container as the web server's user (as
 * Moodle's docs say: `sudo -u www-data php admin/cli/…`), through the platform's exec with an
 * argv, never a shell. FIELD-NOTES (Moodle): maintenance.php --enable|--disable,
 * upgrade.php --non-interactive, cfg.php --component=X --name=version, purge_caches.php,
 * uninstall_plugins.php --plugins=X --run. Moodle 5.1 keeps config.php and admin/cli/ wrappers
 * in the root and moves the code under public/: the script is looked for in the root first,
 * then in the code directory.
 */
import type { Readable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { ExecResult } from '../../core/platform.ts';
import type { Site } from '../site.ts';

/** Runs argv in the Moodle container; `user` as in ExecOptions (absent: the image's user). */
export type ContainerExec = (
  argv: readonly string[],
  options: { readonly user?: string; readonly stdin?: Readable },
  signal: AbortSignal,
) => Promise<ExecResult>;

export type CliScript =
  'maintenance.php' | 'upgrade.php' | 'cfg.php' | 'purge_caches.php' | 'uninstall_plugins.php';

/** The last non-empty line of a program's output, short enough for one line of chat. */
export function lastLine(result: Pick<ExecResult, 'stdout' | 'stderr'>): string {
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = lines.at(-1) ?? '—';
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

/** Throws plugin-step-failed naming the program, its exit code and its last line. */
export function requireSuccess(what: string, result: ExecResult): ExecResult {
  if (result.exitCode !== 0) {
    throw new UserError('plugin-step-failed', {
      what,
      exit: result.exitCode,
      output: lastLine(result),
    });
  }
  return result;
}

export class MoodleCli {
  readonly #exec: ContainerExec;
  readonly #site: Pick<Site, 'root' | 'codeDir'>;
  readonly #user: string;
  readonly #php: string;
  #dir: string | undefined;

  constructor(
    exec: ContainerExec,
    site: Pick<Site, 'root' | 'codeDir'>,
    options: { webUser: string; php: string },
  ) {
    this.#exec = exec;
    this.#site = site;
    this.#user = options.webUser;
    this.#php = options.php;
  }

  /** Runs a script as the web server's user; a non-zero exit is a result, not an error. */
  async run(script: CliScript, args: readonly string[], signal: AbortSignal): Promise<ExecResult> {
    const dir = await this.#cliDir(signal);
    return this.#exec([this.#php, `${dir}/${script}`, ...args], { user: this.#user }, signal);
  }

  /** Runs a script and throws plugin-step-failed unless it exits 0. */
  async must(script: CliScript, args: readonly string[], signal: AbortSignal): Promise<string> {
    const result = await this.run(script, args, signal);
    return requireSuccess(`admin/cli/${script}`, result).stdout;
  }

  async #cliDir(signal: AbortSignal): Promise<string> {
    if (this.#dir !== undefined) return this.#dir;
    const inRoot = `${this.#site.root}/admin/cli`;
    const found = await this.#exec(['test', '-f', `${inRoot}/upgrade.php`], {}, signal);
    this.#dir = found.exitCode === 0 ? inRoot : `${this.#site.codeDir}/admin/cli`;
    return this.#dir;
  }
}
