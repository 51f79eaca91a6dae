/**
 * Acknowledgement latency of the Mattermost slash endpoint: 100 concurrent slash requests
 * (`/pes echo …`, answered with the whole result) against 100 concurrent requests to a bare
 * 200 route of the same server, in the same run, on 127.0.0.1. Also shows the acknowledgement
 * of a slow command (answered at the reply deadline). Prints p50/p99 and the ratio.
 * Target: slash p99 ≤ 50 ms and ≤ 3× the bare route.
 *
 *   npm run bench:mattermost        (BENCH_ROUNDS, default 10)
 */
import { fileURLToPath } from 'node:url';
import { serveHarness, slashForm, startServer } from './harness-server.ts';
import { percentile, TimedPoster } from './http-timing.ts';
import { readBody, sendJson } from '../src/server/body.ts';
import type { Route } from '../src/server/http.ts';
import { startHarness } from '../test/fakes/mattermost/harness.ts';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 10);
const concurrency = 100;

const bare: Route = {
  methods: ['POST'],
  path: '/bench/bare',
  handle: async (req, res) => {
    await readBody(req, 64 * 1024);
    sendJson(res, 200, { ok: true });
  },
};

const poster = new TimedPoster(concurrency, {
  'content-type': 'application/x-www-form-urlencoded',
});

async function batch(url: string, body: () => string): Promise<number[]> {
  return Promise.all(Array.from({ length: concurrency }, () => poster.post(url, body())));
}

/**
 * The server runs in a child process started like the bot (bench/bot-process.ts), as
 * `pes serve` runs apart from Mattermost: the client's
 * 100 sockets do not compete with the server for one event loop (the machine has 2 cores).
 */
if (process.argv[2] === '--server') {
  const h = await startHarness({ extraRoutes: [bare], noStart: true });
  serveHarness(h);
} else {
  await runClient();
}

async function runClient(): Promise<void> {
  const server = await startServer(fileURLToPath(import.meta.url));
  const { info } = server;
  const form = (text: string): string => slashForm(info, text);

  const slashUrl = `${info.base}/mattermost/command`;
  const bareUrl = `${info.base}/bench/bare`;
  // Warm-up: JIT, connection pool, SQLite statements.
  await batch(bareUrl, () => form('echo warm'));
  await batch(slashUrl, () => form('echo warm'));

  const slash: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternating which goes first, so neither always runs on a warmer process.
    const runBare = async (): Promise<void> =>
      void plain.push(...(await batch(bareUrl, () => form('echo hi'))));
    const runSlash = async (): Promise<void> =>
      void slash.push(...(await batch(slashUrl, () => form(`echo round ${round}`))));
    if (round % 2 === 0) {
      await runBare();
      await runSlash();
    } else {
      await runSlash();
      await runBare();
    }
  }
  const slow = await batch(slashUrl, () => form('nap'));

  const stats = (label: string, samples: number[]): { p50: number; p99: number } => {
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `${label.padEnd(34)} n=${String(samples.length).padStart(5)}  p50 ${p50.toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms`,
    );
    return { p50, p99 };
  };
  console.log(
    `${concurrency} concurrent requests per batch, ${rounds} rounds, Node ${process.versions.node}`,
  );
  const b = stats('bare 200 route', plain);
  const s = stats('slash, quick command (result)', slash);
  stats('slash, slow command (ack)', slow);
  const ratio = s.p99 / b.p99;
  console.log(
    `slash/bare p99 ratio ${ratio.toFixed(2)}×  target: p99 ≤ 50 ms and ≤ 3×  → ${s.p99 <= 50 && ratio <= 3 ? 'met' : 'NOT met'}`,
  );
  poster.close();
  server.stop();
}
