/**
 * deploy/: the systemd unit and the nginx example, checked by the real tools
 * (systemd-analyze verify, nginx -t; scripts/test-env.sh installs them) and by reading the
 * unit's keys for what the README promises of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.ts';

const unitPath = join(repoRoot, 'deploy/pes-bot.service');
const nginxPath = join(repoRoot, 'deploy/nginx-pes-bot.conf');

/** A tool the test environment installs: its absence fails the test, never skips it. */
function requireTool(name: string, args: readonly string[]): void {
  if (spawnSync(name, [...args], { stdio: 'ignore' }).error !== undefined) {
    throw new Error(
      `${name} is missing: run the tests through bash scripts/test-env.sh, which installs it.`,
    );
  }
}

/** systemd.syntax(7), as much as the unit uses: [Section], Key=Value, # comments. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      sections.set(header[1] ?? '', current);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (pair === null || current === undefined) throw new Error(`line ${index + 1}: ${raw}`);
    const key = pair[1] ?? '';
    current.set(key, [...(current.get(key) ?? []), pair[2] ?? '']);
  }
  return sections;
}

describe('deploy/pes-bot.service', () => {
  const unit = parseUnit(readFileSync(unitPath, 'utf8'));
  const service = unit.get('Service') ?? new Map<string, string[]>();
  const one = (key: string): string | undefined => service.get(key)?.at(-1);

  it('runs pes serve as its own user, in its state directory, restarted on failure, into the journal', () => {
    expect(one('User')).toBe('pes');
    expect(one('ExecStart')).toBe('/opt/pes-bot/pes serve');
    expect(one('StateDirectory')).toBe('pes-bot');
    expect(one('WorkingDirectory')).toBe('/var/lib/pes-bot');
    expect(service.get('Environment')).toContain('PES_CONFIG=/etc/pes-bot/pes.yaml');
    expect(one('Restart')).toBe('on-failure');
    expect(one('StandardOutput')).toBe('journal');
    expect(one('StandardError')).toBe('journal');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('is hardened, with write access to the state only, and may open the Docker socket', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')?.split(' ')).toContain('/var/lib/pes-bot');
    expect(one('SupplementaryGroups')).toBe('docker');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_UNIX AF_INET AF_INET6');
    // V8 writes machine code to memory it then runs: this option would stop Node at start.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it("gives the stop the bot's own grace time and its outbox flush before killing it", () => {
    const example = parse(readFileSync(join(repoRoot, 'config/pes.example.yaml'), 'utf8')) as {
      server?: { stopGraceSeconds?: number };
    };
    // The schema's default when the example leaves it out; serve.ts adds 10 s for the outbox.
    const grace = example.server?.stopGraceSeconds ?? 60;
    expect(Number(/^(\d+)s$/.exec(one('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThanOrEqual(
      grace + 10,
    );
    expect(one('KillMode')).toBe('mixed');
  });

  it('passes systemd-analyze verify with no warning', () => {
    requireTool('systemd-analyze', ['--version']);
    const dir = mkdtempSync(join(tmpdir(), 'pes-unit-'));
    // verify checks that ExecStart's program exists: the checkout stands in for /opt/pes-bot.
    const copy = join(dir, 'pes-bot.service');
    writeFileSync(copy, readFileSync(unitPath, 'utf8').replaceAll('/opt/pes-bot', repoRoot));
    const result = spawnSync('systemd-analyze', ['verify', copy], { cwd: dir, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('deploy/nginx-pes-bot.conf', () => {
  const text = readFileSync(nginxPath, 'utf8');

  it('passes nginx -t, with a certificate of its own in place of the example paths', () => {
    requireTool('nginx', ['-v']);
    requireTool('openssl', ['version']);
    const dir = mkdtempSync(join(tmpdir(), 'pes-nginx-'));
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=pes.example.org',
      ].concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { encoding: 'utf8' },
    );
    expect(made.status).toBe(0);
    writeFileSync(
      join(dir, 'site.conf'),
      text
        .replace('/etc/letsencrypt/live/pes.example.org/fullchain.pem', join(dir, 'cert.pem'))
        .replace('/etc/letsencrypt/live/pes.example.org/privkey.pem', join(dir, 'key.pem')),
    );
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        'http {',
        `  client_body_temp_path ${join(dir, 'body')};`,
        `  proxy_temp_path ${join(dir, 'proxy')};`,
        '  access_log off;',
        `  include ${join(dir, 'site.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const result = spawnSync(
      'nginx',
      ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toContain('test is successful');
    expect(result.stderr).not.toMatch(/\[warn\]|\[emerg\]/);
    expect(result.status).toBe(0);
  });

  it("passes on only /mattermost/ and /alertmanager, to the example's server address", () => {
    const example = parse(readFileSync(join(repoRoot, 'config/pes.example.yaml'), 'utf8')) as {
      server: { host: string; port: number };
    };
    const upstream = `http://${example.server.host}:${example.server.port}`;
    const passes = [...text.matchAll(/location ([^{]+)\{([^}]*)\}/g)].map((m) => [
      (m[1] ?? '').trim(),
      /proxy_pass (\S+);/.exec(m[2] ?? '')?.[1],
    ]);
    expect(passes).toEqual([
      ['/mattermost/', upstream],
      ['= /alertmanager', upstream],
      ['/', undefined],
    ]);
  });
});
