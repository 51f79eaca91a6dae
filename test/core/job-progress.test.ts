/**
 * A job's progress as people see it: it never goes backwards, a finished job shows 100 %,
 * and an automatic rollback reads as one, its share held where the work stopped.
 */
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../commands/change-texts.ts';
import { defineCommand } from '../../src/core/command.ts';
import type { CommandContext } from '../../src/core/context.ts';
import { localize } from '../../src/core/i18n.ts';
import type { StepEvent } from '../../src/core/platform.ts';
import { serviceArg } from '../../src/core/args.ts';
import { createTestBot } from '../helpers/bot.ts';

const admin = 'local:root';

/** Reports 0.2, 0.6, then 0.3 (a step that starts over), and ends without reaching 1. */
const wobble = defineCommand({
  name: 'wobble',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  run(ctx) {
    ctx.progress(0.2, 'a');
    ctx.progress(0.6, 'b');
    ctx.progress(0.3, 'c');
    return Promise.resolve({ message: { severity: 'success', text: 'done' } });
  },
});

describe('job progress', () => {
  it('never goes backwards, and a job that succeeded shows 100 %', async () => {
    const t = createTestBot({ extraCommands: [wobble] });
    const outcome = await t.run(admin, 'wobble moodle');
    expect(outcome.status).toBe('ok');
    expect(t.progress.map((p) => [p.fraction, p.text])).toEqual([
      [0.2, 'a'],
      [0.6, 'b'],
      [0.6, 'c'],
    ]);
    const job = t.jobs.get(outcome.jobId ?? 0);
    expect(job?.progress).toBe(1);
    // Its last step's note would read as still going.
    expect(job?.progressText).toBeUndefined();
    const listed = await t.run(admin, 'jobs');
    expect(listed.message.code?.content).toMatch(/succeeded\s+wobble\s+moodle\s+root\s+100 %/);
  });

  it('says a rollback after a failure is one, in both languages, holding the share', () => {
    for (const locale of ['en', 'ru'] as const) {
      const seen: [number, string][] = [];
      const ctx = {
        locale,
        t: (text, params) => localize(text, locale, params),
        progress: (fraction: number, text: string) => seen.push([fraction, text]),
      } as Pick<CommandContext, 'locale' | 't' | 'progress'> as CommandContext;
      const report = progressReporter(ctx);
      const steps: StepEvent[] = [
        { fraction: 0, container: 'app-1', phase: 'creating' },
        { fraction: 0.5, container: 'app-2', phase: 'waiting' },
        { fraction: 1, container: 'app-2', phase: 'failed' },
        { fraction: 0, container: 'app-1', phase: 'rolling-back' },
        { fraction: 1, container: 'app-1', phase: 'rolled-back' },
      ];
      steps.forEach(report);
      expect(seen.map(([f]) => f)).toEqual([0, 0.5, 0.5, 0.5, 0.5]);
      expect(seen.map(([, text]) => text)).toEqual(
        locale === 'en'
          ? [
              'app-1: creating',
              'app-2: waiting until healthy',
              'app-2: failed',
              '↩ rolling back after a failure: app-1: putting the old one back',
              '↩ rolling back after a failure: app-1: the old one is back',
            ]
          : [
              'app-1: создание',
              'app-2: ждём готовности',
              'app-2: сбой',
              '↩ откат после сбоя — app-1: возврат прежнего',
              '↩ откат после сбоя — app-1: прежний возвращён',
            ],
      );
    }
  });
});
