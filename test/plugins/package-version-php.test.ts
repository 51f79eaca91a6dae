/**
 * A plugin's version.php read as Moodle's validator reads it: comments, whitespace and text
 * outside PHP dropped, strings kept, the last assignment winning, never run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parsePluginVersion,
  readPluginVersionPhp,
  strippedPhp,
} from '../../src/plugins/version-php.ts';
import { versionPhp } from '../fakes/moodle-plugins/zips.ts';
import { fuzz, fuzzRuns } from '../fuzz/fuzz.ts';

const attendance = `<?php
// This file is part of Moodle - http://moodle.org/
/**
 * Version information
 * $plugin->version = 1999010100;
 */
defined('MOODLE_INTERNAL') || die();

$plugin->version  = 2024100702;   // The current plugin version (Date: YYYYMMDDXX).
$plugin->requires = 2024042200;   # Moodle 4.4.
$plugin->release  = '4.5.0 (Build: 2024/10/07 // tagged)';
$plugin->maturity = MATURITY_STABLE;
$plugin->component = 'mod_attendance';
$plugin->supported = [404, 405];
$plugin->incompatible = 500;
$plugin->dependencies = array(
    'mod_forum' => 2022042100,
    'local_hello' => ANY_VERSION,
    'block_x' => 'any',
);
`;

describe('readPluginVersionPhp', () => {
  it('reads every field Moodle reads, comments and whitespace aside', () => {
    expect(readPluginVersionPhp(attendance)).toEqual({
      version: 2024100702,
      release: '4.5.0 (Build: 2024/10/07 // tagged)',
      component: 'mod_attendance',
      requires: 2024042200,
      maturity: 'MATURITY_STABLE',
      dependencies: { mod_forum: 2022042100, local_hello: 'any', block_x: 'any' },
      supported: [404, 405],
      incompatible: 500,
      moduleSyntax: false,
      malformed: [],
    });
  });

  it('keeps the old shape of parsePluginVersion', () => {
    expect(parsePluginVersion(attendance)).toEqual({
      version: 2024100702,
      release: '4.5.0 (Build: 2024/10/07 // tagged)',
    });
    expect(parsePluginVersion('<?php\n$plugin->release = "1";\n')).toBeUndefined();
  });

  it('takes the last assignment, as PHP does, and a decimal version', () => {
    const read = readPluginVersionPhp(
      '<?php $plugin->version = 2020010100; $plugin->version = 2024010100.01;',
    );
    expect(read.version).toBe(2024010100.01);
  });

  it('ignores what is outside <?php … ?> and inside comments of every kind', () => {
    const text = [
      '$plugin->version = 1;',
      '<?php',
      '# $plugin->requires = 2;',
      "/* $plugin->component = 'mod_x'; */",
      '$plugin->version = 2024010100; ?>',
      '$plugin->version = 3;',
    ].join('\n');
    const read = readPluginVersionPhp(text);
    expect(read.version).toBe(2024010100);
    expect(read.requires).toBeUndefined();
    expect(read.component).toBeUndefined();
  });

  it('keeps whitespace and comment marks inside strings', () => {
    expect(strippedPhp('<?php $a = \'x  // y\';  /* z */ $b = "p # q";')).toBe(
      '$a=\'x  // y\';$b="p # q";',
    );
  });

  it('reads a string whose escaped quote is followed by a semicolon whole', () => {
    // Found by the round trip below: a pattern that is not string-aware stopped at `\';`.
    const read = readPluginVersionPhp("<?php $plugin->version = 1; $plugin->release = 'a\\';b';");
    expect(read.release).toBe("a';b");
  });

  it('says when the old $module syntax is used', () => {
    expect(readPluginVersionPhp('<?php $module->version = 2010010100;').moduleSyntax).toBe(true);
  });

  it('reads back what the test packages write', async () => {
    const component = fc
      .tuple(
        fc.constantFrom('mod', 'local', 'block', 'tool'),
        fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/),
      )
      .map(([type, name]) => `${type}_${name}`);
    await fuzz(
      'version.php round trip',
      fc.record({
        component,
        version: fc.integer({ min: 2000010100, max: 2099123199 }),
        requires: fc.integer({ min: 2000010100, max: 2099123199 }),
        release: fc.string({ maxLength: 20 }).filter((s) => !/[\n\r]/.test(s)),
        dependencies: fc.dictionary(
          component,
          fc.oneof(fc.constant('any' as const), fc.integer({ min: 1, max: 2099123199 })),
          {
            maxKeys: 3,
          },
        ),
      }),
      (v) => {
        const read = readPluginVersionPhp(versionPhp(v.component, v));
        expect(read).toMatchObject({
          component: v.component,
          version: v.version,
          requires: v.requires,
          release: v.release,
          dependencies: v.dependencies,
          malformed: [],
        });
      },
      { runs: Math.max(100, Math.floor(fuzzRuns / 10)) },
    );
  });

  it('never throws on any text', async () => {
    await fuzz(
      'version.php reader',
      fc.string({
        unit: fc.constantFrom(
          '<?php',
          '?>',
          '$plugin->',
          'version',
          '=',
          ';',
          "'",
          '"',
          '\\',
          '/*',
          '*/',
          '//',
          '#',
          '\n',
          ' ',
          '1',
          '[',
          ']',
          ',',
          '=>',
          'a_b',
        ),
      }),
      (text) => {
        const read = readPluginVersionPhp(text);
        expect(read.version === undefined || Number.isFinite(read.version)).toBe(true);
      },
      { runs: Math.max(100, Math.floor(fuzzRuns / 10)) },
    );
  });
});
