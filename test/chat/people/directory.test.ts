import { describe, expect, it } from 'vitest';
import { PeopleDirectory } from '../../../src/chat/people/directory.ts';
import type { PeopleSource, Person } from '../../../src/chat/people/source.ts';
import { createLogger } from '../../../src/core/logger.ts';

/** A messenger that knows `known`, counts what it is asked, and answers when told to. */
class StubSource implements PeopleSource {
  readonly asked: string[][] = [];
  readonly rooms = new Map<string, string>();
  fail = false;
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;

  readonly known: ReadonlyMap<string, Person>;

  constructor(known: ReadonlyMap<string, Person>) {
    this.known = known;
  }

  /** Holds every answer until `release`. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open();
  }

  async people(ids: readonly string[]): Promise<ReadonlyMap<string, Person>> {
    this.asked.push([...ids]);
    await this.#gate;
    if (this.fail) throw new Error('server down');
    return new Map(
      ids.flatMap((id) => {
        const p = this.known.get(id);
        return p === undefined ? [] : [[id, p] as const];
      }),
    );
  }

  async room(id: string): Promise<string | undefined> {
    await this.#gate;
    if (this.fail) throw new Error('server down');
    return this.rooms.get(id);
  }
}

const anna = 'a'.repeat(26);
const oleg = 'o'.repeat(26);

function setup(options: { timeoutMs?: number; now?: () => number } = {}): {
  people: PeopleDirectory;
  source: StubSource;
  logs: string[];
} {
  const logs: string[] = [];
  const people = new PeopleDirectory({
    timeoutMs: options.timeoutMs ?? 5000,
    ttlMs: 1000,
    missTtlMs: 100,
    ...(options.now === undefined ? {} : { now: options.now }),
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
  });
  const source = new StubSource(
    new Map([
      [anna, { name: '@anna', locale: 'en-AU' }],
      [oleg, { name: '@oleg', locale: 'de' }],
    ]),
  );
  people.use('mattermost', source);
  return { people, source, logs };
}

describe('PeopleDirectory', () => {
  it('names people in one request per messenger, and keeps the ids of those it cannot', async () => {
    const { people, source } = setup();
    const names = await people.names([
      `mattermost:${anna}`,
      `mattermost:${oleg}`,
      `mattermost:${'z'.repeat(26)}`,
      'local:root',
      'matrix:@sam:example.org',
      'system:scheduler',
    ]);
    expect([...names.values()]).toEqual([
      '@anna',
      '@oleg',
      `mattermost:${'z'.repeat(26)}`,
      'root',
      // No Matrix source: the user id, as Matrix shows it.
      '@sam:example.org',
      'system:scheduler',
    ]);
    expect(source.asked).toEqual([[anna, oleg, 'z'.repeat(26)]]);
  });

  it('keeps names for a while: a second answer asks nothing, one after the time asks again', async () => {
    let now = 1_000_000;
    const { people, source } = setup({ now: () => now });
    await people.names([`mattermost:${anna}`]);
    await people.names([`mattermost:${anna}`]);
    expect(source.asked).toHaveLength(1);
    now += 1001;
    expect(await people.name(`mattermost:${anna}`)).toBe('@anna');
    expect(source.asked).toHaveLength(2);
  });

  it('asks once for a person two answers want at the same time', async () => {
    const { people, source } = setup();
    source.hold();
    const both = Promise.all([
      people.name(`mattermost:${anna}`),
      people.name(`mattermost:${anna}`),
    ]);
    source.release();
    expect(await both).toEqual(['@anna', '@anna']);
    expect(source.asked).toHaveLength(1);
  });

  it('shows the id when the lookup is slower than its time limit, and the name once it arrived', async () => {
    const { people, source } = setup({ timeoutMs: 50 });
    source.hold();
    expect(await people.name(`mattermost:${anna}`)).toBe(`mattermost:${anna}`);
    source.release();
    // The late answer fills the cache; the next answer asks nothing and has the name.
    await expect.poll(() => people.cachedName(`mattermost:${anna}`)).toBe('@anna');
    expect(await people.name(`mattermost:${anna}`)).toBe('@anna');
    expect(source.asked).toHaveLength(1);
  });

  it('shows the id when the messenger fails, logs it, and asks again after a short time', async () => {
    let now = 1_000_000;
    const { people, source, logs } = setup({ now: () => now });
    source.fail = true;
    expect(await people.name(`mattermost:${anna}`)).toBe(`mattermost:${anna}`);
    expect(await people.name(`mattermost:${anna}`)).toBe(`mattermost:${anna}`);
    expect(source.asked).toHaveLength(1);
    expect(logs.join('\n')).toContain('names could not be looked up');
    source.fail = false;
    now += 101;
    expect(await people.name(`mattermost:${anna}`)).toBe('@anna');
  });

  it("gives a person's language only when the bot speaks it", async () => {
    const { people } = setup();
    expect(await people.person(`mattermost:${anna}`)).toEqual({ name: '@anna', locale: 'en' });
    expect(await people.person(`mattermost:${oleg}`)).toEqual({ name: '@oleg' });
    expect(await people.person(`mattermost:${'z'.repeat(26)}`)).toEqual({});
    expect(await people.person('local:root')).toEqual({ name: 'root' });
  });

  it('names rooms, and keeps the id of a room without a name or when the lookup fails', async () => {
    const { people, source } = setup();
    source.rooms.set('c'.repeat(26), 'Operations');
    const rooms = await people.roomNames([
      `mattermost:${'c'.repeat(26)}`,
      `mattermost:${'d'.repeat(26)}`,
      'terminal',
    ]);
    expect([...rooms.values()]).toEqual(['Operations', `mattermost:${'d'.repeat(26)}`, 'terminal']);
    source.fail = true;
    const failed = await people.roomNames([`mattermost:${'e'.repeat(26)}`]);
    expect(failed.get(`mattermost:${'e'.repeat(26)}`)).toBe(`mattermost:${'e'.repeat(26)}`);
  });
});
