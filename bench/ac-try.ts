import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
// @ts-expect-error scratch
import autocannon from '/tmp/ac/node_modules/autocannon/autocannon.js';
const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bench/alerts.ts', '--server'], { stdio: ['pipe', 'pipe', 'inherit'] });
let base = '';
for await (const line of createInterface({ input: child.stdout })) { if (line.startsWith('{')) { base = JSON.parse(line).base; break; } }
let n = 0;
function body(): string {
  const g = n++;
  return JSON.stringify({ version: '4', groupKey: `{}:{alertname="B${g}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'pes',
    groupLabels: { alertname: `B${g}` }, commonLabels: { alertname: `B${g}`, severity: 'warning' }, commonAnnotations: { summary: 'x' }, externalURL: 'http://127.0.0.1:9093',
    alerts: Array.from({ length: 10 }, (_, i) => ({ status: 'firing', labels: { alertname: `B${g}`, severity: 'warning', instance: `host-${i}` }, annotations: { summary: `s ${i}` },
      startsAt: new Date(1_700_000_000_000 + g).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.example/graph', fingerprint: `${g}-${i}` })) });
}
async function run(path: string, amount: number) {
  const r = await autocannon({ url: base + path, connections: 50, amount, method: 'POST',
    headers: { authorization: 'Bearer ' + process.env.TOKEN, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: object) => ({ ...req, body: body() }) }] });
  console.log(path, 'rps', r.requests.average, 'p50', r.latency.p50, 'p99', r.latency.p99, 'non2xx', r.non2xx);
}
for (const p of ['/bench/bare', '/alertmanager', '/bench/bare', '/alertmanager', '/alertmanager', '/bench/bare']) await run(p, 5000);
child.stdin.end();
