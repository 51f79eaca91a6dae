/**
 * The Moodle site the plugin installer's tests install into (test/fakes/moodle-site), on the
 * real test engine: its image built with no network from Debian's php-cli, its admin/cli
 * scripts keeping Moodle's contract (exit statuses and texts of maintenance.php, upgrade.php,
 * cfg.php, purge_caches.php, uninstall_plugins.php), and the bot's own site reader
 * (src/plugins/site.ts) reading it through Docker exec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedVersion, readSite } from '../../src/plugins/site.ts';
import { removeVolumes } from '../helpers/backup-env.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { pluginFiles as zipPluginFiles } from '../fakes/moodle-plugins/zips.ts';
import {
  bundledPlugins,
  moodleSiteCore,
  moodleSiteImage,
  putPlugin,
  siteState,
  startMoodleSite,
  type MoodleSite,
} from '../fakes/moodle-site/site.ts';

const slow = 180_000;

describe('the Moodle site of the installer tests (real engine, real PHP)', () => {
  let bed: DockerTestBed;
  let image: string;
  let count = 0;

  beforeAll(async () => {
    bed = new DockerTestBed();
    image = await moodleSiteImage();
  }, 30 * 60_000);
  afterAll(async () => {
    await bed.cleanup();
    await removeVolumes(bed);
  }, slow);

  const site = (): Promise<MoodleSite> => startMoodleSite(bed, { name: `site${++count}` });

  it(
    'is built once: the second call finds the same tag, and the site starts with its bundled plugins, out of maintenance',
    async () => {
      expect(await moodleSiteImage()).toBe(image);
      expect(image).toMatch(/^pes-test\/moodle-site:[0-9a-f]{16}$/);
      const s = await site();
      const inspect = await bed.docker.getContainer(s.container).inspect();
      expect(inspect.HostConfig.NetworkMode).toBe('none');
      expect(
        (await s.exec(['php', '-r', 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;'])).stdout,
      ).toBe('8.2');
      const state = await siteState(s);
      expect(state.versions).toEqual(
        Object.fromEntries(Object.entries(bundledPlugins).map(([c, v]) => [c, String(v)])),
      );
      expect(state.folders).toEqual(['block_html', 'mod_forum', 'tool_recyclebin']);
      expect(state.maintenance).toBe(false);
      expect(state.notOwnedByWebUser).toEqual([]);
    },
    slow,
  );

  it(
    'maintenance.php --enable writes climaintenance.html into dataroot, --disable removes it, the database as before',
    async () => {
      const s = await site();
      const before = await siteState(s);
      const on = await s.cli('maintenance.php', ['--enable']);
      expect(on.exitCode).toBe(0);
      expect(on.stdout).toContain('switched into CLI maintenance mode');
      expect((await s.exec(['test', '-f', `${s.dataroot}/climaintenance.html`])).exitCode).toBe(0);
      expect((await siteState(s)).maintenance).toBe(true);
      // Again: already on, nothing to do, still success.
      expect((await s.cli('maintenance.php', ['--enable'])).exitCode).toBe(0);
      expect((await s.cli('maintenance.php')).stdout).toContain('Status: enabled');
      const off = await s.cli('maintenance.php', ['--disable']);
      expect(off.exitCode).toBe(0);
      const after = await siteState(s);
      expect(after.maintenance).toBe(false);
      expect(after.databaseDigest).toBe(before.databaseDigest);
      expect((await s.cli('maintenance.php')).stdout).toContain('Status: disabled');
      expect((await s.cli('maintenance.php', ['--bogus'])).exitCode).toBe(1);
    },
    slow,
  );

  it(
    'upgrade.php installs a plugin folder copied in: --is-pending says 2 before and 0 after, the version is recorded, cfg.php reads it back',
    async () => {
      const s = await site();
      const before = await siteState(s);
      expect((await s.cli('upgrade.php', ['--non-interactive', '--is-pending'])).exitCode).toBe(0);
      await putPlugin(s, {
        component: 'local_hello',
        version: 2024120100,
        requires: 2024100100,
        release: '1.0',
        dependencies: { mod_forum: 2024100700 },
        install: { rows: ['greeting'] },
      });
      const pending = await s.cli('upgrade.php', ['--non-interactive', '--is-pending']);
      expect(pending.exitCode).toBe(2);
      expect(pending.stderr).toContain('An upgrade is pending');
      expect((await siteState(s)).versions['local_hello']).toBeUndefined();

      const upgrade = await s.cli('upgrade.php', ['--non-interactive']);
      expect(upgrade.exitCode).toBe(0);
      expect(upgrade.stdout).toContain('-->local_hello');
      expect(upgrade.stdout).toContain('completed successfully');
      const after = await siteState(s);
      expect(after.versions['local_hello']).toBe('2024120100');
      expect(after.rows).toContainEqual(['local_hello', 'greeting', '1']);
      expect(after.settings).not.toContainEqual(['local_hello', 'installrunning', '1']);
      expect(after.cachePurgeMarker).not.toBe(before.cachePurgeMarker);
      expect(after.notOwnedByWebUser).toEqual([]);

      const cfg = await s.cli('cfg.php', ['--component=local_hello', '--name=version']);
      expect(cfg).toMatchObject({ exitCode: 0, stdout: '2024120100\n' });
      const again = await s.cli('upgrade.php', ['--non-interactive', '--is-pending']);
      expect(again.exitCode).toBe(0);
      expect(again.stderr).toContain('No upgrade needed');
    },
    slow,
  );

  it(
    'an activity module’s install function carries its bare name, and a package of the test ZIP writer installs as it is',
    async () => {
      const s = await site();
      await putPlugin(s, {
        component: 'mod_hello',
        version: 2024120100,
        install: { rows: ['module'] },
      });
      // The files test/fakes/moodle-plugins/zips.ts puts in a package, without the root folder.
      const files = new Map<string, string>();
      for (const entry of zipPluginFiles('local_zipped', { version: 2024120500 })) {
        if (entry.data === undefined) continue;
        const name = String(entry.name);
        files.set(name.slice(name.indexOf('/') + 1), String(entry.data));
      }
      await putPlugin(s, { component: 'local_zipped', files });
      const upgrade = await s.cli('upgrade.php', ['--non-interactive']);
      expect(upgrade.exitCode, upgrade.stdout + upgrade.stderr).toBe(0);
      const after = await siteState(s);
      expect(after.versions).toMatchObject({ mod_hello: '2024120100', local_zipped: '2024120500' });
      // Types in lib/components.json order: mod before local.
      expect(after.rows).toEqual([
        ['mod_hello', 'module', '1'],
        ['local_zipped', 'installed', '1'],
      ]);
    },
    slow,
  );

  it(
    'upgrade.php refuses a downgrade (cannotdowngrade, exit 1) and keeps the recorded version',
    async () => {
      const s = await site();
      await putPlugin(s, { component: 'local_hello', version: 2024120100 });
      expect((await s.cli('upgrade.php', ['--non-interactive'])).exitCode).toBe(0);
      await putPlugin(s, { component: 'local_hello', version: 2024110100 });
      const down = await s.cli('upgrade.php', ['--non-interactive']);
      expect(down.exitCode).toBe(1);
      expect(down.stdout).toContain('Cannot downgrade local_hello from 2024120100 to 2024110100');
      expect(down.stdout).toContain('cannotdowngrade');
      expect((await siteState(s)).versions['local_hello']).toBe('2024120100');
    },
    slow,
  );

  it(
    'upgrade.php refuses a plugin that requires a newer Moodle, and one whose dependency is missing, before touching the database',
    async () => {
      const s = await site();
      const before = await siteState(s);
      await putPlugin(s, { component: 'local_future', version: 2025050100, requires: 2025041400 });
      const future = await s.cli('upgrade.php', ['--non-interactive']);
      expect(future.exitCode).toBe(1);
      expect(future.stderr).toContain('Dependencies check failed for local_future');
      expect(future.stderr).toContain('You must solve all the plugin requirements');
      await s.exec(['rm', '-rf', `${s.root}/local/future`]);

      await putPlugin(s, {
        component: 'local_needy',
        version: 2024120100,
        dependencies: { mod_attendance: 2024100300 },
      });
      const needy = await s.cli('upgrade.php', ['--non-interactive']);
      expect(needy.exitCode).toBe(1);
      expect(needy.stderr).toContain('Dependencies check failed for local_needy');
      // A dependency present but older than required fails the same way.
      await putPlugin(s, {
        component: 'local_needy',
        version: 2024120100,
        dependencies: { mod_forum: 2025041400 },
      });
      expect((await s.cli('upgrade.php', ['--non-interactive'])).exitCode).toBe(1);
      const after = await siteState(s);
      expect(after.databaseDigest).toBe(before.databaseDigest);
      // The script leaves the folder where it is: removing it is the installer's job.
      expect(after.folders).toContain('local_needy');
    },
    slow,
  );

  it(
    'an install.php that fails half-way exits 1 and leaves the database touched, as Moodle does; a second run succeeds over it',
    async () => {
      const s = await site();
      const before = await siteState(s);
      await putPlugin(s, {
        component: 'local_halfway',
        version: 2024120100,
        install: { rows: ['step1', 'step2'], fail: 'halfway' },
      });
      const run = await s.cli('upgrade.php', ['--non-interactive']);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain('!!! local_halfway failed half-way through its install !!!');
      const after = await siteState(s);
      expect(after.databaseDigest).not.toBe(before.databaseDigest);
      expect(after.rows).toEqual([
        ['local_halfway', 'step1', '1'],
        ['local_halfway', 'step2', '1'],
      ]);
      // Moodle records the version before running install.php, with installrunning set.
      expect(after.versions['local_halfway']).toBe('2024120100');
      expect(after.settings).toContainEqual(['local_halfway', 'installrunning', '1']);
      // A second run finds the version recorded and the recovery function absent: it succeeds
      // and leaves the half-made install as it is. Exit 0 proves nothing about the plugin.
      const second = await s.cli('upgrade.php', ['--non-interactive']);
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toContain('completed successfully');
      const later = await siteState(s);
      expect(later.rows).toEqual(after.rows);
      expect(later.settings).toContainEqual(['local_halfway', 'installrunning', '1']);
      // Removing the folder without putting the database back: Moodle sees changed code.
      await s.exec(['rm', '-rf', `${s.root}/local/halfway`]);
      expect((await s.cli('upgrade.php', ['--non-interactive', '--is-pending'])).exitCode).toBe(2);
    },
    slow,
  );

  it(
    'cfg.php prints a plugin’s version, and for an absent one prints nothing on stdout and exits 3',
    async () => {
      const s = await site();
      expect(await s.cli('cfg.php', ['--component=mod_forum', '--name=version'])).toMatchObject({
        exitCode: 0,
        stdout: '2024100700\n',
      });
      const absent = await s.cli('cfg.php', ['--component=mod_attendance', '--name=version']);
      expect(absent.exitCode).toBe(3);
      expect(absent.stdout).toBe('');
      expect(absent.stderr).toContain('No such configuration variable found.');
      expect((await s.cli('cfg.php', ['--name=release'])).stdout).toBe(
        `${moodleSiteCore.release}\n`,
      );
    },
    slow,
  );

  it(
    'purge_caches.php empties the cache directory and leaves a new marker',
    async () => {
      const s = await site();
      const before = await siteState(s);
      expect(
        (await s.exec(['tee', `${s.dataroot}/cache/stale.php`], { stdin: 'stale' })).exitCode,
      ).toBe(0);
      const purge = await s.cli('purge_caches.php');
      expect(purge.exitCode).toBe(0);
      expect((await s.exec(['test', '-e', `${s.dataroot}/cache/stale.php`])).exitCode).toBe(1);
      const after = await siteState(s);
      expect(after.cachePurgeMarker).not.toBeNull();
      expect(after.cachePurgeMarker).not.toBe(before.cachePurgeMarker);
    },
    slow,
  );

  it(
    'uninstall_plugins.php without --run only says what it would do; with --run removes the plugin’s data and leaves its folder',
    async () => {
      const s = await site();
      await putPlugin(s, {
        component: 'local_hello',
        version: 2024120100,
        install: { rows: ['greeting'] },
      });
      expect((await s.cli('upgrade.php', ['--non-interactive'])).exitCode).toBe(0);
      const installed = await siteState(s);

      const dry = await s.cli('uninstall_plugins.php', ['--plugins=local_hello']);
      expect(dry.exitCode).toBe(0);
      expect(dry.stdout).toContain('Will be uninstalled: local_hello\thello');
      expect((await siteState(s)).databaseDigest).toBe(installed.databaseDigest);

      const run = await s.cli('uninstall_plugins.php', ['--plugins=local_hello', '--run']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain('Uninstalling: local_hello\thello');
      const after = await siteState(s);
      expect(after.versions['local_hello']).toBeUndefined();
      expect(after.rows).toEqual([]);
      expect(after.folders).toContain('local_hello');
      // The folder left behind is a plugin to install again.
      expect((await s.cli('upgrade.php', ['--non-interactive', '--is-pending'])).exitCode).toBe(2);

      const forum = await s.cli('uninstall_plugins.php', [
        '--plugins=mod_forum,mod_nothing',
        '--run',
      ]);
      expect(forum.exitCode).toBe(0);
      expect(forum.stdout).toContain('Can not be uninstalled: mod_forum\tForum');
      expect(forum.stdout).toContain('Unknown plugin: mod_nothing');
      expect((await siteState(s)).versions['mod_forum']).toBe('2024100700');
    },
    slow,
  );

  it(
    'a CLI run as root leaves files the web server does not own, and the state says which',
    async () => {
      const s = await site();
      expect((await siteState(s)).notOwnedByWebUser).toEqual([]);
      const asRoot = await s.exec(['php', `${s.root}/admin/cli/maintenance.php`, '--enable'], {
        user: 'root',
      });
      expect(asRoot.exitCode).toBe(0);
      expect((await siteState(s)).notOwnedByWebUser).toEqual([`${s.dataroot}/climaintenance.html`]);
    },
    slow,
  );

  it(
    'the bot’s readSite and installedVersion read the site through Docker exec',
    async () => {
      const s = await site();
      const read = await readSite(s.siteExec, s.root);
      expect(read).toMatchObject({ ...moodleSiteCore, codeDir: s.root });
      expect(read.typeDirs.get('tool')).toBe(`${s.root}/admin/tool`);
      expect(read.typeDirs.get('block')).toBe(`${s.root}/blocks`);
      expect(await installedVersion(s.siteExec, read, 'mod_forum')).toEqual({
        version: 2024100700,
        release: undefined,
      });
      expect(await installedVersion(s.siteExec, read, 'local_hello')).toBeUndefined();
      await putPlugin(s, { component: 'local_hello', version: 2024120100, release: '1.0' });
      expect(await installedVersion(s.siteExec, read, 'local_hello')).toEqual({
        version: 2024120100,
        release: '1.0',
      });
    },
    slow,
  );

  it(
    'the www-data variant (for a pod, whose exec names no user) runs everything as uid 33',
    async () => {
      const s = await startMoodleSite(bed, { name: `site${++count}`, runAs: 'www-data' });
      expect(s.image).toBe(`${image}-www-data`);
      const id = await bed.docker.getContainer(s.container).inspect();
      expect(id.Config.User).toBe('www-data');
      const who = await s.siteExec(['id', '-u']);
      expect(who.stdout.trim()).toBe('33');
      expect((await siteState(s)).versions['mod_forum']).toBe('2024100700');
    },
    slow,
  );
});
