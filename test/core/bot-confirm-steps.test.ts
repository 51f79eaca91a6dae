import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dryRunOption, serviceArg } from '../../src/core/args.ts';
import { defineCommand } from '../../src/core/command.ts';
import { createTestBot } from '../helpers/bot.ts';

const admin = 'local:root';

function purgeCommand(done: string[]) {
  return defineCommand({
    name: 'purge',
    summary: { ru: 'тест', en: 'test' },
    args: [
      serviceArg,
      {
        name: 'items',
        description: { ru: 'x', en: 'x' },
        variadic: true,
        schema: z.array(z.string().regex(/^[a-z]+=[a-z0-9]+$/)),
      },
    ],
    options: [
      dryRunOption,
      {
        name: 'all',
        flags: '--all',
        description: { ru: 'x', en: 'x' },
        schema: z.boolean().optional(),
      },
    ],
    mutating: { lock: 'service' },
    describe: (_ctx, input) =>
      Promise.resolve(
        input.items.length === 0
          ? undefined
          : input.all === true
            ? [`remove ${input.items.join(',')}`, `and delete the data of ${input.service} forever`]
            : `remove ${input.items.join(',')}`,
      ),
    run: (_ctx, input) => {
      if (!input.dryRun) done.push(`${input.service}:${input.items.join(',')}`);
      return Promise.resolve({
        message: { severity: 'success', text: input.dryRun ? 'plan only' : 'purged' },
      });
    },
  });
}

describe('confirmation steps, dry runs and variadic arguments', () => {
  it('needs no confirmation when describe says none is needed', async () => {
    const done: string[] = [];
    const t = createTestBot({ extraCommands: [purgeCommand(done)] });
    const outcome = await t.run(admin, 'purge moodle');
    expect(outcome.status).toBe('ok');
    expect(done).toEqual(['moodle:']);
  });

  it('passes every remaining word to a variadic argument and validates each', async () => {
    const done: string[] = [];
    const t = createTestBot({ extraCommands: [purgeCommand(done)] });
    const pending = await t.run(admin, 'purge moodle a=1 b=2');
    expect(pending.message.text).toContain('remove a=1,b=2');
    const bad = await t.run(admin, 'purge moodle a=1 "x; id"');
    expect(bad.errorCode).toBe('invalid-argument');
    expect(bad.message.text).toContain('x; id');
  });

  it('asks a second, separate confirmation with its own code', async () => {
    const done: string[] = [];
    const t = createTestBot({ extraCommands: [purgeCommand(done)] });
    const first = await t.run(admin, 'purge moodle a=1 --all');
    const code1 = (first.data as { confirmation: string }).confirmation;
    expect(first.message.text).toContain('remove a=1');

    const second = await t.run(admin, `confirm ${code1}`);
    expect(second.status).toBe('pending');
    const code2 = (second.data as { confirmation: string }).confirmation;
    expect(code2).not.toBe(code1);
    expect(second.message.text).toContain('and delete the data of moodle forever');
    expect(done).toEqual([]);

    const third = await t.run(admin, `confirm ${code2}`);
    expect(third.status).toBe('ok');
    expect(done).toEqual(['moodle:a=1']);
  });

  it('asks every question on a prompt, and stops at the first no', async () => {
    const done: string[] = [];
    const t = createTestBot({ extraCommands: [purgeCommand(done)] });
    const asked: string[] = [];
    const outcome = await t.run(admin, 'purge moodle a=1 --all', {
      sink: {
        confirm: { kind: 'prompt', ask: (d) => (asked.push(d), Promise.resolve(asked.length < 2)) },
      },
    });
    expect(outcome.errorCode).toBe('confirmation-declined');
    expect(asked).toHaveLength(2);
    expect(done).toEqual([]);
  });

  it('runs a dry run without confirmation, job or lock', async () => {
    const done: string[] = [];
    const t = createTestBot({ extraCommands: [purgeCommand(done)] });
    const outcome = await t.run(admin, 'purge moodle a=1 --all --dry-run');
    expect(outcome.status).toBe('ok');
    expect(outcome.message.text).toBe('plan only');
    expect(outcome.jobId).toBeUndefined();
    expect(t.jobs.list({ limit: 10 })).toEqual([]);
    expect(done).toEqual([]);
  });
});
