/**
 * The bot as a person runs it: `./pes --config FILE serve` on a pseudo-terminal (util-linux
 * `script`, as test/cli/pes-serve.test.ts does), commands typed at its `pes> ` prompt, and
 * the bot's own process found under it, so that its peak memory (VmHWM) can be read.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const prompt = '\npes> ';

/** Escape sequences (colour, line clearing) and carriage returns, gone before matching. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');
}

interface Waiter {
  readonly text: string;
  readonly from: number;
  readonly resolve: (at: number) => void;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export class ServeSession {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<number | null>;
  #out = '';
  #waiters: Waiter[] = [];

  /**
   * `script -c` takes one command line for a shell: the only shell string here, made of
   * fixed paths, each quoted; a path with a quote in it is refused rather than escaped.
   */
  constructor(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    for (const arg of argv) if (arg.includes("'")) throw new Error(`a quote in ${arg}`);
    const command = argv.map((a) => `'${a}'`).join(' ');
    this.#child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: options.cwd,
      env: { ...options.env, SHELL: '/bin/sh', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#exited = new Promise((resolve) => this.#child.on('close', resolve));
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#out += plain(chunk.toString('utf8'));
      const now = performance.now();
      this.#waiters = this.#waiters.filter((w) => {
        if (this.#out.indexOf(w.text, w.from) === -1) return true;
        w.resolve(now);
        return false;
      });
    });
  }

  /** Where the output is now: later waits look only after it. */
  get mark(): number {
    return this.#out.length;
  }

  /** When `text` appeared after `from` (performance.now() of the chunk that brought it). */
  waitFor(text: string, from: number, timeoutMs = 30 * 60_000): Promise<number> {
    if (this.#out.indexOf(text, from) !== -1) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${text}" in:\n${this.#out.slice(from).slice(-2000)}`)),
        timeoutMs,
      );
      void this.#exited.then(() =>
        reject(new Error(`the bot exited; no "${text}" in:\n${this.#out.slice(-2000)}`)),
      );
      this.#waiters.push({
        text,
        from,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  async started(): Promise<void> {
    await this.waitFor('pes> ', 0, 60_000);
  }

  type(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  /** Types a command, waits for the next prompt, and checks that the answer says `success`. */
  async run(line: string, success: string): Promise<string> {
    const from = this.mark;
    this.type(line);
    await this.waitFor(prompt, from + line.length);
    const answer = this.#out.slice(from);
    if (!answer.includes(success)) throw new Error(`${line}: ${answer.slice(-2000)}`);
    return answer;
  }

  /** The bot's process: the node process below `script` (and the shell and ./pes it runs). */
  #botPid(): number {
    const queue = [this.#child.pid ?? 0];
    while (queue.length > 0) {
      const pid = queue.shift() ?? 0;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.endsWith('bin/pes.js'))) return pid;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
      queue.push(...children.trim().split(/\s+/).filter(Boolean).map(Number));
    }
    throw new Error('the bot process was not found');
  }

  /**
   * The bot process's peak resident memory so far in MiB (VmHWM) and the CPU time it used
   * (utime + stime, in clock ticks of 1/100 s on Linux), both from proc(5).
   */
  usage(): {
    readonly peakMb: number;
    readonly cpuSeconds: number;
    /** What is resident now, by kind (RssAnon, RssFile: the node binary's pages, RssShmem). */
    readonly resident: {
      readonly anonMb: number;
      readonly fileMb: number;
      readonly shmemMb: number;
    };
  } {
    const pid = this.#botPid();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb === undefined) throw new Error('no VmHWM');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      peakMb: Number(kb) / 1024,
      cpuSeconds: ticks / 100,
      resident: { anonMb: field('RssAnon'), fileMb: field('RssFile'), shmemMb: field('RssShmem') },
    };
  }

  async exit(): Promise<void> {
    this.type('exit');
    const code = await this.#exited;
    if (code !== 0) throw new Error(`pes serve exited ${code ?? '?'}:\n${this.#out.slice(-2000)}`);
  }

  /** After a failure: the bot is stopped as SIGTERM stops it, then `script`. */
  kill(): void {
    try {
      process.kill(this.#botPid(), 'SIGTERM');
    } catch {
      // Gone already.
    }
    this.#child.kill('SIGKILL');
  }
}
