/**
 * People by name in Matrix: the display name of a person's profile (GET
 * /_matrix/client/v3/profile/{userId}/displayname) where the bot shows who; their user id
 * when they have none; and `--lang` in a `!pes` command.
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

describe('matrix: people by name', () => {
  it("names the owner of a busy service's job by their display name", async () => {
    h.hs.state.profiles.set(h.operator.userId, { displayname: 'Oleg Petrov' });
    h.hs.say(h.operator, h.ops, '!pes crunch moodle 25');
    await h.botSays(h.ops, /%/);
    h.hs.say(h.admin, h.ops, '!pes crunch moodle');
    await h.botSays(h.ops, /moodle is busy: job 1, crunch by Oleg Petrov,/);
  }, 20_000);

  it('shows the user id of a person whose profile has no display name', async () => {
    // The profile API answers 404 M_NOT_FOUND for a field that is not set.
    h.hs.state.profiles.set(h.operator.userId, {});
    h.hs.say(h.operator, h.ops, '!pes crunch moodle 25');
    await h.botSays(h.ops, /%/);
    h.hs.say(h.admin, h.ops, '!pes crunch moodle');
    await h.botSays(h.ops, /crunch by @oleg:pes\.test,/);
  }, 20_000);

  it('answers in the language a command asks for with --lang', async () => {
    h.hs.say(h.admin, h.ops, '!pes jobs --lang ru');
    await h.botSays(h.ops, /Задач пока не было\./);
  }, 20_000);
});
