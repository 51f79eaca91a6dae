import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, makeRedactor, routeConsole } from '../../src/core/logger.ts';

let restore: (() => void) | undefined;

afterEach(() => {
  restore?.();
  restore = undefined;
});

function collect(): { lines: Record<string, unknown>[]; restore: () => void } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    redact: makeRedactor(['tok-secret-1234']),
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { lines, restore: routeConsole(log) };
}

describe('routeConsole', () => {
  it('turns every console call into a log line at its level, formatted as the console would', () => {
    const c = collect();
    restore = c.restore;
    console.log('websocket connecting to %s', 'ws://127.0.0.1/api/v4/websocket');
    console.info('info line');
    console.debug('debug line');
    console.warn('WebSocketClient has %d message listeners registered', 6);
    console.error(new Error('boom'));
    console.log({ type: 'error', message: 'ErrorEvent' });
    expect(c.lines.map((l) => [l['level'], l['method'], l['text']])).toEqual([
      ['debug', 'log', 'websocket connecting to ws://127.0.0.1/api/v4/websocket'],
      ['debug', 'info', 'info line'],
      ['debug', 'debug', 'debug line'],
      ['warn', 'warn', 'WebSocketClient has 6 message listeners registered'],
      ['error', 'error', expect.stringMatching(/^Error: boom\n\s+at /)],
      ['debug', 'log', "{ type: 'error', message: 'ErrorEvent' }"],
    ]);
    expect(c.lines.every((l) => l['msg'] === 'console')).toBe(true);
  });

  it('redacts secrets in what libraries print', () => {
    const c = collect();
    restore = c.restore;
    console.log('authentication_challenge', { token: 'tok-secret-1234' });
    expect(JSON.stringify(c.lines)).not.toContain('tok-secret-1234');
    expect(String(c.lines[0]?.['text'])).toContain('[redacted]');
  });

  it('puts the console back', () => {
    const before = console.log;
    const c = collect();
    expect(console.log).not.toBe(before);
    c.restore();
    expect(console.log).toBe(before);
    console.info('after restore');
    expect(c.lines).toEqual([]);
  });
});
