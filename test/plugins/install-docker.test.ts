/**
 * The installer end to end on the real test engine: `plugin-install` through the bot's one
 * path (a job on the moodle lock), the Moodle site of test/fakes/moodle-site (real PHP, its
 * admin/cli scripts keeping Moodle's contract, a SQLite database in a volume), backups by the
 * real restic into a local repository, and packages from the fake plugins directory on
 * 127.0.0.1. A good plugin is installed and read back from the site's database; every bad
 * package ends with the plugin absent, the site out of maintenance and the database as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/outcome.ts';
import type { FakePlugin } from '../fakes/moodle-plugins/server.ts';
import { pluginZip, type PluginZipKind } from '../fakes/moodle-plugins/zips.ts';
import { siteState, type MoodleSite, type SiteState } from '../fakes/moodle-site/site.ts';
import { startInstallSiteBed, type InstallSiteBed } from './install-site-bed.ts';

const slow = 240_000;
const version = 2024120100;

/** One plugin per case, each served with its package (a wrong MD5 for `bad-md5`). */
const cases: readonly { component: string; kind: PluginZipKind | 'bad-md5' }[] = [
  { component: 'local_good', kind: 'good' },
  { component: 'local_badmd', kind: 'bad-md5' },
  { component: 'local_escape', kind: 'path-escape' },
  { component: 'local_wrongroot', kind: 'wrong-root' },
  { component: 'local_newer', kind: 'requires-newer' },
  { component: 'local_deps', kind: 'missing-dependency' },
  { component: 'local_halfway', kind: 'upgrade-fails' },
];

function directoryPlugins(): FakePlugin[] {
  return cases.map((c, i) => {
    const zip = pluginZip(c.kind === 'bad-md5' ? 'good' : c.kind, c.component, { version });
    return {
      id: 100 + i,
      name: `Test ${c.component}`,
      component: c.component,
      versions: [
        {
          version,
          release: '1.0',
          maturity: 200,
          supports: ['4.5'],
          zip,
          ...(c.kind === 'bad-md5' ? { md5: '0123456789abcdef0123456789abcdef' } : {}),
        },
      ],
    };
  });
}

/** What "the site as it was" compares: everything but the cache-purge marker. */
function comparable(state: SiteState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([key]) => key !== 'cachePurgeMarker'));
}

describe('plugin-install on a real Moodle site (real engine, real PHP, restic)', () => {
  let t: InstallSiteBed;
  let site: MoodleSite;

  beforeAll(async () => {
    t = await startInstallSiteBed(directoryPlugins());
    site = t.site;
  }, 30 * 60_000);

  afterAll(() => t.stop(), slow);

  const install = (component: string): Promise<Outcome> =>
    t.run(`plugin-install moodle ${component}`);

  it(
    'installs a good plugin: its version read back from the site database, files owned by www-data, out of maintenance',
    async () => {
      const outcome = await install('local_good');
      expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
      const state = await siteState(site);
      expect(state.versions['local_good']).toBe(String(version));
      expect(state.folders).toContain('local_good');
      expect(state.maintenance).toBe(false);
      expect(state.notOwnedByWebUser).toEqual([]);
      expect(state.rows).toContainEqual(['local_good', 'installed', '1']);
      expect(t.progress).toContain('admin/cli/upgrade.php');
    },
    slow,
  );

  it(
    'plugin-remove takes the good plugin out again: uninstalled in the database, folder gone, out of maintenance',
    async () => {
      const outcome = await t.run('plugin-remove moodle local_good');
      expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
      const state = await siteState(site);
      expect(state.versions['local_good']).toBeUndefined();
      expect(state.folders).not.toContain('local_good');
      expect(state.maintenance).toBe(false);
    },
    slow,
  );

  // The reason each package is refused, as the installer's own texts say it
  // (src/core/error-texts/plugin-package.ts), and what was put back: a package refused
  // before the backup leaves the site untouched; an upgrade that failed is rolled back.
  const untouched = 'The site was not changed.';
  const rolledBack =
    'The database was put back from the backup taken before; the plugin’s folder was removed; maintenance mode is off.';
  const failures: readonly [string, RegExp, string][] = [
    [
      'local_badmd',
      /: The downloaded package does not match the directory: MD5 [0-9a-f]{32}, /,
      untouched,
    ],
    [
      'local_escape',
      /: The path ".*" in the package leaves the plugin’s folder or is not allowed/,
      untouched,
    ],
    [
      'local_wrongroot',
      /: The package’s root folder is .+, it must be called wrongroot\/ \(the plugin’s name/,
      untouched,
    ],
    ['local_newer', /: The plugin needs Moodle \S+ or newer, the site has /, untouched],
    ['local_deps', /: The plugin needs local_absent .*which the site does not have/, untouched],
    ['local_halfway', /: admin\/cli\/upgrade\.php exited with 1: /, rolledBack],
  ];
  for (const [component, why, undone] of failures) {
    it(
      `${component}: refused or undone — the plugin absent, out of maintenance, the database as before`,
      async () => {
        const before = await siteState(site);
        const outcome = await install(component);
        const text = outcome.message.text ?? '';
        expect(outcome.status, text).toBe('failed');
        expect(outcome.errorCode, text).toBe('plugin-install-failed');
        expect(text).toMatch(new RegExp(`^The plugin ${component} was not installed: `));
        expect(text).toMatch(why);
        expect(text.endsWith(undone), text).toBe(true);
        const after = await siteState(site);
        expect(after.versions[component]).toBeUndefined();
        expect(after.folders).not.toContain(component);
        expect(after.maintenance).toBe(false);
        expect(comparable(after)).toEqual(comparable(before));
      },
      slow,
    );
  }
});
