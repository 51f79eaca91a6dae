/**
 * A volume's tree measured and compared in a helper container (engine-helper.ts) by the bot's
 * own walk run there (src/backup/tree-measure-cli.ts), against the real engine of
 * scripts/test-env.sh: the figures and samples are exactly those of `measureTree` run here on
 * the volume's own directory, for a tree with owners, modes, a hard link, a symbolic link, a
 * FIFO, odd names and a `lost+found` at the root and deeper (a helper keeps both); one helper
 * per measure and per comparison; an image without node, or without the entry point, is told
 * as an image without the engine's launcher. A comparison comes back as figures and outcomes
 * of the samples sent, and the bot words the problems: words, or a path it did not send,
 * from the helper are refused.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureTree } from '../../../src/backup/tree-walk.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { helperSite } from '../../../src/platforms/docker/engine-helper.ts';
import { helperLabel } from '../../../src/platforms/docker/helper-container.ts';
import { busyboxImage, DockerTestBed } from '../../helpers/docker.ts';
import { ensureDerivedEngineImage, ensureEngineHelperImage } from '../../helpers/engine-image.ts';
import { inVolume, makeVolume, removeVolumes } from '../../integration/backup-helpers.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 900_000 });

let bed: DockerTestBed;
let image: string;
let volume: string;
let mountpoint: string;
/** The command of every helper made. */
const made: string[][] = [];

beforeAll(async () => {
  bed = new DockerTestBed();
  image = ensureEngineHelperImage();
  const docker = bed.connection.docker;
  const create = docker.createContainer.bind(docker);
  docker.createContainer = (async (options: Docker.ContainerCreateOptions) => {
    if (options.Labels?.[helperLabel] !== undefined) made.push([...(options.Cmd ?? [])]);
    return create(options);
  }) as typeof docker.createContainer;
  volume = await makeVolume(bed, 'measure');
  await inVolume(
    bed,
    volume,
    [
      'mkdir -p /v/d/e /v/lost+found /v/app/lost+found',
      'echo hello > /v/a.txt && chmod 640 /v/a.txt',
      'echo two > /v/d/b && chown -R 48:49 /v/d',
      'head -c 70000 /dev/zero > /v/d/e/big && ln /v/d/e/big /v/d/hard',
      'ln -s a.txt /v/link && ln -s /nowhere /v/d/dangling',
      'mkfifo /v/d/fifo && chmod 4755 /v/a.txt',
      "echo x > '/v/with space' && echo y > /v/ünï && : > /v/empty",
      'echo orphan > /v/lost+found/1 && chmod 700 /v/lost+found',
      'echo kept > /v/app/lost+found/kept',
      // Older than the samples' time below, as a drill's samples must be.
      'touch -d @1600000000 /v/a.txt /v/d/b /v/d/e/big "/v/with space" /v/ünï /v/app/lost+found/kept',
    ].join(' && '),
  );
  mountpoint = (await bed.docker.getVolume(volume).inspect()).Mountpoint;
});

afterAll(async () => {
  await removeVolumes(bed);
  await bed.cleanup();
});

async function helpersLeft(): Promise<string[]> {
  const left = await bed.docker.listContainers({ all: true, filters: { label: [helperLabel] } });
  return left.filter((c) => c.Image === image).map((c) => `${c.Names.join(',')} ${c.State}`);
}

describe('the tree of a volume measured in a helper', () => {
  it('is measured exactly as here, in one helper', async () => {
    const samplesBefore = new Date(Date.now() - 60_000);
    const site = helperSite(bed.connection, { image }, volume, '/data', 'read');
    made.length = 0;
    const inHelper = await site.measure({ samplesBefore });
    expect(made).toEqual([['node', '/app/src/backup/tree-measure-cli.ts', 'measure', '/data']]);
    const here = await measureTree(mountpoint, { samplesBefore });
    expect(inHelper).toEqual(here);
    expect(inHelper.figures.listDigest).toBe(here.figures.listDigest);
    expect(inHelper.figures.entriesDigest).toBe(here.figures.entriesDigest);
    // Both lost+found folders count in a helper: only a claim leaves the root's out.
    expect(inHelper.figures.files).toBe(9);
    expect(inHelper.samples.map((s) => s.path).sort()).toEqual([
      'a.txt',
      'app/lost+found/kept',
      'd/b',
      'd/e/big',
      'd/hard',
      'with space',
      'ünï',
    ]);
    // Other options go as given.
    const few = await site.measure({ samplesBefore, maxSamples: 2, maxSampleBytes: 1000 });
    expect(few).toEqual(
      await measureTree(mountpoint, { samplesBefore, maxSamples: 2, maxSampleBytes: 1000 }),
    );
    expect(await helpersLeft()).toEqual([]);
  });

  it('is compared in one helper, with what differs told', async () => {
    const here = await measureTree(mountpoint, { samplesBefore: new Date(Date.now() - 60_000) });
    const site = helperSite(bed.connection, { image }, volume, '/data', 'read');
    const expected = {
      files: here.figures.files,
      bytes: here.figures.bytes,
      sha256: here.figures.listDigest,
      samples: here.samples,
    };
    made.length = 0;
    expect(await site.compare(expected)).toEqual({ problems: [], figures: here.figures });
    expect(made).toHaveLength(1);
    expect(
      (await site.compare({ ...expected, sha256: here.figures.entriesDigest, files: undefined }))
        .problems,
    ).toEqual([]);
    const [first] = here.samples;
    if (first === undefined) throw new Error('no sample');
    const differs = await site.compare({
      ...expected,
      bytes: expected.bytes + 1,
      samples: [
        { ...first, sha256: '0'.repeat(64) },
        { path: 'gone', size: 1, sha256: first.sha256 },
      ],
    });
    expect(differs.problems).toEqual([
      `bytes: ${expected.bytes + 1} → ${expected.bytes}`,
      `\`${first.path}\`: sha256 differs`,
      '`gone`: missing',
    ]);
    expect(await helpersLeft()).toEqual([]);
  });

  it('takes neither words nor a path it did not send from the helper', async () => {
    const figures = {
      files: 1,
      bytes: 1,
      listDigest: 'a'.repeat(64),
      entriesDigest: `entries:${'b'.repeat(64)}`,
    };
    const hostile = 'x\n@channel [y](https://evil.example)';
    // An entry point that prints this, whatever it is asked.
    const printing = (reply: unknown): string => {
      const script = `process.stdout.write(${JSON.stringify(`${JSON.stringify(reply)}\n`)});\n`;
      const encoded = Buffer.from(script).toString('base64');
      return ensureDerivedEngineImage('engine-helper-fake-compare', [
        `RUN echo ${encoded} | base64 -d > /app/src/backup/tree-measure-cli.ts`,
      ]);
    };
    const sample = { path: 'a.txt', size: 6, sha256: '1'.repeat(64) };
    const cases: [unknown, RegExp][] = [
      // An older bot's entry point: the problems in words.
      [{ problems: [`${hostile}: missing`], figures }, /older bot: its comparison is free text/],
      [{ figures, samples: [{ path: hostile, outcome: 'missing' }] }, /not the path sent/],
      [{ figures, samples: [] }, /0 outcomes for 1 samples sent/],
    ];
    for (const [reply, reason] of cases) {
      const other = printing(reply);
      const site = helperSite(bed.connection, { image: other }, volume, '/data', 'read');
      const thrown = await site
        .compare({ files: 1, bytes: 1, sha256: 'a'.repeat(64), samples: [sample] })
        .catch((e: unknown) => e);
      expect(thrown, other).toBeInstanceOf(Error);
      expect((thrown as Error).message).toMatch(reason);
      expect((thrown as Error).message).not.toMatch(/channel|evil/);
    }
  });

  it('an image without node, or without the entry point, is told as such', async () => {
    const withoutEntryPoint = ensureDerivedEngineImage('engine-helper-no-measure', [
      'RUN rm /app/src/backup/tree-measure-cli.ts',
    ]);
    for (const other of [busyboxImage, withoutEntryPoint]) {
      const site = helperSite(bed.connection, { image: other }, volume, '/data', 'read');
      for (const attempt of [
        () => site.measure({}),
        () => site.compare({ files: 1, bytes: 1, sha256: '0'.repeat(64) }),
      ]) {
        const thrown = await attempt().catch((e: unknown) => e);
        expect(isUserError(thrown) && thrown.code, other).toBe('backup-engine-launcher-missing');
        expect((thrown as Error).message).toContain(other);
      }
    }
    const left = await bed.docker.listContainers({ all: true, filters: { label: [helperLabel] } });
    expect(left.filter((c) => [busyboxImage, withoutEntryPoint].includes(c.Image))).toEqual([]);
  });
});
