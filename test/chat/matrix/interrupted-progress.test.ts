/**
 * A job cut short by a restart: its progress message, left by the process that died at its
 * last percentage, is replaced (`m.replace`, through the outbox) by the next start with one
 * that says the job was interrupted; and what it says, in both languages (golden files).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatPorts,
  interruptedProgressMessage,
  reportInterrupted,
} from '../../../src/cli/interrupted.ts';
import { MatrixOutbox } from '../../../src/chat/matrix/outbox-writer.ts';
import { renderMessage } from '../../../src/chat/matrix/render.ts';
import { MatrixSink } from '../../../src/chat/matrix/sink.ts';
import type { JobRecord } from '../../../src/core/jobs.ts';
import { SqliteJobStore, isProcessAlive } from '../../../src/store/jobs-repo.ts';
import { SqliteOutboxStore } from '../../../src/store/outbox-repo.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const body = (e: { content: Record<string, unknown> }): string => String(e.content['body']);
const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

describe('the progress message of an interrupted job in Matrix', () => {
  it('is replaced by the next start to say the job was interrupted', async () => {
    const t = await startHarness();
    h = t;
    await t.ready();
    const room = `matrix:${t.ops.roomId}`;
    // What a process leaves behind when it dies while its job runs: the job still marked
    // running under its (now gone) pid, and the progress message it had sent.
    const dead = new SqliteJobStore(t.db, { pid: 999_999, ownerToken: 'dead-process' });
    const job = dead.create({
      command: 'crunch',
      text: 'crunch moodle 5',
      actor: `matrix:${t.operator.userId}`,
      room,
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    dead.setProgress(job.id, 0.4, 'step 2 of 5');
    const sink = new MatrixSink({
      outbox: new MatrixOutbox(new SqliteOutboxStore(t.db), () => t.adapter.dispatcher.kick()),
      roomId: t.ops.roomId,
      relation: undefined,
      key: 'event:dead-process-command',
      locale: 'en',
      render: (message) => t.adapter.render(message, t.ops.roomId),
    });
    sink.progress({ jobId: job.id, fraction: 0.4, text: 'step 2 of 5' });
    const progress = await t.botSays(t.ops, new RegExp(`⏳ Job ${job.id}: 40 %`));

    await t.restart();
    // What `pes serve` does at start-up, with its ports into the messengers.
    const recovered = t.bot.recover(isProcessAlive);
    expect(recovered.map((j) => j.id)).toEqual([job.id]);
    reportInterrupted(recovered, {
      say: () => undefined,
      locale: 'en',
      localeFor: () => 'en',
      ...chatPorts(undefined, t.adapter),
    });
    const wanted = `Job ${job.id} (crunch moodle 5) was interrupted at 40 %: the bot stopped before it finished.`;
    const current = (): string =>
      body(t.botMessages(t.ops).find((e) => e.event_id === progress.event_id) ?? progress);
    await waitFor(() => current().includes(wanted), 'the progress message replaced');
    expect(current()).not.toContain('⏳');
    const edits = t.hs.edits(t.ops, progress);
    expect(edits.at(-1)?.content['m.relates_to']).toEqual({
      rel_type: 'm.replace',
      event_id: progress.event_id,
    });
    // The homeserver has the edit before the outbox records its answer: wait for that.
    const edit = (): ReturnType<SqliteOutboxStore['byKey']> =>
      new SqliteOutboxStore(t.db).byKey(`interrupted:${job.id}:progress`);
    expect(edit()?.kind).toBe('patch');
    await waitFor(() => edit()?.state === 'sent', 'the edit recorded as sent');
  }, 30_000);

  it('says the job, its percentage and what was left, in both languages', async () => {
    const job = { id: 12, text: 'restore moodle latest', progress: 0.37 } as JobRecord;
    for (const locale of ['ru', 'en'] as const) {
      const state = locale === 'ru' ? 'Состояние moodle: работает.' : 'State of moodle: up.';
      await expect(
        golden(renderMessage(interruptedProgressMessage(job, locale, state), locale)),
      ).toMatchFileSnapshot(`./golden/interrupted-progress-${locale}.json`);
    }
  });
});
