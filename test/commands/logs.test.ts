/** The `logs` command on a fake platform: option parsing, and where the text ends up. */
import { describe, expect, it } from 'vitest';
import { maxInlineChars, maxSinceMs, parseSince } from '../../commands/logs.ts';
import { commands } from '../../commands/index.ts';
import { UserError } from '../../src/core/errors.ts';
import { parseCommand } from '../../src/core/parse.ts';
import type { ContainerLogs, LogsRequest, Platform } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';

const admin = 'local:root';

function parse(text: string): Readonly<Record<string, unknown>> {
  return parseCommand(new Registry(commands), testCatalog(), text.split(' '), 'en').input;
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error.code;
    throw error;
  }
  return undefined;
}

/** A platform whose logs answer with the given texts and remember each request. */
function logsPlatform(logs: readonly ContainerLogs[], requests: LogsRequest[] = []): Platform {
  return {
    ...fakePlatform({}),
    logs: (_service, request) => {
      requests.push(request);
      return Promise.resolve([...logs]);
    },
  };
}

describe('parseSince', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['30d', maxSinceMs],
    ['720h', maxSinceMs],
    ['2592000s', maxSinceMs],
  ])('reads %s', (text, ms) => {
    expect(parseSince(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '0m', '010m', '-5m', '1.5h', '10 m', ' 10m', '10M', '1w', '31d', '721h'])(
    'refuses "%s"',
    (text) => {
      expect(errorCode(() => parseSince(text))).toBe('invalid-duration');
    },
  );
});

describe('logs options', () => {
  it('defaults to 100 lines, every container, no time limit', () => {
    expect(parse('logs moodle')).toEqual({
      service: 'moodle',
      lines: 100,
      since: undefined,
      container: undefined,
    });
  });

  it('reads --lines, --since and --container, and the Russian alias', () => {
    expect(parse('логи moodle --lines 5000 --since 10m --container 2')).toEqual({
      service: 'moodle',
      lines: 5000,
      since: 600_000,
      container: '2',
    });
  });

  it('refuses lines out of range, a bad duration and a bad container name', () => {
    expect(errorCode(() => parse('logs moodle --lines 0'))).toBe('invalid-argument');
    expect(errorCode(() => parse('logs moodle --lines 5001'))).toBe('invalid-argument');
    expect(errorCode(() => parse('logs moodle --lines -3'))).toBe('invalid-argument');
    expect(errorCode(() => parse('logs moodle --since 40d'))).toBe('invalid-duration');
    expect(errorCode(() => parse('logs moodle --container ../x'))).toBe('invalid-argument');
    expect(errorCode(() => parse('logs nosuch'))).toBe('unknown-service');
  });
});

describe('logs command', () => {
  it('puts a short output in a code block, one section per container', async () => {
    const requests: LogsRequest[] = [];
    const t = createTestBot({
      platform: logsPlatform(
        [
          { container: 'pes-moodle-1', text: 'a\nb' },
          { container: 'pes-moodle-2', text: '' },
        ],
        requests,
      ),
    });
    const before = Date.now();
    const outcome = await t.run(admin, 'logs moodle --lines 2 --since 10m');

    expect(outcome.status).toBe('ok');
    expect(outcome.jobId).toBeUndefined();
    expect(outcome.message.code?.content).toBe(
      '── pes-moodle-1 ──\na\nb\n── pes-moodle-2 ──\n(empty)',
    );
    expect(outcome.message.files).toBeUndefined();
    expect(outcome.message.text).toBe(
      'The last lines of each container (up to 2) from the last 10m.',
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.lines).toBe(2);
    const since = requests[0]?.since?.getTime() ?? 0;
    expect(since).toBeGreaterThanOrEqual(before - 600_000);
    expect(since).toBeLessThanOrEqual(Date.now() - 600_000);
    // Read-only: no job, so nothing to lock.
    expect(t.jobs.list({ limit: 5 })).toEqual([]);
  });

  it('attaches a long output as a file, redacted like everything else', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i} s3cr3t-token-value`).join('\n');
    const t = createTestBot({
      platform: logsPlatform([{ container: 'pes-moodle-1', text: long }]),
    });
    const outcome = await t.run(admin, 'logs moodle', { locale: 'ru' });

    expect(outcome.message.code).toBeUndefined();
    const file = outcome.message.files?.[0];
    expect(file?.name).toBe('moodle-logs.txt');
    expect(file?.content).toContain('line 399 [redacted]');
    expect(file?.content).not.toContain('s3cr3t');
    expect(file?.content.length).toBeGreaterThan(maxInlineChars);
    expect(outcome.message.text).toMatch(/во вложении moodle-logs\.txt\.$/);
  });
});
