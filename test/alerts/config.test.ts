/** The `alerts:` section through the real loader: secrets resolved and redacted, bad input named. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from '../config/temp-config.ts';

const channel = 'c'.repeat(26);

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const cwd = makeTempDir({ 'pes.yaml': yaml });
  return () => loadConfig({ flag: 'pes.yaml', env, cwd, username: 'tester' });
}

describe('alerts config', () => {
  it('resolves the token and puts it on the redaction list', () => {
    const config = load(
      [
        'alerts:',
        "  token: '${PES_ALERTS_TOKEN}'",
        `  defaultRoom: mattermost:${channel}`,
        '  alertmanagerUrl: http://127.0.0.1:9093/',
        '',
      ].join('\n'),
      { PES_ALERTS_TOKEN: 'sekret-alert-token' },
    )();
    expect(config.alerts?.credentials).toEqual({ kind: 'bearer', token: 'sekret-alert-token' });
    expect(config.alerts?.alertmanagerUrl).toBe('http://127.0.0.1:9093');
    expect(config.alerts?.path).toBe('/alertmanager');
    expect(config.catalog.secrets).toContain('sekret-alert-token');
  });

  it('refuses a plain-text token and a malformed room, and takes a Matrix room', () => {
    const plain = catchUserError(
      load(`alerts:\n  token: plain\n  defaultRoom: mattermost:${channel}\n`),
    );
    expect(problemsOf(plain).join(' ')).toContain('secret');
    const matrix = load("alerts:\n  token: '${T}'\n  defaultRoom: 'matrix:!room:example.org'\n", {
      T: 'sekret-alert-token',
    });
    expect(matrix().alerts?.defaultRoom).toBe('matrix:!room:example.org');
    const bad = catchUserError(load("alerts:\n  token: '${T}'\n  defaultRoom: 'matrix:#ops'\n"));
    expect(problemsOf(bad).join(' ')).toContain('or matrix:!room:server');
  });
});
