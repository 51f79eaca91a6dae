/** `jobs`: an answer that fits the question, and `--last N` read as the option's value. */
import { describe, expect, it } from 'vitest';
import { createTestBot } from '../helpers/bot.ts';

const admin = 'local:root';

function jobIds(data: unknown): number[] {
  return ((data as { jobs: { id: number }[] }).jobs ?? []).map((j) => j.id);
}

describe('jobs command', () => {
  it('says that no job is running for --active, not that there were none', async () => {
    const t = createTestBot();
    t.jobs.create({
      command: 'touch',
      text: 'touch moodle',
      actor: admin,
      room: 'r',
      service: undefined,
      lockKey: undefined,
    });
    const first = t.jobs.list({ limit: 1 })[0];
    if (first === undefined) throw new Error('no job');
    t.jobs.transition(first.id, 'running');
    t.jobs.transition(first.id, 'succeeded', 'done');
    const en = await t.run(admin, 'jobs --active');
    expect(en.message.text).toBe('No job is running now.');
    const ru = await t.run(admin, 'jobs --active', { locale: 'ru' });
    expect(ru.message.text).toBe('Сейчас ни одна задача не идёт.');
    const none = createTestBot();
    expect((await none.run(admin, 'jobs')).message.text).toBe('No jobs yet.');
  });

  it('takes the number after --last as its value, also when a phone typed the dashes as one', async () => {
    const t = createTestBot();
    for (let i = 0; i < 3; i++) {
      t.jobs.create({
        command: 'touch',
        text: `touch ${i}`,
        actor: admin,
        room: 'r',
        service: undefined,
        lockKey: undefined,
      });
    }
    for (const text of ['jobs --last 2', 'jobs —last 2', 'jobs –last 2', 'jobs —last=2']) {
      const outcome = await t.run(admin, text);
      expect(outcome.status, text).toBe('ok');
      expect(jobIds(outcome.data), text).toEqual([3, 2]);
    }
  });
});
