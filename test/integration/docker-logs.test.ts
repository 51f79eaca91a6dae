/**
 * `logs` against the real engine of scripts/test-env.sh: the platform verb, and the command
 * through the bot (redaction, attachment). Containers log with json-file, which the test bed
 * turns off by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type { HostConfig } from 'dockerode';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { readLogs, truncatedMark } from '../../src/platforms/docker/logs.ts';
import { createTestBot } from '../helpers/bot.ts';
import { service, testCatalog } from '../helpers/catalog.ts';
import { DockerTestBed } from '../helpers/docker.ts';

const admin = 'local:root';
const secret = 'hunter2-very-secret-token';
const jsonLog: HostConfig = { LogConfig: { Type: 'json-file', Config: {} } };

/** 300 lines on stdout, then (a second later, so the order is certain) 300 on stderr. */
const script = [
  'for i in $(seq 1 300); do echo out $i; done',
  'sleep 1',
  'for i in $(seq 1 300); do echo err $i >&2; done',
  'sleep 1',
  'echo "done token=$TOKEN"',
  'sleep 3600',
].join('; ');

async function expectUserError(promise: Promise<unknown>, code: string): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).code).toBe(code);
  return error as UserError;
}

describe('logs (real engine)', () => {
  let bed: DockerTestBed;
  let platform: DockerPlatform;
  let app: ServiceDefinition;

  const request = (extra: { lines?: number; since?: Date; container?: string } = {}) => ({
    lines: extra.lines ?? 100,
    since: extra.since,
    container: extra.container,
  });

  beforeAll(async () => {
    bed = new DockerTestBed();
    platform = new DockerPlatform(bed.connection);
    const project = bed.project('app');
    app = service('app', { containers: { compose: { project, service: 'app' } } });
    for (const number of [2, 1]) {
      await bed.createContainer({
        name: bed.containerName(`app-${number}`),
        compose: { project, service: 'app', number },
        cmd: ['sh', '-c', script],
        hostConfig: jsonLog,
        config: { Env: [`TOKEN=${secret}`] },
      });
    }
    // Both have written everything once the last line is in the log.
    await bed.waitFor('the containers to finish writing', async () => {
      const logs = await readLogs(bed.connection, app, request({ lines: 1 }));
      return logs.every((l) => l.text.startsWith('done')) ? true : undefined;
    });
  });

  afterAll(async () => {
    await bed?.cleanup();
  });

  it('returns exactly the last N lines of each container, stdout and stderr, in replica order', async () => {
    const logs = await platform.logs(app, request({ lines: 4 }));
    const expected = ['err 298', 'err 299', 'err 300', `done token=${secret}`].join('\n');
    expect(logs).toEqual([
      { container: bed.containerName('app-1'), text: expected },
      { container: bed.containerName('app-2'), text: expected },
    ]);
  });

  it('returns both streams across their boundary, in the order they were written', async () => {
    const [first] = await platform.logs(app, request({ lines: 303, container: '1' }));
    const lines = first?.text.split('\n') ?? [];
    expect(lines).toHaveLength(303);
    expect(lines.slice(0, 3)).toEqual(['out 299', 'out 300', 'err 1']);
  });

  it('reads one container by replica number or by name, and refuses an unknown one', async () => {
    const byNumber = await platform.logs(app, request({ lines: 1, container: '2' }));
    expect(byNumber.map((l) => l.container)).toEqual([bed.containerName('app-2')]);
    const byName = await platform.logs(
      app,
      request({ lines: 1, container: bed.containerName('app-1') }),
    );
    expect(byName.map((l) => l.container)).toEqual([bed.containerName('app-1')]);

    const error = await expectUserError(
      platform.logs(app, request({ container: '7' })),
      'unknown-container',
    );
    expect(error.hint('en')).toBe(
      `Its containers: 1 (${bed.containerName('app-1')}), 2 (${bed.containerName('app-2')})`,
    );
  });

  it('honours --since: nothing older than the given time', async () => {
    const logs = await platform.logs(app, request({ since: new Date(Date.now() + 60_000) }));
    expect(logs.map((l) => l.text)).toEqual(['', '']);
  });

  it('reads a TTY container, whose log is not multiplexed, as raw text', async () => {
    const project = bed.project('tty');
    await bed.createContainer({
      compose: { project, service: 'tty' },
      cmd: ['sh', '-c', 'echo one; echo two >&2; echo \'{"a":1}\'; sleep 3600'],
      hostConfig: jsonLog,
      config: { Tty: true },
    });
    const tty = service('tty', { containers: { compose: { project, service: 'tty' } } });
    const text = await bed.waitFor('the TTY container to log', async () => {
      const [logs] = await platform.logs(tty, request());
      return logs?.text.includes('{"a":1}') === true ? logs.text : undefined;
    });
    // A TTY turns \n into \r\n; the single JSON line stays text.
    expect(text).toBe('one\ntwo\n{"a":1}');
  });

  it('keeps only the newest bytes of a log that is larger than the limit', async () => {
    const logs = await readLogs(
      bed.connection,
      app,
      request({ lines: 400, container: '1' }),
      undefined,
      100,
    );
    const text = logs[0]?.text ?? '';
    const [mark, ...rest] = text.split('\n');
    expect(mark).toBe(truncatedMark);
    expect(rest.at(-1)).toBe(`done token=${secret}`);
    expect(Buffer.byteLength(rest.join('\n'))).toBeLessThanOrEqual(100);
  });

  it('refuses a service whose containers are gone, and a container that keeps no log', async () => {
    const ghost = service('ghost', {
      containers: { compose: { project: bed.project('ghost'), service: 'ghost' } },
    });
    await expectUserError(platform.logs(ghost, request()), 'service-vanished');

    const project = bed.project('nolog');
    await bed.createContainer({ compose: { project, service: 'nolog' } });
    const nolog = service('nolog', { containers: { compose: { project, service: 'nolog' } } });
    await expectUserError(platform.logs(nolog, request()), 'logs-unavailable');
  });

  describe('through the bot', () => {
    const bot = () =>
      createTestBot({
        platform,
        catalog: testCatalog({
          services: new Map([
            ['app', app],
            ['ghost', service('ghost', { containers: { names: [bed.containerName('nobody')] } })],
          ]),
          secrets: [secret],
        }),
      });

    it('redacts a configured secret that a container prints', async () => {
      const outcome = await bot().run(admin, 'logs app --lines 2');
      expect(outcome.status).toBe('ok');
      const content = outcome.message.code?.content ?? '';
      expect(content).toBe(
        [
          `── ${bed.containerName('app-1')} ──`,
          'err 300',
          'done token=[redacted]',
          `── ${bed.containerName('app-2')} ──`,
          'err 300',
          'done token=[redacted]',
        ].join('\n'),
      );
      expect(JSON.stringify(outcome)).not.toContain(secret);
    });

    it('attaches a long output as a file, redacted too', async () => {
      const outcome = await bot().run(admin, 'logs app --lines 600 --container 1');
      expect(outcome.status).toBe('ok');
      expect(outcome.message.code).toBeUndefined();
      const [file] = outcome.message.files ?? [];
      expect(file?.name).toBe('app-logs.txt');
      const lines = file?.content.trimEnd().split('\n') ?? [];
      expect(lines).toHaveLength(601);
      // 601 lines in the log (300 + 300 + 1): the oldest one is left out.
      expect(lines.slice(0, 2)).toEqual([`── ${bed.containerName('app-1')} ──`, 'out 2']);
      expect(lines.at(-1)).toBe('done token=[redacted]');
      expect(outcome.message.text).toContain('attached as app-logs.txt');
      expect(JSON.stringify(outcome)).not.toContain(secret);
    });

    it('answers an unknown service and a vanished one with one line each', async () => {
      const t = bot();
      const unknown = await t.run(admin, 'logs nosuch');
      expect(unknown.errorCode).toBe('unknown-service');
      const vanished = await t.run(admin, 'logs ghost');
      expect(vanished.errorCode).toBe('service-vanished');
      expect(vanished.message.text?.split('\n')[0]).toBe(
        'Service ghost has no containers; nothing was changed.',
      );
    });
  });
});
