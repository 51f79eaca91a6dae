/**
 * The container image: its size, and the cold start of `pes serve` to a 200 from /readyz
 * inside the built container. Target: ≤ 300 MB and ≤ 2 s.
 *
 * The image is built as test/image builds it (bases made from Debian's packages, then the real
 * `docker build` with no network). Each start is a new container (network mode none, the test
 * engine's socket and a config mounted, as the README runs it) whose first process is a small
 * Node script: it notes the time, starts the bot as the image's entrypoint does, polls /readyz
 * every 10 ms, and prints the time of the first 200; then it stops the bot. So the figure is
 * the bot's own start in the container, not the engine's container set-up, which is printed
 * beside it (`docker run` to exit), as is the CPU time the bot used until then, which a busy
 * machine does not stretch as it does the wall time. The size leaves out the local package
 * repository that the test's stand-in for debian:*-slim carries (scripts/image-bases.sh).
 *
 *   npm run bench:image            BENCH_STARTS=N starts (default 7)
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildImage,
  docker,
  engineSocket,
  imageTag,
  imageTargetBytes,
  megabytes,
  socketGid,
} from '../test/image/image.ts';

const starts = Number(process.env['BENCH_STARTS'] ?? 7);
const targetBytes = imageTargetBytes;
const targetMs = 2000;

// Runs inside the container instead of the entrypoint: it starts the bot as the entrypoint
// would, and times it.
const probe = `
const { spawn } = await import('node:child_process');
const t0 = performance.now();
const bot = spawn('node', ['--max-semi-space-size=1', '--initial-old-space-size=32', '--no-opt', '/app/bin/pes.js', 'serve'], { stdio: ['ignore', 'ignore', 'inherit'] });
let ms;
while (ms === undefined) {
  try {
    const r = await fetch('http://127.0.0.1:8080/readyz');
    if (r.ok) ms = performance.now() - t0;
  } catch {}
  if (ms === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
}
// The CPU time the bot has used by then (user + system, in clock ticks of 10 ms: fields 14
// and 15 of /proc/PID/stat, after the command name in parentheses).
const stat = (await import('node:fs')).readFileSync('/proc/' + bot.pid + '/stat', 'utf8');
const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
bot.kill('SIGTERM');
await new Promise((resolve) => bot.on('exit', resolve));
console.log(JSON.stringify({ ms, cpuMs }));
`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<number> {
  const built = await buildImage((line) => console.log(line));
  const bytes = built.bytes - built.testRepositoryBytes;
  const dir = mkdtempSync(join(tmpdir(), 'pes-bench-image-'));
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'pes.yaml'),
    [
      'server: { host: 127.0.0.1, port: 8080 }',
      'docker: { host: unix:///var/run/docker.sock }',
      'log: { level: warn }',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const readyMs: number[] = [];
  const cpuMs: number[] = [];
  const runMs: number[] = [];
  try {
    for (let i = 0; i < starts; i++) {
      const t0 = Date.now();
      const result = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--label',
        'pes.test=1',
        '-v',
        `${engineSocket()}:/var/run/docker.sock`,
        '--group-add',
        String(socketGid()),
        '-v',
        `${join(dir, 'pes.yaml')}:/etc/pes-bot/pes.yaml:ro`,
        '--entrypoint',
        'node',
        imageTag,
        '--input-type=module',
        '-e',
        probe,
      ]);
      runMs.push(Date.now() - t0);
      if (result.code !== 0) throw new Error(`start ${i + 1} failed:\n${result.stderr}`);
      const start = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as {
        ms: number;
        cpuMs: number;
      };
      readyMs.push(start.ms);
      cpuMs.push(start.cpuMs);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...readyMs].sort((a, b) => a - b);
  const runs = [...runMs].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const worst = sorted.at(-1) ?? NaN;
  console.log(`image ${imageTag}: built in ${built.buildMs} ms`);
  console.log(
    `size: ${megabytes(bytes)} MB (${megabytes(built.bytes)} MB in the engine, less ${megabytes(built.testRepositoryBytes)} MB of the test base's package repository); target ≤ ${megabytes(targetBytes)} MB: ${bytes <= targetBytes ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `cold start to /readyz inside the container, ${starts} starts: median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms (${sorted.map((ms) => ms.toFixed(0)).join(', ')}); target ≤ ${targetMs} ms: ${worst <= targetMs ? 'PASS' : 'MISS'}`,
  );
  const cpu = [...cpuMs].sort((a, b) => a - b);
  console.log(
    `CPU time of the bot to that point (user + system; on a busy machine the wall time grows, this does not): median ${percentile(cpu, 50)} ms, worst ${cpu.at(-1)} ms`,
  );
  console.log(
    `docker run to exit (container set-up, start, stop): median ${percentile(runs, 50)} ms, worst ${runs.at(-1)} ms`,
  );
  return bytes <= targetBytes && worst <= targetMs ? 0 : 1;
}

process.exitCode = await main();
