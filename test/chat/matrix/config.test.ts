/** The `matrix:` section of the configuration: secrets by reference, ids checked, redacted. */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { tempWorkdir } from '../../helpers/cli.ts';
import { catchUserError, problemsOf } from '../../config/temp-config.ts';

const section = `
matrix:
  homeserverUrl: https://matrix.example.org/
  userId: '@pes:example.org'
  accessToken: '\${MX_TOKEN}'
  deviceId: {file: device}
  allowedInviters: ['@anna:example.org']
  allowedRooms: ['!ops:example.org']
  rooms: ['!ops:example.org']
`;

const env = { MX_TOKEN: 'syt_cGVz_secret_token_1234' };

function load(yaml: string, extraEnv: Record<string, string> = env) {
  const w = tempWorkdir(yaml);
  writeFileSync(`${w.dir}/device`, 'PESDEVICE01\n');
  return loadConfig({ flag: w.config, env: extraEnv, cwd: w.dir, username: 'tester' });
}

describe('matrix configuration', () => {
  it('is off when absent', () => {
    expect(load('locale: en\n').matrix).toBeUndefined();
  });

  it('resolves the token and the device id by reference and redacts the token', () => {
    const config = load(section);
    expect(config.matrix).toEqual({
      homeserverUrl: 'https://matrix.example.org',
      userId: '@pes:example.org',
      accessToken: 'syt_cGVz_secret_token_1234',
      deviceId: 'PESDEVICE01',
      allowedInviters: ['@anna:example.org'],
      allowedRooms: ['!ops:example.org'],
      rooms: ['!ops:example.org'],
      cryptoPassphrase: undefined,
    });
    expect(config.catalog.secrets).toContain('syt_cGVz_secret_token_1234');
  });

  it('names a missing secret and refuses a token written in plain text', () => {
    expect(() => load(section, {})).toThrow(/matrix\.accessToken/);
    const plain = section.replace("'${MX_TOKEN}'", 'syt_plain_token');
    const problems = problemsOf(catchUserError(() => load(plain)));
    expect(problems).toEqual([
      expect.stringMatching(/^matrix\.accessToken: a secret must be written as/),
    ]);
    expect(problems.join(' ')).not.toContain('syt_plain_token');
  });

  it('explains malformed user and room ids', () => {
    const bad = section
      .replace("userId: '@pes:example.org'", 'userId: pes')
      .replace("rooms: ['!ops:example.org']", "rooms: ['#ops:example.org']");
    const problems = problemsOf(catchUserError(() => load(bad)));
    expect(problems).toContain('matrix.userId: expected a user id like @pes:example.org');
    expect(problems).toContain('matrix.rooms.0: expected a room id like !abc123:example.org');
  });
});
