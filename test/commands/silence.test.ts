/**
 * `silence` answers what was asked: a refusal names only the word that is wrong, and the
 * Expire button is offered only to someone who may expire silences.
 */
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import type { AlertsPort, NewSilence } from '../../src/core/alerts.ts';
import { Bot } from '../../src/core/bot.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Registry } from '../../src/core/registry.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { fakePlatform } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';

const admin = 'local:root';
const oncall = 'matrix:@olga:pes.example';

function silenceBot(created: NewSilence[]): Bot {
  const db = openDatabase(':memory:');
  const alerts: AlertsPort = {
    alertmanager: () => ({
      alerts: () => Promise.resolve([]),
      silences: () => Promise.resolve([]),
      createSilence: (silence) => {
        created.push(silence);
        return Promise.resolve(`s-${created.length}`);
      },
      expireSilence: () => Promise.resolve(),
    }),
    acknowledge: () => undefined,
    noteSilence: () => false,
    noteSilenceMatching: () => 0,
  };
  const base = testCatalog();
  return new Bot({
    catalog: {
      ...base,
      roles: base.roles.map((role) =>
        role.name === 'oncall' ? { ...role, commands: ['silence', 'silences'] } : role,
      ),
    },
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    alerts,
    platform: () => fakePlatform({}),
    log: createLogger({ level: 'error', write: () => undefined }),
  });
}

function run(bot: Bot, actorId: string, text: string, locale: 'ru' | 'en' = 'en') {
  return bot.invoke(
    { actorId, room: { id: 'mattermost:ops' }, source: 'mattermost', text, locale },
    { reply: () => undefined, progress: () => undefined, confirm: { kind: 'pending' } },
  );
}

describe('silence command', () => {
  it('offers Expire to someone who may expire, and not to on-call people who may not', async () => {
    const created: NewSilence[] = [];
    const bot = silenceBot(created);
    const byAdmin = await run(bot, admin, 'silence alertname=DiskFull 1h');
    expect(byAdmin.status).toBe('ok');
    expect(byAdmin.message.actions?.map((a) => a.command)).toEqual(['unsilence s-1']);
    const byOncall = await run(bot, oncall, 'silence alertname=DiskFull 1h');
    expect(byOncall.status).toBe('ok');
    expect(created).toHaveLength(2);
    expect(byOncall.message.actions ?? []).toEqual([]);
  });

  it('refuses a bad duration for its duration only, not for the matchers before it', async () => {
    const bot = silenceBot([]);
    for (const locale of ['en', 'ru'] as const) {
      const long = await run(bot, admin, 'silence alertname=DiskFull 100d', locale);
      expect(long.errorCode).toBe('silence-bad-duration');
      expect(long.message.text).toContain('100d');
      expect(long.message.text).not.toMatch(/matcher|equality|услови|regex/i);
    }
    const missing = await run(bot, admin, 'silence alertname=DiskFull');
    expect(missing.errorCode).toBe('silence-no-duration');
    expect(missing.message.text).not.toMatch(/matcher|equality/i);
  });

  it('names a word that is no matcher, and a catch-all, each for what it is', async () => {
    const bot = silenceBot([]);
    const word = await run(bot, admin, 'silence 1h');
    expect(word.errorCode).toBe('silence-invalid');
    expect(word.message.text).toMatch(/^Cannot read the matcher "1h"/);
    const all = await run(bot, admin, 'silence alertname=~.* 1h');
    expect(all.errorCode).toBe('silence-matches-all');
    expect(all.message.text).toMatch(/^That silence would mute every alert\./);
  });
});
