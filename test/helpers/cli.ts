/** Runs the real `pes` entry point in a child process, as a person at a terminal would. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const pesBin = join(repoRoot, 'bin/pes.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runPes(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; input?: string },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), pesBin, ...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        LANG: 'C.UTF-8',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A temporary working directory with a config file; the state database lands beside it. */
export function tempWorkdir(config: string): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pes-cli-'));
  const path = join(dir, 'pes.yaml');
  writeFileSync(path, config);
  return { dir, config: path };
}
