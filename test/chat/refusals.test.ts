/** The refusals both chat front ends answer alike. */
import { describe, expect, it } from 'vitest';
import { decidedNothing, refusalOutcome, staleCommand } from '../../src/chat/refusals.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Outcome } from '../../src/core/outcome.ts';

describe('refusalOutcome', () => {
  it('is a warning with the error line and its hint, in the locale, with the kind exit code', () => {
    const error = new UserError('matrix-room-not-served');
    const ru = refusalOutcome(error, 'ru');
    expect(ru).toMatchObject({
      status: 'denied',
      exitCode: 3,
      errorCode: 'matrix-room-not-served',
    });
    expect(ru.message.severity).toBe('warning');
    expect(ru.message.text).toBe(`${error.text('ru')}\n${error.hint('ru') ?? ''}`);
    expect(refusalOutcome(error, 'en').message.text).toContain('does not take commands');
  });

  it('carries the error parameters and the exit code of a usage error', () => {
    const error = new UserError('matrix-command-too-old', { command: 'backup', minutes: 20 });
    const outcome = refusalOutcome(error, 'en');
    expect(outcome).toMatchObject({ status: 'usage', exitCode: 2 });
    expect(outcome.message.text).toContain('"backup"');
    expect(outcome.message.text).toContain('20 min');
  });
});

describe('decidedNothing', () => {
  const refused = (errorCode: Outcome['errorCode']): Outcome => ({
    status: 'denied',
    exitCode: 3,
    errorCode,
    message: { severity: 'warning', text: 'x' },
  });

  it('holds for a refused or stale decision', () => {
    expect(decidedNothing(refused('confirmation-expired'))).toBe(true);
    expect(decidedNothing(refused('not-permitted'))).toBe(true);
  });

  it('does not hold for a decision that ran, or a failure of the command itself', () => {
    const ok: Outcome = { status: 'ok', exitCode: 0, message: { severity: 'success', text: 'ok' } };
    expect(decidedNothing(ok)).toBe(false);
    expect(decidedNothing(refused('internal'))).toBe(false);
  });
});

describe('staleCommand', () => {
  const minute = 60_000;

  it('lets a command up to the limit run', () => {
    expect(staleCommand('status moodle', 15 * minute, 15 * minute)).toBeUndefined();
  });

  it('quotes an older command, cut at 100 characters, with its age in whole minutes', () => {
    const long = `echo ${'x'.repeat(200)}`;
    expect(staleCommand(long, 20.4 * minute, 15 * minute)).toEqual({
      command: long.slice(0, 100),
      minutes: 20,
    });
  });
});
