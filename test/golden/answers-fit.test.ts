/**
 * Answers that fit what they report: a service without containers is not "0 of 0", a log of
 * no containers says so, counts agree with their nouns, and container states are in the
 * reader's language.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../src/core/platform.ts';
import { admin, createBed, fixedNow, invoke } from './bed.ts';
import { goldenPlatform } from './platform.ts';

describe('answers that fit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: fixedNow, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a service without containers is not counted as 0 of 0', async () => {
    const run = await invoke(createBed(goldenPlatform()), admin, 'status keycloak', 'ru');
    expect(run.outcome.message.text).toBe('⚪ **keycloak** — контейнеров нет');
  });

  it('status names container states and health in Russian', async () => {
    const run = await invoke(createBed(goldenPlatform()), admin, 'status moodle', 'ru');
    const table = run.outcome.message.code?.content ?? '';
    expect(table).toMatch(/pes-moodle-1\s+работает\s+здоров/);
    expect(table).toMatch(/pes-moodle-2\s+остановлен/);
    expect(table).not.toMatch(/running|exited|healthy/);
  });

  it('the logs of a service without containers say so', async () => {
    const run = await invoke(createBed(goldenPlatform()), admin, 'logs keycloak', 'en');
    expect(run.outcome.message.code?.content).toBe('The service has no containers.');
  });

  it('a long log counts its characters with the noun agreeing (3521 символ)', async () => {
    const header = '── pes-moodle-1 ──\n';
    const platform: Platform = {
      ...goldenPlatform(),
      logs: () =>
        Promise.resolve([{ container: 'pes-moodle-1', text: 'x'.repeat(3521 - header.length) }]),
    };
    const run = await invoke(createBed(platform), admin, 'logs moodle', 'ru');
    expect(run.outcome.message.text).toContain('Вывод длинный (3521 символ) — он во вложении');
  });

  it('a restart of one container says one container, agreeing', async () => {
    const platform: Platform = {
      ...goldenPlatform(),
      restart: () =>
        Promise.resolve([
          { container: 'pes-moodle-1', action: 'restarted', health: 'healthy', durationMs: 10 },
        ]),
    };
    const ru = await invoke(createBed(platform), admin, 'restart moodle', 'ru');
    expect(ru.outcome.message.text).toBe('1 контейнер перезапущен и дождался готовности.');
    const en = await invoke(createBed(platform), admin, 'restart moodle', 'en');
    expect(en.outcome.message.text).toBe('1 container restarted and ready again.');
  });

  it('a backup with nothing to back up names --only only when it was given', async () => {
    const bed = createBed(goldenPlatform());
    const plain = await invoke(bed, admin, 'backup keycloak', 'en');
    expect(plain.outcome.message.text).toMatch(
      /^keycloak has nothing to back up; nothing was done\./,
    );
    const only = await invoke(bed, admin, 'backup keycloak --only volumes', 'en');
    expect(only.outcome.message.text).toMatch(
      /^keycloak has nothing to back up \(--only volumes\);/,
    );
  });
});

describe('a finished job', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: fixedNow, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows 100 % without the note of a step it has left behind', async () => {
    const bed = createBed(goldenPlatform());
    const done = await invoke(bed, admin, 'restart moodle', 'en');
    const shown = await invoke(bed, admin, `job ${done.outcome.jobId ?? 0}`, 'en');
    const progress = shown.outcome.message.fields?.find((f) => f.label === 'Progress');
    expect(progress?.value).toBe('100 %');
  });
});
