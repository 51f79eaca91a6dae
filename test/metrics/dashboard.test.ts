/**
 * deploy/grafana/pes-bot.json: every query names only metrics a running bot exposes (a real
 * `pes serve` scraped over HTTP), parses as PromQL (the real promtool), uses the data source
 * variable, and the dashboard shows what an operator looks for.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { repoRoot } from '../helpers/cli.ts';
import { exposedNames, metricNames } from './promql-names.ts';
import { scrapeRealBot } from './serve-scrape.ts';

interface Target {
  readonly expr: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly {
      name: string;
      type: string;
      query: unknown;
      datasource?: { uid?: string };
    }[];
  };
}

const dashboard = JSON.parse(
  readFileSync(join(repoRoot, 'deploy/grafana/pes-bot.json'), 'utf8'),
) as Dashboard;

const allPanels = (panels: readonly Panel[]): Panel[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels);
const queries = panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => {
    const q = v.query as string | { query: string };
    return { panel: `variable ${v.name}`, expr: typeof q === 'string' ? q : q.query };
  });

describe('the Grafana dashboard', () => {
  it('queries only metrics a running bot exposes', async () => {
    const exposed = exposedNames((await scrapeRealBot()).types);
    expect(queries.length).toBeGreaterThan(15);
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed, `${panel}: ${name}`).toContain(name);
    }
    // label_values(metric, label): the metric it reads.
    for (const { panel, expr } of variableQueries) {
      const metric = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,/.exec(expr)?.[1];
      expect(metric, panel).toBeDefined();
      expect(exposed, panel).toContain(metric);
    }
  }, 90_000);

  it('has queries that are valid PromQL (promtool, as recording rules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-dashboard-'));
    try {
      // Grafana's variables as Prometheus would receive them.
      const rules = queries.map(({ expr }, i) => ({
        record: `pes_dashboard:query_${i}`,
        expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'),
      }));
      writeFileSync(join(dir, 'q.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', 'q.yml'], {
        cwd: dir,
      });
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its data source from a variable', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable?.query).toBe('prometheus');
    const uid = `\${${variable?.name ?? ''}}`;
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(uid);
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
      expect(v.datasource?.uid, v.name).toBe(uid);
    }
  });

  it('shows commands, durations, jobs, backups, drills, outbox, connections, memory and lag', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'pes_commands_total',
      'pes_command_duration_seconds_bucket',
      'pes_job_duration_seconds_bucket',
      'pes_jobs',
      'pes_backup_last_success_timestamp_seconds',
      'pes_restore_drill_last_success_timestamp_seconds',
      'pes_outbox_items',
      'pes_outbox_failures_total',
      'pes_messenger_connected',
      'pes_process_resident_memory_bytes',
      'pes_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(all).toContain(metric);
    }
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
