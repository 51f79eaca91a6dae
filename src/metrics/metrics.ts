/**
 * The metrics of `pes serve`, in one prom-client registry of its own: Node's process
 * metrics, the core's commands and jobs, and what is read from the state store at scrape
 * time. Every name has the `pes_` prefix and base units (seconds, bytes); counters end in
 * `_total` (Prometheus' naming practices).
 */
import type { DatabaseSync } from 'node:sqlite';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AlertCounters } from '../alerts/counters.ts';
import type { Catalog } from '../core/catalog.ts';
import { registerBackupGauges } from './backup-gauges.ts';
import { PromBotMetrics } from './bot-metrics.ts';
import {
  registerAlertCounters,
  registerBuildInfo,
  registerConnections,
  registerScheduleIntervals,
} from './process-gauges.ts';
import { registerStoreGauges } from './store-gauges.ts';

export const metricsPrefix = 'pes_';

/** What the scrape reads besides the counters the core feeds. */
export interface MetricsSources {
  readonly db: DatabaseSync;
  readonly catalog: Catalog;
  /** The alert path's counters, when alerts are configured. */
  readonly alerts?: AlertCounters;
  /** Per messenger (`mattermost`, `matrix`): whether its live connection is up. */
  readonly connections: Readonly<Record<string, () => boolean>>;
  readonly now?: () => Date;
}

export class Metrics {
  readonly registry = new Registry();
  /** For the core (BotDeps.metrics): commands and jobs. */
  readonly bot: PromBotMetrics;

  constructor(version: string) {
    collectDefaultMetrics({ register: this.registry, prefix: metricsPrefix });
    // Gauges named like counters (sums of the labelled gauges beside them, which remain):
    // `_total` is for counters only.
    for (const name of ['active_resources', 'active_handles', 'active_requests']) {
      this.registry.removeSingleMetric(`${metricsPrefix}nodejs_${name}_total`);
    }
    registerBuildInfo(this.registry, version);
    this.bot = new PromBotMetrics(this.registry);
  }

  /** Adds the figures read at scrape time; once, when the state and adapters exist. */
  attach(sources: MetricsSources): void {
    registerStoreGauges(this.registry, sources.db, Object.keys(sources.connections));
    registerBackupGauges(this.registry, sources.db);
    registerConnections(this.registry, sources.connections);
    if (sources.alerts !== undefined) registerAlertCounters(this.registry, sources.alerts);
    registerScheduleIntervals(this.registry, sources.catalog, sources.now?.() ?? new Date());
  }
}
