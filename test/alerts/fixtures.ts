/**
 * Two real Alertmanager webhook payloads (one group firing, then resolved), kept in
 * ./fixtures/, and builders of our own.
 */
import { readFileSync } from 'node:fs';
import { webhookPayload, type WebhookPayload } from '../../src/alerts/payload.ts';

const fixturesDir = new URL('./fixtures/', import.meta.url);

/** The raw text of a real payload. */
export function rawFixture(name: 'firing' | 'resolved'): string {
  return readFileSync(new URL(`${name}.json`, fixturesDir), 'utf8');
}

export function fixture(name: 'firing' | 'resolved'): WebhookPayload {
  return webhookPayload.parse(JSON.parse(rawFixture(name)));
}

export interface AlertSpec {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly status?: 'firing' | 'resolved';
  readonly fingerprint?: string;
}

/** A version-4 payload of one group with the given alerts. */
export function payloadOf(
  groupKey: string,
  alerts: readonly AlertSpec[],
  status: 'firing' | 'resolved' = 'firing',
): WebhookPayload {
  const common = alerts[0]?.labels ?? {};
  return webhookPayload.parse({
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'pes',
    groupLabels: { alertname: common['alertname'] ?? 'Test' },
    commonLabels: common,
    commonAnnotations: alerts[0]?.annotations ?? {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: alerts.map((a, i) => ({
      status: a.status ?? status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: '2026-11-26T09:00:00Z',
      endsAt: a.status === 'resolved' ? '2026-11-26T09:05:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph?g0.expr=up',
      fingerprint: a.fingerprint ?? `fp${i}`,
    })),
  });
}
