/**
 * /metrics under load, on a state database that has been in use: 10,000 finished jobs,
 * 1,000 alert groups (stored notifications, their threads and posts) and a backup ledger of
 * 20 services with 3 sources and 30 drilled backups each.
 *
 * 1. Scrape time: BENCH_SCRAPES (default 300) scrapes one after another from this process to
 *    the server (a child process started like the bot, bench/bot-process.ts), through HTTP
 *    with the bearer token, as Prometheus scrapes. Target: p99 ≤ 20 ms. Each scrape is
 *    followed by a GET /healthz made the same way: that baseline is the round trip with
 *    nothing to write, under the same load, so a reader can tell the machine from the bot.
 *    The five slowest collectors (median time of each metric's own read) are printed too.
 * 2. The slash-command benchmark (bench/mattermost-ack.ts: batches of 100 concurrent
 *    `/pes echo` requests) run BENCH_ROUNDS times (default 10) without and with a scrape
 *    every second, alternating which goes first. Target: the slash p99 with scrapes at most
 *    10 % above the p99 without (the baseline).
 *
 * The load average is printed at the start and at the end, and a summary puts each target,
 * its baseline and the bot's figure on one line. On a machine others keep busy the figures
 * hold their waits for a core: judge them with the load beside them.
 *
 *   npm run bench:metrics
 */
import { request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DatabaseSync } from 'node:sqlite';
import { serveHarness, slashForm, startServer } from './harness-server.ts';
import { percentile, TimedPoster } from './http-timing.ts';
import { AlertCounters } from '../src/alerts/counters.ts';
import { Metrics } from '../src/metrics/metrics.ts';
import { sendJson } from '../src/server/body.ts';
import type { Route } from '../src/server/http.ts';
import { metricsRoute } from '../src/server/metrics-route.ts';
import { SqliteAlertInbox, SqliteAlertThreads } from '../src/store/alerts-repo.ts';
import { SqliteBackupLedger } from '../src/store/backup-repo.ts';
import { SqliteJobStore } from '../src/store/jobs-repo.ts';
import { SqliteOutboxStore } from '../src/store/outbox-repo.ts';
import { startHarness } from '../test/fakes/mattermost/harness.ts';

const scrapes = Number(process.env['BENCH_SCRAPES'] ?? 300);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 10);
const concurrency = 100;
const token = 'bench-metrics-token-0123456789';

/** What a bot that has run for months keeps (retention prunes older rows). */
function seed(db: DatabaseSync, room: string): void {
  const jobs = new SqliteJobStore(db);
  for (let i = 0; i < 10_000; i++) {
    const job = jobs.create({
      command: ['restart', 'update', 'backup', 'scale'][i % 4] ?? 'restart',
      text: `restart service-${i % 20}`,
      actor: 'mattermost:bench',
      room,
      service: `service-${i % 20}`,
      lockKey: undefined,
    });
    if ('holder' in job) throw new Error('unexpected lock');
    jobs.transition(job.id, 'running');
    jobs.transition(job.id, i % 10 === 0 ? 'failed' : 'succeeded', 'done');
  }
  const inbox = new SqliteAlertInbox(db);
  const threads = new SqliteAlertThreads(db);
  const outbox = new SqliteOutboxStore(db);
  inbox.addMany(
    Array.from({ length: 1000 }, (_, g) => ({
      digest: `digest-${g}`,
      groupKey: `{}:{alertname="Bench${g}"}`,
      payload: JSON.stringify({ groupKey: `{}:{alertname="Bench${g}"}`, status: 'firing' }),
    })),
  );
  for (let g = 0; g < 1000; g++) {
    const key = `alert-root-${g}`;
    threads.add({ room, groupKey: `{}:{alertname="Bench${g}"}`, rootKey: key, inDigest: false });
    const item = outbox.enqueue({ key, room, kind: 'post', payload: '{"message":"alert"}' });
    outbox.markSent(item.id, `post${g}`);
  }
  const ledger = new SqliteBackupLedger(db);
  const t0 = Date.parse('2026-09-01T03:00:00Z');
  for (let s = 0; s < 20; s++) {
    const service = `service-${s}`;
    for (let day = 0; day < 30; day++) {
      const job = `${service}-${day}`;
      const at = t0 + day * 86_400_000;
      ledger.startRun({ job, jobId: undefined, service, at: new Date(at) });
      for (const [i, source] of ['volume:data', 'volume:files', 'postgres:main'].entries()) {
        const snapshotId = `${job}-${i}`;
        ledger.recordManifest({
          snapshotId,
          service,
          source,
          job,
          bytes: 1_000_000 * (i + 1),
          sha256: 'x',
          files: undefined,
          createdAt: new Date(at + (i + 1) * 60_000),
        });
        ledger.recordVerification(snapshotId, true, undefined, new Date(at + 7_200_000));
      }
      ledger.completeRun(job, new Date(at + 240_000));
    }
  }
}

if (process.argv[2] === '--server') {
  const metrics = new Metrics('bench');
  // The time prom-client takes to write the exposition in the server, without the network
  // and the client: on a loaded machine the HTTP figure also holds the waits for a core.
  // With `?write=1` a row is written (untimed) before each, as a busy bot writes between
  // scrapes, so the figures kept until the database changes are read anew every time.
  const touch = (): void => {
    h.db.prepare("UPDATE backup_runs SET detail = 'bench' WHERE rowid = 1").run();
  };
  const render: Route = {
    methods: ['GET'],
    path: '/bench/render',
    handle: async (req, res) => {
      const write = new URL(req.url ?? '/', 'http://localhost').searchParams.has('write');
      const times: number[] = [];
      for (let i = 0; i < scrapes; i++) {
        if (write) touch();
        const started = performance.now();
        await metrics.registry.metrics();
        times.push(performance.now() - started);
      }
      sendJson(res, 200, times);
    },
  };
  // Each collector's own time (what its collect() reads and how its values are gathered),
  // so that a slow scrape names its cause: the median of `scrapes` gets, per metric.
  const collectors: Route = {
    methods: ['GET'],
    path: '/bench/collectors',
    handle: async (_req, res) => {
      const times = new Map<string, number[]>();
      for (let i = 0; i < scrapes; i++) {
        for (const { name } of metrics.registry.getMetricsAsArray()) {
          const metric = metrics.registry.getSingleMetric(name);
          const started = performance.now();
          await metric?.get();
          const list = times.get(name) ?? [];
          list.push(performance.now() - started);
          times.set(name, list);
        }
      }
      const medians = [...times].map(([name, list]) => ({
        name,
        p50: percentile(
          list.sort((a, b) => a - b),
          50,
        ),
      }));
      sendJson(
        res,
        200,
        medians.sort((a, b) => b.p50 - a.p50),
      );
    },
  };
  const h = await startHarness({
    extraRoutes: [metricsRoute(token, metrics.registry), render, collectors],
    noStart: true,
  });
  seed(h.db, `mattermost:${h.ops.id}`);
  metrics.attach({
    db: h.db,
    catalog: h.bot.catalog,
    alerts: new AlertCounters(),
    connections: { mattermost: () => true },
  });
  serveHarness(h);
} else {
  await runClient();
}

/** One GET as Prometheus makes it (a new connection each time); its time in ms. */
function getOnce(url: string, bearer?: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const headers = bearer === undefined ? {} : { authorization: `Bearer ${bearer}` };
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
        else resolve({ ms: performance.now() - started, bytes });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A scrape: a GET with the bearer token. Functions, not constants: the client runs from the
 * top-level await above, before a constant below it would exist.
 */
function scrapeOnce(url: string): Promise<{ ms: number; bytes: number }> {
  return getOnce(url, token);
}

/** The 1, 5 and 15 minute load averages. */
function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

function stats(label: string, samples: readonly number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  console.log(
    `${label.padEnd(40)} n=${String(samples.length).padStart(5)}  p50 ${p50.toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms  max ${(sorted.at(-1) ?? NaN).toFixed(1).padStart(6)} ms`,
  );
  return { p50, p99 };
}

async function runClient(): Promise<void> {
  const server = await startServer(fileURLToPath(import.meta.url));
  const { info } = server;
  const metricsUrl = `${info.base}/metrics`;
  console.log(
    `state: 10,000 jobs, 1,000 alert groups, 20 services × 3 sources × 30 backups; Node ${process.versions.node}; ${availableParallelism()} cores`,
  );
  const loadAtStart = load();
  console.log(`load average at start (1 / 5 / 15 min): ${loadAtStart}`);

  // 1. Scrape time.
  const healthUrl = `${info.base}/healthz`;
  for (let i = 0; i < 20; i++) {
    await scrapeOnce(metricsUrl); // warm-up
    await getOnce(healthUrl);
  }
  const times: number[] = [];
  const health: number[] = [];
  let size = 0;
  for (let i = 0; i < scrapes; i++) {
    const { ms, bytes } = await scrapeOnce(metricsUrl);
    times.push(ms);
    size = bytes;
    health.push((await getOnce(healthUrl)).ms);
  }
  const rendered = (await (await fetch(`${info.base}/bench/render`)).json()) as number[];
  const renderedAfterWrites = (await (
    await fetch(`${info.base}/bench/render?write=1`)
  ).json()) as number[];
  const slowest = (
    (await (await fetch(`${info.base}/bench/collectors`)).json()) as { name: string; p50: number }[]
  ).slice(0, 5);
  console.log(
    `slowest collectors (median in the server): ${slowest.map((c) => `${c.name} ${c.p50.toFixed(2)} ms`).join(', ')}`,
  );
  const inServer = stats('exposition written in the server', rendered);
  const inServerWritten = stats('the same, a write before each', renderedAfterWrites);
  const baseline = stats('baseline: GET /healthz over HTTP', health);
  const scrape = stats(`scrape over HTTP (${Math.round(size / 1024)} KiB)`, times);

  // 2. The slash benchmark without and with a scrape every second.
  const poster = new TimedPoster(concurrency, {
    'content-type': 'application/x-www-form-urlencoded',
  });
  const form = (text: string): string => slashForm(info, text);
  const slashUrl = `${info.base}/mattermost/command`;
  const batch = (text: string): Promise<number[]> =>
    Promise.all(Array.from({ length: concurrency }, () => poster.post(slashUrl, form(text))));
  await batch('echo warm');
  await batch('echo warm');

  const quiet: number[] = [];
  const scraped: number[] = [];
  let scrapesDuring = 0;
  /** Runs slash batches for about `ms`, scraping every second when asked. */
  const phase = async (into: number[], withScrapes: boolean, round: number): Promise<void> => {
    let stop = false;
    const scraper = (async () => {
      while (withScrapes && !stop) {
        await scrapeOnce(metricsUrl);
        scrapesDuring++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    const until = performance.now() + 3000;
    while (performance.now() < until) into.push(...(await batch(`echo round ${round}`)));
    stop = true;
    await scraper;
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await phase(quiet, false, round);
      await phase(scraped, true, round);
    } else {
      await phase(scraped, true, round);
      await phase(quiet, false, round);
    }
  }
  const a = stats('slash, no scrapes', quiet);
  const b = stats(`slash, scraped every second (${scrapesDuring})`, scraped);
  const moved = (b.p99 / a.p99 - 1) * 100;
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log('');
  console.log(`summary (load average at start ${loadAtStart}, at the end ${load()}):`);
  console.log(
    `  scrape p99 over HTTP ${ms(scrape.p99)} (written in the server ${ms(inServer.p99)}, ${ms(inServerWritten.p99)} after a write); baseline GET /healthz p99 ${ms(baseline.p99)}; target ≤ 20 ms → ${met(scrape.p99 <= 20)} over HTTP, ${met(inServer.p99 <= 20)} in the server`,
  );
  console.log(
    `  slash p99 scraped every second ${ms(b.p99)}; baseline without scrapes ${ms(a.p99)}; moved ${moved >= 0 ? '+' : ''}${moved.toFixed(1)} %; target ≤ +10 % → ${met(moved <= 10)}`,
  );
  poster.close();
  server.stop();
}
