/**
 * The real `pes serve` killed with SIGKILL in the middle of `restore moodle latest` (a volume
 * of random data, restic), at a seeded random moment of each of its phases (safety backup,
 * restore after the stop, start), then started again: the service runs, or the interrupted job's one
 * message says it is stopped and names the command that returns it to a known state, and
 * that command works; no snapshot the kill cut short is offered; no helper is left; the
 * audit chain holds.
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

const seed = crashSeed('restore');
const random = seededRandom(seed);
const runs = 3;
/** The progress lines of a restore (commands/backup-shared.ts). */
const phases = [/^safety backup/, /^restoring/, /^starting/];
const volumeMb = 64;

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

describe('pes serve killed during a restore', () => {
  it(`leaves the service running or says what to run (${runs} runs)`, async () => {
    const b = await CrashBed.create({ services: moodle.lines, repository: moodle.repository });
    bed = b;
    await b.start();
    await b.run('backup moodle', /backup done/);
    const [good] = await latestChosen(b, 'moodle');
    // A restore's phases, each reached in one of the runs (in a seeded order): the kill comes
    // a seeded moment after the progress line of the phase shows.
    const offset = Math.floor(random() * phases.length);

    for (let run = 0; run < runs; run++) {
      const before = new Set((await listedSnapshots(b, 'moodle')).map((s) => s.id));
      const phase = phases[(run + offset) % phases.length] ?? /./;
      const {
        job,
        atKill,
        pid: killed,
        delayMs,
      } = await b.killMidJob(
        () => b.begin('restore moodle latest', 'restore', phase),
        () => random() * 400,
      );
      process.stdout.write(
        `run ${run}: job ${job.id} killed ${delayMs.toFixed(0)} ms after its phase, at "${atKill.progress_text ?? ''}"\n`,
      );
      const pastSafety = !/safety/.test(atKill.progress_text ?? 'safety');

      await b.start();
      const said = await b.interruptedOnce(job);
      process.stdout.write(`run ${run}: ${said.post}\n`);
      // restic, fed by the killed bot, may still store what it got: checked once it is done.
      await processesGone(`RESTIC_REPOSITORY=${moodle.repository}`);
      expect(b.jobs().find((j) => j.id === job.id)?.state).toBe('interrupted');
      const running = (await moodle.container.inspect()).State.Running;
      if (running) {
        expect(said.post).toMatch(/moodle is running/);
      } else {
        // Stopped: the message says so and names what to run.
        expect(said.post).toMatch(/moodle is stopped/);
        expect(said.post).toMatch(/restore moodle \S+|restart moodle/);
      }

      const listed = await listedSnapshots(b, 'moodle');
      const safety = listed.filter((s) => s.job.startsWith(`${job.id}-`));
      // A try that ended before its kill made a safety snapshot of its own: a good one.
      const succeeded = succeededJobs(b);
      const others = listed.filter(
        (s) => !before.has(s.id) && !safety.includes(s) && !succeeded.has(jobOf(s)),
      );
      expect(others, `new snapshots that are not this restore's safety (seed ${seed})`).toEqual([]);
      if (!pastSafety) {
        // The safety backup may have been cut: if a snapshot of it is there, not as a good one.
        const cut = safety.filter((s) => s.state === undefined || s.state === 'complete');
        const named = cut.filter((s) => said.post.includes(s.id));
        expect(
          cut.filter((s) => !named.includes(s)),
          `a cut safety backup offered (seed ${seed})`,
        ).toEqual([]);
      }
      // `latest` is the good backup, never a safety snapshot nor a cut one.
      expect(await latestChosen(b, 'moodle')).toEqual([good]);
      await noHelpersOf(docker, killed);
      await b.auditVerified();

      // What the message says to run brings the service back.
      if (!running) {
        const command = /(restore moodle [0-9a-f]{8,64}|restart moodle)/.exec(said.post)?.[1] ?? '';
        await b.run(command, /moodle restored|moodle restarted/);
        expect((await moodle.container.inspect()).State.Running).toBe(true);
      }
    }
    await b.stop();
  }, 400_000);
});
