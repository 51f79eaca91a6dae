/**
 * A rollback reads as a rollback (its result and its failures), and an update's result does
 * not call the image it just pulled "to be pulled".
 */
import { describe, expect, it } from 'vitest';
import { admin, createBed, invoke } from './bed.ts';
import { goldenPlatform } from './platform.ts';

describe('the words of update and rollback', () => {
  it('a rollback that fails and is put back names the rollback, not an update', async () => {
    const platform = goldenPlatform();
    platform.failUpdate = true;
    const bed = createBed(platform);
    const run = await invoke(bed, admin, 'rollback moodle', 'ru', { preconfirmed: true });
    expect(run.outcome.errorCode).toBe('rollback-rolled-back');
    expect(run.outcome.message.text).toMatch(/^Откат moodle не удался/);
    expect(run.outcome.message.text).not.toMatch(/Обновление/);
  });

  it('an update that fails keeps its own words', async () => {
    const platform = goldenPlatform();
    platform.failUpdate = true;
    const bed = createBed(platform);
    const run = await invoke(bed, admin, 'update moodle 4.6', 'en', { preconfirmed: true });
    expect(run.outcome.errorCode).toBe('update-rolled-back');
  });

  it('each container of a finished rollback is put back, not updated', async () => {
    const bed = createBed(goldenPlatform());
    const run = await invoke(bed, admin, 'rollback moodle', 'en', { preconfirmed: true });
    const values = run.outcome.message.fields?.map((f) => f.value) ?? [];
    expect(values).toHaveLength(2);
    for (const value of values) {
      expect(value).toContain('· put back ·');
      expect(value).not.toContain('updated');
    }
  });

  it('a finished update names the pulled image without "to be pulled"', async () => {
    const bed = createBed(goldenPlatform());
    const run = await invoke(bed, admin, 'update moodle 4.6', 'ru', { preconfirmed: true });
    const values = run.outcome.message.fields?.map((f) => f.value) ?? [];
    expect(values[0]).toBe('moodle:4.5 (555555555555) → moodle:4.6 · обновлён · здоров · 4,2 с');
  });
});
