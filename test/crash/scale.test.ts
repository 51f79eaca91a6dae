/**
 * The real `pes serve` killed with SIGKILL in the middle of `scale moodle 3` (two replicas
 * created, started and waited for), at a seeded random moment, then started again: the
 * interrupted job's one message lists every container with its state and names what to run
 * when one is not running, and that command brings them all up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeVolumes } from '../helpers/backup-env.ts';
import { CrashBed, crashSeed, noHelpersOf, seededRandom } from '../helpers/crash-bed.ts';
import {
  createCrashService,
  projectContainers,
  type CrashService,
} from '../helpers/crash-service.ts';
import { DockerTestBed } from '../helpers/docker.ts';

const seed = crashSeed('scale');
const random = seededRandom(seed);
const runs = 3;

const docker = new DockerTestBed();
let bed: CrashBed | undefined;
let moodle: CrashService;

beforeAll(async () => {
  moodle = await createCrashService(docker, { volumeMb: 0, scaleMax: 3 });
}, 120_000);

afterAll(async () => {
  await bed?.close();
  await docker.cleanup();
  await removeVolumes(docker);
  moodle.cleanup();
});

describe('pes serve killed during a scale', () => {
  it(`lists what runs and names what to run (${runs} runs)`, async () => {
    const b = await CrashBed.create({ services: moodle.lines });
    bed = b;
    await b.start();
    // One whole scale up: its duration is the window the kills fall in.
    const started = Date.now();
    await b.run('scale moodle 3', /moodle: 1 → 3/);
    const windowMs = Date.now() - started;
    process.stdout.write(`scale 1 → 3: ${windowMs} ms\n`);

    for (let run = 0; run < runs; run++) {
      const {
        job,
        atKill,
        pid: killed,
        delayMs,
      } = await b.killMidJob(
        async () => {
          // Back to one first (a try that ended before its kill reached three).
          const count = (await projectContainers(docker, moodle.project)).length;
          if (count > 1) await b.run('scale moodle 1', new RegExp(`moodle: ${count} → 1`));
          return b.begin('scale moodle 3', 'scale');
        },
        () => random() * windowMs * 0.9,
      );
      process.stdout.write(
        `run ${run}: job ${job.id} killed ${delayMs.toFixed(0)} ms in, at "${atKill.progress_text ?? ''}"\n`,
      );

      await b.start();
      const said = await b.interruptedOnce(job);
      process.stdout.write(`run ${run}: ${said.post}\n`);
      expect(b.jobs().find((j) => j.id === job.id)?.state).toBe('interrupted');
      const left = await projectContainers(docker, moodle.project);
      // Every container is named in the message, each with its state.
      for (const c of left) expect(said.post).toContain(c.name);
      if (left.some((c) => c.state !== 'running')) {
        expect(said.post).toMatch(/moodle is not fully running: .* To start it: restart moodle/);
        await b.run('restart moodle', /moodle restarted/);
      } else {
        expect(said.post).toMatch(/moodle is running: .* run it again: scale moodle 3/);
      }
      expect(
        (await projectContainers(docker, moodle.project)).filter((c) => c.state !== 'running'),
      ).toEqual([]);
      await noHelpersOf(docker, killed);
      await b.auditVerified();
    }
    await b.stop();
  }, 300_000);
});
