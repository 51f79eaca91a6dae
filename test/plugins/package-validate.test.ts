/**
 * An unpacked plugin checked as Moodle's validator checks it, and what Moodle's upgrade would
 * refuse later: each refusal with its own code, naming what was found and what was expected.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import type { UnpackedPlugin } from '../../src/plugins/package/types.ts';
import { unpackPlugin } from '../../src/plugins/package/unpack.ts';
import { branchNumber, validatePlugin } from '../../src/plugins/package/validate.ts';
import {
  makeZip,
  pluginFiles,
  pluginZip,
  versionPhp,
  type PluginZipOptions,
  type ZipEntry,
} from '../fakes/moodle-plugins/zips.ts';

const site = {
  version: 2024100700,
  release: '4.5 (Build: 20241007)',
  branch: '4.5',
  typeDirs: new Map([
    ['mod', '/var/www/html/mod'],
    ['local', '/var/www/html/local'],
    ['tool', '/var/www/html/admin/tool'],
  ]),
};

const none = (): undefined => undefined;

async function unpacked(component: string, files: readonly ZipEntry[]): Promise<UnpackedPlugin> {
  return unpackPlugin(makeZip(files), { component });
}

/** The good plugin's files with version.php replaced. */
function withVersionPhp(
  component: string,
  text: string,
  options: PluginZipOptions = {},
): ZipEntry[] {
  return pluginFiles(component, options).map((e) =>
    typeof e.name === 'string' && e.name.endsWith('/version.php') ? { ...e, data: text } : e,
  );
}

async function refusal(
  plugin: UnpackedPlugin,
  installed: (c: string) => number | undefined = none,
): Promise<UserError> {
  try {
    await validatePlugin(plugin, site, installed);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('the plugin was not refused');
}

describe('validatePlugin', () => {
  it('passes a good activity module and says where it goes', async () => {
    const plugin = await unpackPlugin(
      pluginZip('good', 'mod_attendance', { version: 2025010101, release: '5.0.1' }),
      {
        component: 'mod_attendance',
      },
    );
    expect(await validatePlugin(plugin, site, none)).toEqual({
      component: 'mod_attendance',
      type: 'mod',
      name: 'attendance',
      version: 2025010101,
      release: '5.0.1',
      maturity: 'MATURITY_STABLE',
      requires: 2022112800,
      dependencies: {},
      typeDir: '/var/www/html/mod',
      targetDir: '/var/www/html/mod/attendance',
      installed: undefined,
    });
  });

  it('passes an admin tool (lang file named after the component) and an upgrade', async () => {
    const plugin = await unpacked('tool_hello', pluginFiles('tool_hello', { version: 2025020200 }));
    const result = await validatePlugin(plugin, site, (c) =>
      c === 'tool_hello' ? 2025010100 : undefined,
    );
    expect(result.targetDir).toBe('/var/www/html/admin/tool/hello');
    expect(result.installed).toBe(2025010100);
  });

  it('refuses a package without version.php', async () => {
    const files = pluginFiles('mod_attendance').filter((e) => e.name !== 'attendance/version.php');
    const error = await refusal(await unpacked('mod_attendance', files));
    expect(error.code).toBe('plugin-version-php-missing');
    expect(error.params['expected']).toBe('attendance/version.php');
  });

  it('refuses a version.php without $plugin->version, and the old $module syntax', async () => {
    const bare = await refusal(
      await unpacked(
        'mod_attendance',
        withVersionPhp('mod_attendance', "<?php\n$plugin->component = 'mod_attendance';\n"),
      ),
    );
    expect(bare.code).toBe('plugin-version-missing');
    const old = await refusal(
      await unpacked(
        'mod_attendance',
        withVersionPhp('mod_attendance', '<?php\n$module->version = 2010010100;\n'),
      ),
    );
    expect(old.code).toBe('plugin-version-missing');
    expect(old.params['found']).toBe('$module->version');
  });

  it('refuses a version commented out', async () => {
    const text =
      "<?php\n$plugin->component = 'mod_attendance';\n/* $plugin->version = 2025010100; */\n// $plugin->version = 2025010100;\n";
    expect(
      (await refusal(await unpacked('mod_attendance', withVersionPhp('mod_attendance', text))))
        .code,
    ).toBe('plugin-version-missing');
  });

  it('refuses a component of another name or type, or none', async () => {
    for (const [written, found] of [
      ['mod_attendance2', 'mod_attendance2'],
      ['local_attendance', 'local_attendance'],
    ] as const) {
      const text = versionPhp(written, { version: 2025010100, release: '1', requires: 2022112800 });
      const error = await refusal(
        await unpacked('mod_attendance', withVersionPhp('mod_attendance', text)),
      );
      expect(error.code).toBe('plugin-component-mismatch');
      expect(error.params).toEqual({ found, expected: 'mod_attendance' });
    }
    const none = await refusal(
      await unpacked(
        'mod_attendance',
        withVersionPhp('mod_attendance', '<?php\n$plugin->version = 2025010100;\n'),
      ),
    );
    expect(none.params).toEqual({ found: '—', expected: 'mod_attendance' });
  });

  it('refuses the named requires-newer package, naming both versions', async () => {
    const plugin = await unpackPlugin(
      pluginZip('requires-newer', 'mod_attendance', { siteVersion: site.version }),
      {
        component: 'mod_attendance',
      },
    );
    const error = await refusal(plugin);
    expect(error.code).toBe('plugin-requires-newer');
    expect(error.text('en')).toBe(
      'The plugin needs Moodle 2024100701 or newer, the site has 2024100700 (4.5 (Build: 20241007)).',
    );
  });

  it('passes requires equal to the site’s version', async () => {
    const plugin = await unpacked(
      'mod_attendance',
      pluginFiles('mod_attendance', { requires: site.version }),
    );
    await expect(validatePlugin(plugin, site, none)).resolves.toMatchObject({
      requires: site.version,
    });
  });

  it('refuses a package without its English language file, or with it under the wrong name', async () => {
    const without = pluginFiles('mod_attendance').filter(
      (e) => !String(e.name).includes('lang/en/attendance.php'),
    );
    const error = await refusal(await unpacked('mod_attendance', without));
    expect(error.code).toBe('plugin-lang-missing');
    expect(error.params['expected']).toBe('attendance/lang/en/attendance.php');
    const misnamed = [...without, { name: 'attendance/lang/en/mod_attendance.php', data: '<?php' }];
    expect((await refusal(await unpacked('mod_attendance', misnamed))).params['expected']).toBe(
      'attendance/lang/en/attendance.php',
    );
  });

  it('refuses a plugin type the site does not know, listing the ones it does', async () => {
    const error = await refusal(await unpacked('aiplacement_x', pluginFiles('aiplacement_x')));
    expect(error.code).toBe('plugin-type-unknown');
    expect(error.params).toEqual({ type: 'aiplacement', known: 'local, mod, tool' });
  });

  it('refuses a supported range without the site’s branch, passes one with it', async () => {
    const text = (supported: string): string =>
      versionPhp('mod_attendance', { version: 2025010100, release: '1', requires: 2022112800 }) +
      `$plugin->supported = ${supported};\n`;
    const error = await refusal(
      await unpacked('mod_attendance', withVersionPhp('mod_attendance', text('[401, 404]'))),
    );
    expect(error.code).toBe('plugin-branch-unsupported');
    expect(error.params).toEqual({ from: '4.1', to: '4.4', branch: '4.5' });
    const later = await refusal(
      await unpacked('mod_attendance', withVersionPhp('mod_attendance', text('[500, 501]'))),
    );
    expect(later.code).toBe('plugin-branch-unsupported');
    for (const fits of ['[401, 405]', 'array(405, 500)', '[405,405]']) {
      const plugin = await unpacked('mod_attendance', withVersionPhp('mod_attendance', text(fits)));
      await expect(validatePlugin(plugin, site, none), fits).resolves.toMatchObject({
        version: 2025010100,
      });
    }
  });

  it('refuses a plugin incompatible with the site’s branch or an earlier one', async () => {
    const text = (value: string): string =>
      versionPhp('mod_attendance', { version: 2025010100, release: '1', requires: 2022112800 }) +
      `$plugin->incompatible = ${value};\n`;
    for (const value of ['405', '404', "'405'"]) {
      const error = await refusal(
        await unpacked('mod_attendance', withVersionPhp('mod_attendance', text(value))),
      );
      expect(error.code, value).toBe('plugin-branch-incompatible');
    }
    const ok = await unpacked('mod_attendance', withVersionPhp('mod_attendance', text('500')));
    await expect(validatePlugin(ok, site, none)).resolves.toMatchObject({ version: 2025010100 });
  });

  it('refuses malformed supported, incompatible and dependencies, as Moodle would throw', async () => {
    const base = versionPhp('mod_attendance', {
      version: 2025010100,
      release: '1',
      requires: 2022112800,
    });
    for (const [line, field] of [
      ['$plugin->supported = [405, 401];', '$plugin->supported'],
      ["$plugin->supported = '405';", '$plugin->supported'],
      ['$plugin->incompatible = -1;', '$plugin->incompatible'],
      ["$plugin->dependencies = 'mod_forum';", '$plugin->dependencies'],
      ["$plugin->dependencies = ['mod_forum' => $x];", '$plugin->dependencies'],
    ] as const) {
      const error = await refusal(
        await unpacked('mod_attendance', withVersionPhp('mod_attendance', `${base}${line}\n`)),
      );
      expect(error.code, line).toBe('plugin-version-malformed');
      expect(error.params['field'], line).toBe(field);
    }
  });

  it('refuses the named missing-dependency package, and a dependency too old', async () => {
    const plugin = await unpackPlugin(pluginZip('missing-dependency', 'mod_attendance'), {
      component: 'mod_attendance',
    });
    const missing = await refusal(plugin);
    expect(missing.code).toBe('plugin-dependency-missing');
    expect(missing.params).toEqual({ dependency: 'local_absent', required: 2024010100 });
    const old = await refusal(plugin, (c) => (c === 'local_absent' ? 2023010100 : undefined));
    expect(old.code).toBe('plugin-dependency-old');
    expect(old.params).toEqual({
      dependency: 'local_absent',
      required: 2024010100,
      installed: 2023010100,
    });
    await expect(
      validatePlugin(plugin, site, (c) => (c === 'local_absent' ? 2024010100 : undefined)),
    ).resolves.toMatchObject({ dependencies: { local_absent: 2024010100 } });
  });

  it('asks an asynchronous lookup, and refuses an ANY_VERSION dependency only when absent', async () => {
    const plugin = await unpacked(
      'mod_attendance',
      pluginFiles('mod_attendance', { dependencies: { mod_forum: 'any' } }),
    );
    const asked: string[] = [];
    const absent = await refusal(plugin, (c) => {
      asked.push(c);
      return undefined;
    });
    expect(absent.code).toBe('plugin-dependency-absent');
    expect(asked).toEqual(['mod_forum']);
    await expect(
      validatePlugin(plugin, site, (c) => Promise.resolve(c === 'mod_forum' ? 1 : undefined)),
    ).resolves.toMatchObject({ dependencies: { mod_forum: 'any' } });
  });

  it('refuses a downgrade, passes the same version', async () => {
    const plugin = await unpacked(
      'mod_attendance',
      pluginFiles('mod_attendance', { version: 2025010100 }),
    );
    const error = await refusal(plugin, (c) => (c === 'mod_attendance' ? 2025060100 : undefined));
    expect(error.code).toBe('plugin-downgrade');
    expect(error.params).toEqual({
      component: 'mod_attendance',
      installed: 2025060100,
      version: 2025010100,
    });
    await expect(
      validatePlugin(plugin, site, (c) => (c === 'mod_attendance' ? 2025010100 : undefined)),
    ).resolves.toMatchObject({ installed: 2025010100 });
  });

  it('passes the upgrade-fails package: its failure is the site’s to find', async () => {
    const plugin = await unpackPlugin(pluginZip('upgrade-fails', 'mod_attendance'), {
      component: 'mod_attendance',
    });
    const install = plugin.entries.find((e) => e.path === 'attendance/db/install.php');
    expect(install?.data?.toString()).toContain("throw new moodle_exception('installfailed'");
    expect(install?.data?.toString()).toContain('function xmldb_attendance_install()');
    await expect(validatePlugin(plugin, site, none)).resolves.toMatchObject({
      component: 'mod_attendance',
    });
  });
});

describe('branchNumber', () => {
  it('turns a release branch into Moodle’s number', () => {
    expect(['4.1', '4.5', '5.0', '5.1', '10.2', '4'].map(branchNumber)).toEqual([
      401,
      405,
      500,
      501,
      undefined,
      undefined,
    ]);
  });
});
