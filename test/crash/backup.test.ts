/**
 * The real `pes serve` killed with SIGKILL in the middle of `backup moodle` (a volume of
 * random data, restic), at a seeded random moment of the copy, then started again: the
 * snapshot the killed copy left is never offered as a good one nor chosen as `latest`, the
 * job is `interrupted` and said once (terminal and channel), no helper container is left,
 * the service still runs, and the audit chain holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeVolumes } from '../helpers/backup-env.ts';
import {
  CrashBed,
  crashSeed,
  noHelpersOf,
  processesGone,
  seededRandom,
} from '../helpers/crash-bed.ts';
import { createCrashService, type CrashService } from '../helpers/crash-service.ts';
import { jobOf, latestChosen, listedSnapshots, succeededJobs } from '../helpers/crash-snapshots.ts';
import { DockerTestBed } from '../helpers/docker.ts';

const seed = crashSeed('backup');
const random = seededRandom(seed);
const runs = 3;
const volumeMb = 100;

const docker = new DockerTestBed();
let bed: CrashBed | undefined;
let moodle: CrashService;

beforeAll(async () => {
  moodle = await createCrashService(docker, { volumeMb });
}, 120_000);

afterAll(async () => {
  await bed?.close();
  await docker.cleanup();
  await removeVolumes(docker);
  moodle.cleanup();
});

describe('pes serve killed during a backup', () => {
  it(`offers only complete snapshots afterwards (${runs} runs)`, async () => {
    const b = await CrashBed.create({ services: moodle.lines, repository: moodle.repository });
    bed = b;
    await b.start();
    // Two good backups: the first fills the repository, the second is what every later copy
    // of the same data costs; its duration is the window the kills fall in.
    await b.run('backup moodle', /backup done/);
    const started = Date.now();
    await b.run('backup moodle', /backup done/);
    const windowMs = Date.now() - started;
    expect(await listedSnapshots(b, 'moodle')).toHaveLength(2);
    process.stdout.write(`backup of ${volumeMb} MiB: ${windowMs} ms\n`);

    for (let run = 0; run < runs; run++) {
      const {
        job,
        pid: killed,
        delayMs,
      } = await b.killMidJob(
        () => b.begin('backup moodle', 'backup', /./),
        () => random() * windowMs * 0.6,
      );
      process.stdout.write(`run ${run}: job ${job.id} killed ${delayMs.toFixed(0)} ms in\n`);

      await b.start();
      const said = await b.interruptedOnce(job);
      process.stdout.write(`run ${run}: ${said.post}\n`);
      // restic, fed by the killed bot, may still store what it got: checked once it is done.
      await processesGone(`RESTIC_REPOSITORY=${moodle.repository}`);
      expect(b.jobs().find((j) => j.id === job.id)?.state).toBe('interrupted');
      // The message says what became of the copy.
      expect(said.post).toMatch(/snapshot|backup/i);
      // Complete: the snapshots of the backups that succeeded (a job is `succeeded` only once
      // its answer is written), and nothing else.
      const good = succeededJobs(b);
      const complete = new Set(
        (await listedSnapshots(b, 'moodle')).filter((s) => good.has(jobOf(s))).map((s) => s.id),
      );
      expect(complete.size).toBe(b.botTexts().filter((t) => t.includes('backup done')).length);

      const listed = await listedSnapshots(b, 'moodle');
      const notGood = listed.filter((s) => !complete.has(s.id));
      process.stdout.write(
        `run ${run}: left by the kill: ${notGood.map((s) => `${s.id.slice(0, 8)} ${s.state ?? '?'}`).join(', ') || 'nothing'}\n`,
      );
      expect(
        notGood.filter((s) => s.state === undefined || s.state === 'complete'),
        `offered as good though the copy was killed (seed ${seed})`,
      ).toEqual([]);
      const newest = listed.find((s) => complete.has(s.id))?.id;
      expect(await latestChosen(b, 'moodle')).toEqual([newest]);
      await noHelpersOf(docker, killed);
      expect((await moodle.container.inspect()).State.Running).toBe(true);
      await b.auditVerified();
    }
    await b.stop();
  }, 300_000);
});
