/** The turns that keep a room's answers in the order its commands came. */
import { describe, expect, it } from 'vitest';
import { AnswerOrder } from '../../src/chat/answer-order.ts';

describe('AnswerOrder', () => {
  it('starts the commands of a room one after another, and other rooms at once', async () => {
    const order = new AnswerOrder(60_000);
    const started: string[] = [];
    const first = order.enter('room:a');
    const second = order.enter('room:a');
    const third = order.enter('room:a');
    const elsewhere = order.enter('room:b');
    for (const [name, turn] of [
      ['first', first],
      ['second', second],
      ['third', third],
      ['elsewhere', elsewhere],
    ] as const) {
      void turn.ready.then(() => started.push(name));
    }
    await elsewhere.ready;
    await first.ready;
    expect(started).toEqual(['first', 'elsewhere']);
    // A message that was no command gives its turn back before it came: the third still
    // waits for the first.
    second.release();
    // Every promise reaction that could run has run once the event loop turns.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).not.toContain('third');
    first.release();
    await third.ready;
    expect(started).toEqual(['first', 'elsewhere', 'second', 'third']);
  });

  it('lets the next command start when one has said nothing for holdMs', async () => {
    const order = new AnswerOrder(50);
    const silent = order.enter('room:a');
    const next = order.enter('room:a');
    await silent.ready;
    // Never released: the hold runs out and the next one starts anyway.
    await next.ready;
    next.release();
    silent.release();
  });
});
