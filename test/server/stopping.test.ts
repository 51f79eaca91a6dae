/**
 * While `pes serve` stops, a Mattermost slash command still gets an answer over HTTP, and
 * that answer is the refusal: nothing runs, nothing is queued as a job.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slashTokens, startHarness, type Harness } from '../fakes/mattermost/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ noStart: true });
});
afterEach(async () => {
  await h.close();
});

describe('a slash command while the bot stops', () => {
  it('is answered "the bot is stopping" and runs nothing', async () => {
    h.bot.runner.stop();
    // A read-only command and a job alike.
    for (const text of ['echo hello', 'crunch moodle 3']) {
      const result = await h.fake.slash(h.commandUrl, slashTokens[0] ?? '', h.admin, h.ops, text);
      expect(result.status).toBe(200);
      const body = JSON.stringify(result.body);
      expect(body).toContain('The bot is stopping and takes no new commands.');
      expect(body).not.toContain('hello');
    }
    expect(h.audit.last(2).map((r) => r.result)).toEqual(['bot-stopping', 'bot-stopping']);
    const jobs = h.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number };
    expect(jobs.n).toBe(0);
  });
});
