import { describe, expect, it } from 'vitest';
import {
  actionIdOf,
  confirmationCodeOf,
  isOutdatedContext,
  signActionContext,
  verifyActionContext,
} from '../../../src/chat/mattermost/action-context.ts';

const fields = {
  command: 'confirm 7F3K',
  code: '7F3K',
  channel: 'a'.repeat(26),
  root: '',
  title: 'x',
};

describe('button contexts', () => {
  it('verifies what it signed', () => {
    const context = signActionContext('k', fields);
    expect(verifyActionContext('k', JSON.parse(JSON.stringify(context)))).toEqual(context);
  });

  it('refuses any altered field, another key, and malformed values', () => {
    const context = signActionContext('k', fields);
    for (const change of [
      { command: 'decline 7F3K' },
      { code: '2222' },
      { channel: 'b'.repeat(26) },
      { root: 'r'.repeat(26) },
      { title: 'y' },
      { sig: context.sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
      { sig: 'short' },
      { v: 1 },
      { v: 3 },
    ]) {
      expect(verifyActionContext('k', { ...context, ...change })).toBeUndefined();
    }
    expect(verifyActionContext('other', context)).toBeUndefined();
    expect(verifyActionContext('k', null)).toBeUndefined();
    expect(verifyActionContext('k', 'confirm 7F3K')).toBeUndefined();
  });

  it('refuses a signed context whose code is not the command’s', () => {
    const context = signActionContext('k', { ...fields, code: '2222' });
    expect(verifyActionContext('k', context)).toBeUndefined();
  });

  it('tells an outdated context (ids that were positions) from a forged one', () => {
    const context = signActionContext('k', fields);
    expect(isOutdatedContext({ ...context, v: 1 })).toBe(true);
    expect(isOutdatedContext(context)).toBe(false);
    expect(isOutdatedContext({ v: '1' })).toBe(false);
    expect(isOutdatedContext(null)).toBe(false);
  });

  it('derives alphanumeric button ids from the command alone', () => {
    expect(actionIdOf('confirm 7F3K')).toBe(actionIdOf(' confirm 7F3K '));
    expect(actionIdOf('confirm 7F3K')).not.toBe(actionIdOf('decline 7F3K'));
    expect(actionIdOf('confirm 7F3K')).toMatch(/^confirm7F3K[0-9a-f]{16}$/);
    expect(actionIdOf('silence "a=b c" 1h --thread 7')).toMatch(/^[A-Za-z0-9]+$/);
    expect(actionIdOf('')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('finds the code of confirm and decline only', () => {
    expect(confirmationCodeOf('confirm 7f3k')).toBe('7F3K');
    expect(confirmationCodeOf('decline 7F3K')).toBe('7F3K');
    expect(confirmationCodeOf('silence alert 7F3K')).toBe('');
  });
});
