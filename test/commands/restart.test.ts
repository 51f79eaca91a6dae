/** The `restart` command on a fake platform: texts, the plan of a dry run, the job. */
import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Platform, StepEvent } from '../../src/core/platform.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';

const admin = 'local:root';

function container(name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    name,
    id: name.padEnd(64, '0'),
    state: 'running',
    health: 'healthy',
    image: 'moodle',
    tag: '4.5',
    startedAt: new Date(0),
    restartCount: 0,
    ...extra,
  };
}

/** Restarts by reporting fixed steps; counts how often it was asked to. */
function restartPlatform(calls: string[]): Platform {
  const steps: readonly StepEvent[] = [
    { fraction: 0, container: 'pes-moodle-1', phase: 'stopping' },
    { fraction: 0.2, container: 'pes-moodle-1', phase: 'waiting' },
    { fraction: 0.5, container: 'pes-moodle-1', phase: 'healthy' },
  ];
  return {
    ...fakePlatform({
      moodle: {
        service: 'moodle',
        state: 'up',
        containers: [container('pes-moodle-1'), container('pes-moodle-2', { health: 'none' })],
      },
      keycloak: { service: 'keycloak', state: 'missing', containers: [] },
    }),
    restart: (service, onStep) => {
      calls.push(service.name);
      for (const step of steps) onStep(step);
      return Promise.resolve([
        { container: 'pes-moodle-1', action: 'restarted', health: 'healthy', durationMs: 2345 },
        { container: 'pes-moodle-2', action: 'restarted', health: 'running', durationMs: 2000 },
      ]);
    },
  };
}

describe('restart command', () => {
  it('runs as a job without confirmation, with localized progress and a field per container', async () => {
    const calls: string[] = [];
    const t = createTestBot({ platform: restartPlatform(calls) });
    const outcome = await t.run(admin, 'перезапуск moodle', { locale: 'ru' });

    expect(outcome.status).toBe('ok');
    expect(calls).toEqual(['moodle']);
    expect(t.jobs.get(outcome.jobId ?? 0)?.state).toBe('succeeded');
    expect(t.progress.map((p) => [p.fraction, p.text])).toEqual([
      [0, 'pes-moodle-1: остановка'],
      [0.2, 'pes-moodle-1: ждём готовности'],
      [0.5, 'pes-moodle-1: готов'],
    ]);
    expect(outcome.message.title).toBe('moodle перезапущен');
    expect(outcome.message.fields).toEqual([
      { label: 'pes-moodle-1', value: 'перезапущен · здоров · 2,3 с', short: true },
      {
        label: 'pes-moodle-2',
        value: 'перезапущен · работает (без проверки здоровья) · 2,0 с',
        short: true,
      },
    ]);
  });

  it('shows the plan for --dry-run and restarts nothing, with no job', async () => {
    const calls: string[] = [];
    const t = createTestBot({ platform: restartPlatform(calls) });
    const outcome = await t.run(admin, 'restart moodle --dry-run');

    expect(outcome.status).toBe('ok');
    expect(calls).toEqual([]);
    expect(outcome.jobId).toBeUndefined();
    expect(t.jobs.list({ limit: 5 })).toEqual([]);
    expect(outcome.message.title).toBe('Plan: restart moodle');
    expect(outcome.message.fields).toEqual([
      { label: '1. pes-moodle-1', value: 'running, healthy' },
      { label: '2. pes-moodle-2', value: 'running' },
    ]);
    expect(outcome.data).toEqual({
      service: 'moodle',
      dryRun: true,
      order: ['pes-moodle-1', 'pes-moodle-2'],
    });
  });

  it('refuses a dry run for a service with no containers', async () => {
    const t = createTestBot({ platform: restartPlatform([]) });
    const outcome = await t.run(admin, 'restart keycloak --dry-run');
    expect(outcome.errorCode).toBe('service-vanished');
    expect(outcome.message.text).toMatch(
      /^Service keycloak has no containers; nothing was changed\./,
    );
  });
});
