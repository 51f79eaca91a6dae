/**
 * A job cut short by a restart: its progress post, left by the process that died at its last
 * percentage, is edited by the next start (through the outbox) to say the job was
 * interrupted; and what that post says, in both languages (golden files).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatPorts,
  interruptedProgressMessage,
  reportInterrupted,
} from '../../../src/cli/interrupted.ts';
import { MattermostOutbox } from '../../../src/chat/mattermost/outbox-writer.ts';
import { renderMessage } from '../../../src/chat/mattermost/render.ts';
import { MattermostSink } from '../../../src/chat/mattermost/sink.ts';
import type { JobRecord } from '../../../src/core/jobs.ts';
import { SqliteJobStore, isProcessAlive } from '../../../src/store/jobs-repo.ts';
import { SqliteOutboxStore } from '../../../src/store/outbox-repo.ts';
import { startHarness, waitFor, type Harness } from '../../fakes/mattermost/harness.ts';
import { visibleText } from '../../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

describe('the progress post of an interrupted job in Mattermost', () => {
  it('is edited by the next start to say the job was interrupted, once', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const room = `mattermost:${t.ops.id}`;
    // What a process leaves behind when it dies while its job runs: the job still marked
    // running under its (now gone) pid, and the progress post it had sent.
    const dead = new SqliteJobStore(t.db, { pid: 999_999, ownerToken: 'dead-process' });
    const job = dead.create({
      command: 'crunch',
      text: 'crunch moodle 5',
      actor: `mattermost:${t.operator.id}`,
      room,
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    dead.setProgress(job.id, 0.4, 'step 2 of 5');
    const sink = new MattermostSink({
      outbox: new MattermostOutbox(new SqliteOutboxStore(t.db), () => t.adapter.dispatcher.kick()),
      target: { channelId: t.ops.id, root: undefined, userId: t.operator.id, direct: false },
      key: 'post:dead-process-command',
      locale: 'en',
      render: (message) => renderMessage(message, 'en'),
    });
    sink.progress({ jobId: job.id, fraction: 0.4, text: 'step 2 of 5' });
    const progressText = `⏳ Job ${job.id}: 40 % — step 2 of 5`;
    const progressPost = (): ReturnType<typeof t.fake.data.post> =>
      t.fake.data.botPosts(t.ops.id).find((p) => visibleText(p).includes(`⏳ Job ${job.id}:`));
    await waitFor(() => progressPost() !== undefined, 'the progress post');
    expect(visibleText(progressPost() ?? { message: '', props: {} })).toContain(progressText);
    const postId = progressPost()?.id;

    await t.restart();
    // What `pes serve` does at start-up, with its ports into the messengers.
    const recovered = t.bot.recover(isProcessAlive);
    expect(recovered.map((j) => j.id)).toEqual([job.id]);
    reportInterrupted(recovered, {
      say: () => undefined,
      locale: 'en',
      localeFor: () => 'en',
      ...chatPorts(t.adapter, undefined),
    });
    const wanted = `Job ${job.id} (crunch moodle 5) was interrupted at 40 %: the bot stopped before it finished.`;
    await waitFor(
      () =>
        visibleText(t.fake.data.post(postId ?? '') ?? { message: '', props: {} }).includes(wanted),
      'the progress post edited',
    );
    const edited = visibleText(t.fake.data.post(postId ?? '') ?? { message: '', props: {} });
    expect(edited).not.toContain('⏳');
    // The same post, not a new one; the edit went through the outbox.
    expect(
      t.fake.data.botPosts(t.ops.id).filter((p) => visibleText(p).includes(`Job ${job.id} `)),
    ).toHaveLength(2); // the edited progress post and the interrupted-job announcement
    // The server has the edit before the outbox records its answer: wait for that.
    const edit = (): ReturnType<SqliteOutboxStore['byKey']> =>
      new SqliteOutboxStore(t.db).byKey(`interrupted:${job.id}:progress`);
    expect(edit()?.kind).toBe('patch');
    await waitFor(() => edit()?.state === 'sent', 'the edit recorded as sent');
  }, 20_000);

  it('says the job, its percentage and what was left, in both languages', async () => {
    const job = {
      id: 12,
      text: 'restore moodle latest',
      progress: 0.37,
    } as JobRecord;
    for (const locale of ['ru', 'en'] as const) {
      const state = locale === 'ru' ? 'Состояние moodle: работает.' : 'State of moodle: up.';
      await expect(
        golden(renderMessage(interruptedProgressMessage(job, locale, state), locale)),
      ).toMatchFileSnapshot(`./golden/interrupted-progress-${locale}.json`);
    }
  });
});
