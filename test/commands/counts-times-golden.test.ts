/**
 * Golden files for the texts that carry a count or a time, in both languages: words agree
 * with their numbers (1, 2–4, 5–20, 21…), every time is in the configured zone and names it,
 * and an answer fits the question (`jobs --active`, a busy service, a silence's duration).
 */
import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/alerts/digest.ts';
import { renderAlertGroup } from '../../src/alerts/render.ts';
import type { ContainerStatus, Platform, ServiceStatus } from '../../src/core/platform.ts';
import type { Message } from '../../src/core/message.ts';
import { payloadOf } from '../alerts/fixtures.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';

const admin = 'local:root';
const counts = [1, 2, 5, 21];

function container(n: number, running: boolean): ContainerStatus {
  return {
    name: `pes-moodle-${n}`,
    id: String(n).padEnd(64, '0'),
    state: running ? 'running' : 'exited',
    health: 'none',
    image: 'moodle',
    tag: '4.5',
    startedAt: new Date(0),
    restartCount: 0,
  };
}

/** A service of `total` containers, `running` of them running; scale plans to 0 and to the same. */
function platformOf(running: number, total: number): Platform {
  const containers = Array.from({ length: total }, (_, i) => container(i + 1, i < running));
  const status: ServiceStatus = {
    service: 'moodle',
    state: running === total ? 'up' : running === 0 ? 'down' : 'degraded',
    containers,
  };
  return {
    ...fakePlatform({ moodle: status }),
    planScale: (_service, replicas) =>
      Promise.resolve({
        service: 'moodle',
        before: total,
        after: replicas,
        create: [],
        remove: replicas === 0 ? containers.map((c) => c.name) : [],
      }),
  };
}

function show(message: Message): string {
  return [
    message.title,
    message.text,
    ...(message.fields ?? []).map((f) => `${f.label}: ${f.value}`),
  ]
    .filter((line) => line !== undefined && line !== '')
    .join('\n');
}

async function transcript(locale: 'ru' | 'en'): Promise<string> {
  const out: string[] = [];
  const section = (title: string): number => out.push(`\n## ${title}`);
  const base = testCatalog();
  const moodle = base.services.get('moodle');
  if (moodle === undefined) throw new Error('no moodle');
  const catalog = {
    ...base,
    timeZone: 'Europe/Moscow',
    services: new Map([['moodle', { ...moodle, scale: { min: 0, max: 30 } }]]),
  };

  section('status: running of total');
  for (const [running, total] of [
    [1, 1],
    [0, 1],
    [1, 2],
    [2, 3],
    [5, 5],
    [21, 21],
    [1, 21],
  ] as const) {
    const t = createTestBot({ catalog, platform: platformOf(running, total) });
    const outcome = await t.run(admin, 'status moodle', { locale });
    out.push(outcome.message.text ?? '');
  }

  section('scale: already, and to 0 (the confirmation)');
  for (const total of counts) {
    const t = createTestBot({ catalog, platform: platformOf(total, total) });
    out.push((await t.run(admin, `scale moodle ${total}`, { locale })).message.text ?? '');
    const toZero = await t.run(admin, 'scale moodle 0', { locale });
    out.push((toZero.message.text ?? '').split('\n').find((l) => l.includes('moodle')) ?? '');
  }

  section('audit verify');
  for (const n of [2, 3, 6, 22]) {
    const t = createTestBot({ catalog });
    for (let i = 1; i < n; i++) await t.run(admin, 'whoami', { locale });
    out.push((await t.run(admin, 'audit verify', { locale })).message.text ?? '');
  }

  section('jobs: none, none running, and the time of a job');
  const t = createTestBot({ catalog, now: () => new Date('2026-12-06T00:14:09Z') });
  out.push((await t.run(admin, 'jobs', { locale })).message.text ?? '');
  out.push((await t.run(admin, 'jobs --active', { locale })).message.text ?? '');
  const touch = t.run(admin, 'touch moodle', { locale });
  const busy = await t.run(admin, 'touch moodle', { locale });
  out.push(`${busy.message.text ?? ''} (private: ${String(busy.private)})`);
  t.release();
  const done = await touch;
  const job = await t.run(admin, `job ${done.jobId ?? 0}`, { locale });
  out.push(show(job.message));

  section('alerts: storm, firing and resolved, left out');
  for (const n of counts) {
    const groups = Array.from({ length: n }, (_, i) => ({
      payload: payloadOf(`g${i}`, [{ labels: { alertname: `A${i}`, severity: 'warning' } }]),
      thread: { id: i + 1, ackedBy: undefined },
      runbooks: [],
    }));
    out.push(renderDigest(groups, { locale, silenceButtons: false }).head.title ?? '');
  }
  for (const [firing, resolved] of [
    [1, 1],
    [2, 5],
    [21, 22],
  ] as const) {
    const alerts = [
      ...Array.from({ length: firing }, (_, i) => ({ labels: { alertname: 'Disk', i: `f${i}` } })),
      ...Array.from({ length: resolved }, (_, i) => ({
        labels: { alertname: 'Disk', i: `r${i}` },
        status: 'resolved' as const,
      })),
    ];
    const text = renderAlertGroup(payloadOf('g', alerts), { locale }).text ?? '';
    out.push(text.split('\n')[0] ?? '');
  }
  for (const n of counts) {
    const payload = { ...payloadOf('g', [{ labels: { alertname: 'Disk' } }]), truncatedAlerts: n };
    const text = renderAlertGroup(payload, { locale }).text ?? '';
    out.push(text.split('\n').find((l) => l.startsWith('Alertmanager')) ?? '');
  }
  const silenced = renderAlertGroup(payloadOf('g', [{ labels: { alertname: 'Disk' } }]), {
    locale,
    silenced: { until: '2026-12-06 04:14 GMT+3', by: 'oleg' },
  });
  out.push((silenced.text ?? '').split('\n').find((l) => l.includes('🔕')) ?? '');
  return `${out.join('\n').trim()}\n`;
}

describe('counts and times, golden', () => {
  for (const locale of ['ru', 'en'] as const) {
    it(`reads right in ${locale}`, async () => {
      await expect(await transcript(locale)).toMatchFileSnapshot(
        `./golden/counts-times.${locale}.txt`,
      );
    });
  }
});
