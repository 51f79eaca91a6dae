/**
 * The real `pes serve` killed with SIGKILL in the middle of `update moodle <tag>` (two
 * replicas recreated one at a time), at a seeded random moment, then started again: every
 * container runs, or the interrupted job's one message names the containers set aside as
 * `.pes-old` and `rollback moodle`, and that command puts every container back and running.
 * A further start says none of those jobs again.
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
import { waitFor } from '../helpers/wait.ts';

const seed = crashSeed('update');
const random = seededRandom(seed);
const runs = 3;

const docker = new DockerTestBed();
let bed: CrashBed | undefined;
let moodle: CrashService;

beforeAll(async () => {
  moodle = await createCrashService(docker, { volumeMb: 0, replicas: 2 });
}, 120_000);

afterAll(async () => {
  await bed?.close();
  await docker.cleanup();
  await removeVolumes(docker);
  moodle.cleanup();
});

/** The tag the first replica runs now: 1 or 2. */
async function currentTag(): Promise<1 | 2> {
  const first = (await projectContainers(docker, moodle.project)).find(
    (c) => c.name === moodle.first,
  );
  return first?.image.endsWith(':2') === true ? 2 : 1;
}

describe('pes serve killed during an update', () => {
  it(`leaves every container running or names what to run (${runs} runs)`, async () => {
    const b = await CrashBed.create({ services: moodle.lines });
    bed = b;
    await b.start();
    // One whole update: its duration is the window the kills fall in.
    const started = Date.now();
    await b.run('update moodle 2', /moodle updated/);
    const windowMs = Date.now() - started;
    process.stdout.write(`update of 2 replicas: ${windowMs} ms\n`);

    const interrupted: number[] = [];
    for (let run = 0; run < runs; run++) {
      const {
        job,
        atKill,
        pid: killed,
        delayMs,
      } = await b.killMidJob(
        async () => b.begin(`update moodle ${(await currentTag()) === 1 ? 2 : 1}`, 'update'),
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
      const setAside = left.filter((c) => c.name.endsWith('.pes-old'));
      if (setAside.length > 0) {
        for (const c of setAside) expect(said.post).toContain(c.name);
        expect(said.post).toContain('rollback moodle');
        await b.run('rollback moodle', /moodle rolled back/);
      } else if (left.some((c) => c.state !== 'running')) {
        expect(said.post).toMatch(/moodle is not fully running: .* To start it: restart moodle/);
        await b.run('restart moodle', /moodle restarted/);
      } else {
        expect(said.post).toMatch(/moodle is running: /);
      }
      const after = await projectContainers(docker, moodle.project);
      expect(after.map((c) => [c.name, c.state])).toEqual([
        [moodle.first, 'running'],
        [moodle.first.replace(/-1$/, '-2'), 'running'],
      ]);
      await noHelpersOf(docker, killed);
      await b.auditVerified();
      interrupted.push(job.id);
    }
    // Another start (after a clean stop) says none of them again.
    await b.stop();
    await b.start();
    await b.run('status moodle', /moodle/);
    await waitFor(() => b.outboxPending() === 0, 'the outbox to drain');
    for (const id of interrupted) {
      const said = (text: string): boolean =>
        new RegExp(`Job ${id} \\(update moodle \\d\\) was interrupted`).test(text);
      expect(b.output().split('\n').filter(said)).toHaveLength(1);
      expect(b.announcements().filter(said)).toHaveLength(1);
    }
    await b.stop();
  }, 300_000);
});
