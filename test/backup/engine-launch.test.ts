/**
 * The engine launcher (src/backup/engine-launch.ts): its header line is parsed strictly
 * (engine-launch-input.ts), a refused input starts nothing, and an accepted one starts the
 * engine with the variables added, the rest of stdin as the engine's stdin, its exit code and
 * its signals. The launcher is run for real with Node; the "engine" is a stand-in script
 * named restic or borg first on PATH, which records its environment and stdin.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isLaunchVariable,
  launchArgv,
  launchHeader,
  launcherMissing,
  nodeNotFound,
  launchRefusedExit,
  launchStalled,
  launchStalledExit,
  maxHeaderBytes,
  parseLaunchArgv,
  parseLaunchHeader,
} from '../../src/backup/engine-launch-input.ts';

const launcher = join(import.meta.dirname, '..', '..', 'src', 'backup', 'engine-launch.ts');

describe('the launcher header', () => {
  it('takes the variables restic and borg read', () => {
    const env = {
      RESTIC_REPOSITORY: 'rest:https://u:p@h/r',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'key',
      BORG_RSH: 'ssh -i /k',
      B2_ACCOUNT_KEY: 'b',
      AZURE_ACCOUNT_KEY: 'a',
      GOOGLE_APPLICATION_CREDENTIALS: '/g',
      OS_PASSWORD: 'o',
      ST_KEY: 's',
      RCLONE_CONFIG_X_TYPE: 'local',
    };
    expect(parseLaunchHeader(JSON.stringify(env))).toEqual({ ok: true, env });
    expect(launchHeader(env)).toBe(`${JSON.stringify(env)}\n`);
  });

  it('refuses bad JSON, a non-object, a name not allowed, a non-string value', () => {
    expect(parseLaunchHeader('{"RESTIC_REPOSITORY":')).toEqual({
      ok: false,
      reason: 'the header line is not JSON',
    });
    expect(parseLaunchHeader('["RESTIC_REPOSITORY"]').ok).toBe(false);
    expect(parseLaunchHeader('null').ok).toBe(false);
    const refused = parseLaunchHeader(
      JSON.stringify({ RESTIC_REPOSITORY: 'r', LD_PRELOAD: '/x.so', PATH: '/tmp', 'a b': 'x' }),
    );
    expect(refused).toEqual({
      ok: false,
      reason: 'variables not allowed: (not a variable name), LD_PRELOAD, PATH',
    });
    expect(parseLaunchHeader('{"RESTIC_X":1}').ok).toBe(false);
    expect(parseLaunchHeader('{"RESTIC_X":"a\\u0000b"}').ok).toBe(false);
    // The reason never holds a value.
    expect(JSON.stringify(refused)).not.toContain('/x.so');
  });

  it('is strict about names', () => {
    for (const name of [
      'RESTIC_',
      'restic_repository',
      'NODE_OPTIONS',
      'AWS',
      'BORG-RSH',
      'HOME',
    ]) {
      expect(isLaunchVariable(name)).toBe(false);
    }
    expect(() => launchHeader({ NODE_OPTIONS: '--require /x' })).toThrow(/NODE_OPTIONS/);
  });

  it('refuses a line over the limit', () => {
    const line = JSON.stringify({ RESTIC_X: 'x'.repeat(maxHeaderBytes) });
    expect(parseLaunchHeader(line)).toEqual({
      ok: false,
      reason: `the header line is longer than ${maxHeaderBytes} bytes`,
    });
  });

  it('tells a missing node or launcher from an engine failure', () => {
    expect(launcherMissing(127, 'setpriv: failed to execute node: No such file or directory')).toBe(
      true,
    );
    expect(
      launcherMissing(
        1,
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/app/src/backup/engine-launch.ts'",
      ),
    ).toBe(true);
    expect(launcherMissing(1, 'Fatal: unable to open config file')).toBe(false);
    expect(launcherMissing(127, 'engine-launch: cannot start restic: ENOENT')).toBe(false);
    expect(
      launcherMissing(
        126,
        'OCI runtime exec failed: exec: "node": executable file not found in $PATH',
      ),
    ).toBe(true);
    expect(launcherMissing(127, 'sh: 1: node: not found')).toBe(true);
    // A name that holds "node" is no missing node.
    expect(launcherMissing(127, 'pods "pes-claim-node-app-x7" not found')).toBe(false);
    expect(
      nodeNotFound(
        new Error('failed', { cause: new Error('pods "pes-claim-node-app" not found') }),
      ),
    ).toBe(false);
    expect(
      nodeNotFound(new Error('exec: "node": executable file not found in $PATH: unknown')),
    ).toBe(true);
    expect(launchArgv('borg', ['list'])).toEqual([
      'node',
      '/app/src/backup/engine-launch.ts',
      'borg',
      'list',
    ]);
  });
});

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-engine-launch-'));
  // The stand-in engine: its argv, environment and stdin into files, then the exit code it is
  // told; `sleep` makes it wait for a signal, reporting it.
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > "${dir}/argv"`,
    // Reads no stdin: waits for SIGINT, reporting it (bounded, should nothing stop it).
    `if [ "$1" = hold ]; then trap 'echo got-int > "${dir}/signal"; exit 130' INT; touch "${dir}/waiting"; i=0; while [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.1; done; exit 0; fi`,
    `env > "${dir}/env"`,
    `cat > "${dir}/stdin"`,
    'echo out; echo err >&2',
    `if [ "$1" = sleep ]; then trap 'echo got-term > "${dir}/signal"; exit 143' TERM; touch "${dir}/waiting"; while :; do sleep 0.1; done; fi`,
    // The same status line again and again (restic waiting on a repository); INT noted and
    // otherwise ignored, as a restic waiting on a dead peer does.
    `if [ "$1" = stuck ]; then trap 'echo got-int >> "${dir}/signal"' INT; while :; do echo '{"message_type":"status","files_done":1,"bytes_done":5}'; sleep 0.1; done; fi`,
    // Exits at once, leaving a child that holds its output pipes for 3 s (as ssh may).
    `if [ "$1" = orphan ]; then sleep 3 & exit 0; fi`,
    // Figures that grow: progress.
    `if [ "$1" = busy ]; then i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo "{\\"message_type\\":\\"status\\",\\"bytes_done\\":$i}"; sleep 0.1; done; fi`,
    'exit "${ENGINE_EXIT:-0}"',
  ].join('\n');
  for (const name of ['restic', 'borg']) {
    writeFileSync(join(dir, name), `${script}\n`);
    chmodSync(join(dir, name), 0o755);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Launched {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function launch(
  args: readonly string[],
  input: Buffer | string,
  extraEnv: Record<string, string> = {},
  onStart?: (kill: (signal: NodeJS.Signals) => void) => void,
): Promise<Launched> {
  for (const file of ['argv', 'env', 'stdin', 'signal', 'waiting']) {
    rmSync(join(dir, file), { force: true });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], {
      env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}`, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
    onStart?.((signal) => child.kill(signal));
  });
}

describe('the launcher argv', () => {
  it('carries the stall watch before the program, and nothing else', () => {
    const argv = launchArgv('restic', ['backup', '.'], { ms: 300_000, graceMs: 5000 });
    expect(argv).toEqual([
      'node',
      '/app/src/backup/engine-launch.ts',
      '--stall=300000,5000',
      'restic',
      'backup',
      '.',
    ]);
    expect(parseLaunchArgv(argv.slice(2))).toEqual({
      ok: true,
      program: 'restic',
      args: ['backup', '.'],
      stall: { ms: 300_000, graceMs: 5000 },
    });
    expect(parseLaunchArgv(['--stall=x', 'restic']).ok).toBe(false);
    expect(parseLaunchArgv(['borg', '--stall=1,1'])).toEqual({
      ok: true,
      program: 'borg',
      args: ['--stall=1,1'],
      stall: undefined,
    });
  });
});

describe('the launcher', () => {
  it('runs the engine with the variables, the rest of stdin and its exit code', async () => {
    const header = launchHeader({ AWS_SECRET_ACCESS_KEY: 'the-s3-key', RESTIC_REPOSITORY: 's3:x' });
    const run = await launch(['restic', 'backup', '--json', 'a b'], `${header}pass\nword\n`, {
      ENGINE_EXIT: '3',
    });
    expect(run).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toBe('backup\n--json\na b\n');
    const env = readFileSync(join(dir, 'env'), 'utf8').split('\n');
    expect(env).toContain('AWS_SECRET_ACCESS_KEY=the-s3-key');
    expect(env).toContain('RESTIC_REPOSITORY=s3:x');
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('pass\nword\n');
  });

  it('starts the engine without the bot’s own malloc settings, which the image sets', async () => {
    const header = launchHeader({ BORG_PASSPHRASE_FD: '0' });
    const run = await launch(['borg', 'list'], `${header}secret`, {
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '65536',
      PES_SEEN: 'yes',
    });
    expect(run.code).toBe(0);
    const env = readFileSync(join(dir, 'env'), 'utf8').split('\n');
    expect(env).toContain('PES_SEEN=yes');
    expect(env.filter((line) => line.startsWith('MALLOC_'))).toEqual([]);
  });

  it('passes stdin that comes in pieces after the header', async () => {
    const header = Buffer.from(launchHeader({ BORG_PASSPHRASE_FD: '0' }));
    // One buffer whose header is split from the rest only by the newline.
    const run = await launch(['borg', 'list'], Buffer.concat([header, Buffer.from('secret')]));
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('secret');
    expect(readFileSync(join(dir, 'env'), 'utf8').split('\n')).toContain('BORG_PASSPHRASE_FD=0');
  });

  const refusals: readonly [string, string | Buffer, RegExp][] = [
    ['bad JSON', '{"RESTIC_REPOSITORY"\npass', /the header line is not JSON/],
    ['a name not allowed', '{"LD_PRELOAD":"/tmp/x.so"}\npass', /variables not allowed: LD_PRELOAD/],
    [
      'a too-long line',
      `{"RESTIC_X":"${'x'.repeat(maxHeaderBytes + 10)}"}\npass`,
      /longer than 65536 bytes/,
    ],
    ['a too-long line without a newline', 'x'.repeat(maxHeaderBytes * 2), /longer than/],
    ['no header at all', '', /stdin ended before the header line/],
  ];
  for (const [what, input, message] of refusals) {
    it(`refuses ${what} and runs nothing`, async () => {
      const run = await launch(['restic', 'snapshots'], input);
      expect(run.code).toBe(launchRefusedExit);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/nothing was run\n$/);
      expect(run.stderr).not.toContain('/tmp/x.so');
      expect(existsSync(join(dir, 'argv'))).toBe(false);
    });
  }

  it('runs restic or borg only', async () => {
    const run = await launch(['sh', '-c', 'id'], '{}\n');
    expect(run.code).toBe(launchRefusedExit);
    expect(run.stderr).toContain('the program must be one of restic, borg');
  });

  it('hands SIGTERM to the engine and exits with its code', async () => {
    let kill: ((signal: NodeJS.Signals) => void) | undefined;
    const running = launch(['restic', 'sleep'], '{}\n', {}, (k) => (kill = k));
    // Waits for the engine to say it waits (a file), then signals the launcher.
    await engineWaiting();
    kill?.('SIGTERM');
    const run = await running;
    expect(run.code).toBe(143);
    expect(readFileSync(join(dir, 'signal'), 'utf8')).toBe('got-term\n');
  });

  it('ends an engine that makes no progress: SIGINT, then SIGKILL, exit as stalled', async () => {
    rmSync(join(dir, 'signal'), { force: true });
    const run = await launch(['--stall=1500,1000', 'restic', 'stuck'], '{}\n');
    expect(run.code).toBe(launchStalledExit);
    // SIGINT came first (restic removes its lock on it); SIGKILL ended it.
    expect(readFileSync(join(dir, 'signal'), 'utf8')).toContain('got-int');
    expect(launchStalled(run.code, run.stderr)).toBe(true);
    expect(run.stderr).toContain('engine-launch: stalled: no progress for 2 s; stopping restic');
    // Its output still passes through.
    expect(run.stdout).toContain('"message_type":"status"');
  });

  it('does not call an engine that has exited stalled while a child of it holds its pipes', async () => {
    // The window ends while the launcher still waits for the pipes to close.
    const run = await launch(['--stall=300,300', 'restic', 'orphan'], '{}\n');
    expect(run.stderr).not.toContain('stalled');
    expect(run.code).toBe(0);
  });

  it('leaves an engine that makes progress alone', async () => {
    // 5 s of growing figures, a line every 0.1 s, against a 3 s window: it outlasts the window
    // and is never idle for long, even on a loaded machine.
    const run = await launch(['--stall=3000,500', 'restic', 'busy'], '{}\n');
    expect(run.code).toBe(0);
    expect(launchStalled(run.code, run.stderr)).toBe(false);
    expect(run.stdout.split('\n').filter((l) => l.includes('bytes_done'))).toHaveLength(50);
  });

  it('stops the engine and exits non-zero in one line when reading stdin fails', async () => {
    const run = await launchOnSocket(['restic', 'hold'], true);
    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      'engine-launch: reading stdin failed (ECONNRESET); stopping the engine\n',
    );
    // The engine got SIGINT (to remove its lock) and ended: it was not left running.
    expect(readFileSync(join(dir, 'signal'), 'utf8')).toBe('got-int\n');
  });

  it('runs nothing when stdin is reset before the header line ends', async () => {
    const run = await launchOnSocket(['restic', 'hold'], false);
    expect(run.code).toBe(launchRefusedExit);
    // Node may take a reset that comes before its first read as the end of stdin.
    expect(run.stderr).toMatch(
      /^engine-launch: (reading stdin failed \(ECONNRESET\)|stdin ended before the header line did); nothing was run\n$/,
    );
    expect(existsSync(join(dir, 'argv'))).toBe(false);
  });
});

/** Resolves once the stand-in engine says it waits (its `waiting` file). */
function engineWaiting(): Promise<void> {
  return new Promise<void>((resolve) => {
    const watcher = watch(dir, () => {
      if (existsSync(join(dir, 'waiting'))) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(join(dir, 'waiting'))) {
      watcher.close();
      resolve();
    }
  });
}

/**
 * Runs the launcher with a TCP connection as its stdin, whose other end writes the header
 * (all of it once the engine is `started`, else half of it) and then resets the connection:
 * the launcher's read of stdin fails with ECONNRESET.
 */
async function launchOnSocket(args: readonly string[], started: boolean): Promise<Launched> {
  for (const file of ['argv', 'env', 'stdin', 'signal', 'waiting']) {
    rmSync(join(dir, file), { force: true });
  }
  // Not read here: the launcher, which gets the connection as its stdin, reads it alone.
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  const ours = await accepted;
  ours.on('error', () => undefined);
  server.close();
  try {
    const result = new Promise<Launched>((resolve, reject) => {
      const child = spawn(process.execPath, [launcher, ...args], {
        env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` },
        stdio: [ours, 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    // The launcher holds its own copy of the connection: ours is closed without a FIN.
    ours.destroy();
    const header = launchHeader({ RESTIC_REPOSITORY: '/r' });
    if (started) {
      client.write(header);
      await engineWaiting();
    } else {
      // Read before the reset or not, the read fails: the reset is the socket's error.
      client.write(header.slice(0, 5));
    }
    client.resetAndDestroy();
    return await result;
  } finally {
    client.destroy();
  }
}
