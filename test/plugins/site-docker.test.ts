/**
 * The Moodle release and installed plugins read from a real container through Docker exec:
 * a miniature Moodle tree (core version.php, lib/components.json, one plugin) is written into
 * a busybox container (network none), made into an image of its own, and read from a fresh
 * container of that image, in the older layout and in Moodle 5.1's public/ one.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSite, installedVersion, SiteUnreadable } from '../../src/plugins/site.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { moodleFiles } from './bed.ts';

describe('reading the Moodle site through Docker exec (real engine)', () => {
  let bed: DockerTestBed;
  let platform: DockerPlatform;
  const images: string[] = [];

  beforeAll(() => {
    bed = new DockerTestBed();
    platform = new DockerPlatform(bed.connection);
  });
  afterAll(async () => {
    await bed.cleanup();
    for (const image of images)
      await bed.docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  /** A container of an image holding `files` (argv only: mkdir, then tee with the content). */
  async function siteContainer(name: string, files: Map<string, string>): Promise<string> {
    const builder = await bed.createContainer({ name: bed.containerName(`${name}-build`) });
    const builderName = bed.containerName(`${name}-build`);
    for (const [path, text] of files) {
      const dir = path.slice(0, path.lastIndexOf('/'));
      expect((await platform.exec(builderName, ['mkdir', '-p', dir], {})).exitCode).toBe(0);
      const written = await platform.exec(builderName, ['tee', path], {
        stdin: Readable.from([text]),
      });
      expect(written.exitCode).toBe(0);
    }
    const repo = `pes-test/moodle-mini-${bed.runId}`;
    await builder.commit({ repo, tag: name });
    images.push(`${repo}:${name}`);
    const runName = bed.containerName(name);
    await bed.createContainer({ name: runName, image: `${repo}:${name}` });
    return runName;
  }

  it('reads $release, $branch and $version, the type directories and an installed plugin', async () => {
    const container = await siteContainer('classic', moodleFiles());
    const exec = (argv: readonly string[]) => platform.exec(container, argv, {});
    const site = await readSite(exec, '/var/www/html/');
    expect(site).toMatchObject({
      branch: '4.5',
      release: '4.5.1+ (Build: 20241213)',
      version: 2024100701.05,
      codeDir: '/var/www/html',
    });
    expect(site.typeDirs.get('tool')).toBe('/var/www/html/admin/tool');
    expect(await installedVersion(exec, site, 'mod_checklist')).toEqual({
      version: 2024050100,
      release: '4.1.2',
    });
    expect(await installedVersion(exec, site, 'mod_attendance')).toBeUndefined();
  });

  it('finds Moodle 5.1’s code under public/', async () => {
    const files = new Map<string, string>();
    for (const [path, text] of moodleFiles()) {
      files.set(
        path.replace('/var/www/html/', '/var/www/html/public/'),
        text.replace("'405'", "'501'"),
      );
    }
    files.set('/var/www/html/config.php', '<?php // config.php stays in the root\n');
    const container = await siteContainer('public', files);
    const exec = (argv: readonly string[]) => platform.exec(container, argv, {});
    const site = await readSite(exec, '/var/www/html');
    expect(site.branch).toBe('5.1');
    expect(site.codeDir).toBe('/var/www/html/public');
    expect((await installedVersion(exec, site, 'mod_checklist'))?.version).toBe(2024050100);
  });

  it('a container without Moodle is told as such, not as a crash', async () => {
    const name = bed.containerName('empty');
    await bed.createContainer({ name });
    await expect(
      readSite((argv) => platform.exec(name, argv, {}), '/var/www/html'),
    ).rejects.toBeInstanceOf(SiteUnreadable);
  });
});
