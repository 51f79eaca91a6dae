/** The `mattermost:` section of the configuration: secrets by reference, resolved and redacted. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { UserError } from '../../../src/core/errors.ts';
import { tempWorkdir } from '../../helpers/cli.ts';

const section = `
mattermost:
  url: https://chat.example.org/
  botToken: '\${MM_BOT}'
  slashTokens: ['\${MM_SLASH_A}', {file: slash-b}]
  actionSecret: '\${MM_ACTION}'
  publicUrl: https://pes-bot.example.org
  teams: [tttttttttttttttttttttttttt]
  channels: [cccccccccccccccccccccccccc]
`;

const env = { MM_BOT: 'bot-token-1234', MM_SLASH_A: 'slash-a-5678', MM_ACTION: 'action-key-9999' };

function load(yaml: string, extraEnv: Record<string, string> = env) {
  const w = tempWorkdir(yaml);
  return loadConfig({ flag: w.config, env: extraEnv, cwd: w.dir, username: 'tester' });
}

describe('mattermost configuration', () => {
  it('is off when absent', () => {
    expect(load('locale: en\n').mattermost).toBeUndefined();
  });

  it('resolves every secret and adds them to the redaction list', async () => {
    const { writeFileSync } = await import('node:fs');
    const w = tempWorkdir(section);
    writeFileSync(`${w.dir}/slash-b`, 'slash-b-from-file\n');
    const config = loadConfig({ flag: w.config, env, cwd: w.dir, username: 'tester' });
    expect(config.mattermost).toEqual({
      url: 'https://chat.example.org',
      botToken: 'bot-token-1234',
      slashTokens: ['slash-a-5678', 'slash-b-from-file'],
      actionSecret: 'action-key-9999',
      publicUrl: 'https://pes-bot.example.org',
      teams: ['tttttttttttttttttttttttttt'],
      channels: ['cccccccccccccccccccccccccc'],
    });
    for (const secret of [
      'bot-token-1234',
      'slash-a-5678',
      'slash-b-from-file',
      'action-key-9999',
    ]) {
      expect(config.catalog.secrets).toContain(secret);
    }
  });

  it('names a missing secret, refuses a token written in plain text, and wants buttons whole', () => {
    const minimal = "mattermost:\n  url: https://chat.example.org\n  botToken: '${MM_NONE}'\n";
    expect(() => load(minimal)).toThrow(/mattermost\.botToken/);
    const plain = 'mattermost:\n  url: https://chat.example.org\n  botToken: abcdef\n';
    const error = (() => {
      try {
        load(plain);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('mattermost.botToken');
    expect((error as UserError).message).not.toContain('abcdef');
    const half =
      "mattermost:\n  url: https://chat.example.org\n  botToken: '${MM_BOT}'\n  publicUrl: https://x.example.org\n";
    expect(() => load(half)).toThrow(/actionSecret and publicUrl/);
    expect(() => load("mattermost:\n  url: chat.example.org\n  botToken: '${MM_BOT}'\n")).toThrow(
      /mattermost\.url/,
    );
  });
});
