/**
 * A command that needs approval and asks its own confirmation, in Mattermost end to end: the
 * admin asks, another approver approves, the confirmation prompt comes with its code, and
 * `confirm CODE` runs the command — once, without filing a second approval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { RoutedNotices, wirePlugins } from '../../src/plugins/wire.ts';
import { startHarness, waitFor, wiped, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Mattermost: an approved command with a confirmation', () => {
  it('runs once confirmed, and files no second approval', async () => {
    const notices = new RoutedNotices(createLogger({ level: 'silent' }));
    const approvers: string[] = [];
    let catalog: Catalog | undefined;
    const t = await startHarness({
      opsLocale: 'en',
      catalog: (base) => {
        catalog = {
          ...base,
          roles: [
            ...base.roles,
            { name: 'approver', members: approvers, commands: ['approve', 'reject'] },
          ],
        };
        return catalog;
      },
      deps: (db) => {
        const wiring = wirePlugins({
          config: {
            desk: undefined,
            commandRules: [
              {
                command: 'wipe',
                service: 'moodle',
                roles: ['approver'],
                count: 1,
                ttlMs: 3_600_000,
              },
            ],
          },
          catalog: catalog ?? noCatalog(),
          db,
          log: createLogger({ level: 'silent' }),
          notices,
        });
        return wiring.approvals === undefined ? {} : { approvals: wiring.approvals };
      },
      ready: (adapter) => notices.attach({ mattermost: adapter }),
    });
    h = t;
    approvers.push(`mattermost:${t.operator.id}`);
    wiped.length = 0;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const bot = `@${t.fake.bot.username}`;
    const posts = (): string[] => t.fake.data.botPosts(t.ops.id).map((p) => visibleText(p));
    const said = (pattern: RegExp): boolean => posts().some((p) => pattern.test(p));

    t.fake.say(t.admin, t.ops, `${bot} wipe moodle`);
    await waitFor(() => said(/approval #1 was sent/), 'the approval filed');
    expect(wiped).toEqual([]);
    t.fake.say(t.operator, t.ops, `${bot} approve 1`);
    await waitFor(() => said(/Confirmation \w{4} needed/), 'the confirmation prompt');
    const code = posts()
      .map((p) => /Confirmation (\w{4}) needed/.exec(p)?.[1])
      .find((c) => c !== undefined);
    expect(code).toMatch(/^\w{4}$/);
    expect(wiped).toEqual([]);
    t.fake.say(t.admin, t.ops, `${bot} confirm ${code ?? ''}`);
    await waitFor(() => wiped.includes('moodle'), 'the approved command run');
    await waitFor(() => said(/wiped moodle/), 'its answer');
    await t.adapter.settled();
    expect(wiped).toEqual(['moodle']);
    expect(said(/approval #2/)).toBe(false);
  });
});

function noCatalog(): never {
  throw new Error('the catalog is made before the bot');
}
