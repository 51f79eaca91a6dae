/**
 * Fuzzing the Matrix event handler (src/chat/matrix/conversation.ts) with arbitrary room
 * events: messages with any msgtype, body and relation, reactions to the bot's messages and
 * to anything else, events of other types, from the bot itself, old and from the future, and
 * arbitrary JSON content. The handler runs with a bot on real SQLite stores; the bot's posts
 * are marked sent after each case (as the outbox dispatcher would), so reactions find the
 * prompts they answer. 10,000 events go to the handler directly: through a homeserver each
 * would cost a sync round trip (test/chat/matrix covers that path).
 *
 * Properties: handling never throws and leaves no unhandled rejection; an event from the bot
 * itself, of another type, or handled a second time changes nothing; an event answered at
 * all is answered with at most one message; a command the bot refuses (audited invalid or
 * denied) opens no job and asks no confirmation.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Conversation } from '../../src/chat/matrix/conversation.ts';
import type { InboundEvent } from '../../src/chat/matrix/inbound.ts';
import { MatrixOutbox } from '../../src/chat/matrix/outbox-writer.ts';
import { settlePrompts } from '../../src/chat/matrix/prompts.ts';
import { renderMessage } from '../../src/chat/matrix/render.ts';
import { roomOf, type MatrixSettings } from '../../src/chat/matrix/types.ts';
import type { Locale } from '../../src/core/i18n.ts';
import type { NamedActor } from '../../src/core/confirmation-story.ts';
import type { Message } from '../../src/core/message.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteMatrixState } from '../../src/store/matrix-repo.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { chatBot, chatCatalog, echo, wipe } from '../helpers/chat-bot.ts';
import { commandLine } from './arbitraries.ts';
import { fuzz, fuzzTimeout, lastRowIds } from './fuzz.ts';

const me = '@pes:example.org';
const admin = '@anna:example.org';
const operator = '@oleg:example.org';
const stranger = '@sam:example.org';
const ops = '!ops:example.org';
const dm = '!dm:example.org';

const db = openDatabase(':memory:');
const logs: string[] = [];
const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
const catalog = chatCatalog({
  admin: `matrix:${admin}`,
  operator: `matrix:${operator}`,
  operatorCommands: ['status', 'echo'],
  secrets: [],
});
const bot = chatBot({ db, catalog, log, extra: [echo, wipe] });
const state = new SqliteMatrixState(db);
const store = new SqliteOutboxStore(db);
const outbox = new MatrixOutbox(store, () => undefined);
const settings: MatrixSettings = {
  homeserverUrl: 'http://127.0.0.1:1',
  userId: me,
  accessToken: 'matrix-token-0123456789',
  deviceId: 'DEVICEID01',
  allowedInviters: [admin],
  allowedRooms: [],
  rooms: [ops, dm],
};
const render = (message: Message, roomId: string): ReturnType<typeof renderMessage> =>
  renderMessage(message, bot.localeFor({ room: { id: roomOf(roomId) } }));
const prompts = {
  state,
  confirmations: new SqliteConfirmationStore(db),
  outbox,
  locale: (roomId: string) => bot.localeFor({ room: { id: roomOf(roomId) } }),
  render,
  decided: (code: string, locale: Locale, who: NamedActor | undefined) =>
    bot.decidedPrompt(code, { locale, who })?.message,
};
const conversation = new Conversation({
  settings,
  bot,
  outbox,
  state,
  render,
  isDirect: (roomId) => roomId === dm,
  settlePrompts: (roomId) => settlePrompts(prompts, roomId),
  log,
  maxAgeMs: 15 * 60 * 1000,
  decisionWaitMs: 20,
});
afterAll(() => db.close());

/** What the dispatcher would do: every queued row is sent, the event id `$b<row id>`. */
let sentUpTo = 0;
function sendQueued(): void {
  // From the last row sent on: a scan of the whole outbox per case made 100,000 cases slow.
  const rows = db
    .prepare("SELECT id FROM outbox WHERE id > ? AND state = 'pending' ORDER BY id")
    .all(sentUpTo) as { id: number }[];
  for (const { id } of rows) {
    store.markSent(id, `$b${id}`);
    sentUpTo = id;
  }
}

const tables = ['audit', 'jobs', 'confirmations', 'outbox', 'matrix_seen', 'matrix_prompts'];

const junk = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', '__proto__', '<b>x</b>', '> quoted\n\nrest'),
);

const relation = fc.oneof(
  fc.constant(undefined),
  fc.record({
    rel_type: fc.constantFrom('m.thread', 'm.replace', 'm.annotation', 'm.reference', 'x'),
    // `$recent<k>`: the k-th newest prompt of the bot, filled in when the event is made.
    event_id: fc.oneof(
      fc.nat({ max: 8 }).map((n) => `$recent${n}`),
      junk,
      fc.constant(42),
    ),
    key: fc.oneof(fc.constantFrom('✅', '❌', '👀', '1️⃣', '✅️', 'x'), junk),
  }),
  fc.jsonValue(),
);

const body = fc.oneof(
  { weight: 5, arbitrary: commandLine.map((c) => `!pes ${c}`) },
  { weight: 3, arbitrary: commandLine },
  { weight: 3, arbitrary: fc.constantFrom('!pes wipe moodle', '!pes confirm ZZZZ', '!pes') },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => `!pes echo ${'x'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const messageContent = fc
  .record({
    msgtype: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('m.text', 'm.emote') },
      { weight: 1, arbitrary: fc.constantFrom('m.notice', 'm.file') },
      { weight: 1, arbitrary: junk },
    ),
    body,
    rel: relation,
  })
  .map(({ msgtype, body, rel }) => ({
    msgtype,
    body,
    ...(rel === undefined ? {} : { 'm.relates_to': rel }),
  }));

/** A reaction as clients send it, on one of the bot's newest messages (or not quite). */
const reactionContent = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ k: fc.nat({ max: 8 }), key: fc.oneof(fc.constantFrom('✅', '❌', '✅️'), junk) })
      .map(({ k, key }) => ({
        'm.relates_to': { rel_type: 'm.annotation', event_id: `$recent${k}`, key },
      })),
  },
  { weight: 1, arbitrary: relation.map((rel) => ({ 'm.relates_to': rel })) },
);

const anyContent = fc.oneof(
  messageContent,
  reactionContent,
  fc.dictionary(junk, fc.jsonValue(), { maxKeys: 4 }),
);

/** Mostly messages and reactions shaped as such; now and then any type with any content. */
const typed = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ type: fc.constant('m.room.message'), content: messageContent }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('m.reaction'), content: reactionContent }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.oneof(
        fc.constantFrom('m.room.message', 'm.reaction', 'm.room.encrypted', 'm.room.member'),
        junk,
      ),
      content: anyContent,
    }),
  },
);

const event = fc.record({
  id: fc.oneof(
    // A new event id each time (fast-check's uuids repeat small values on purpose).
    { weight: 9, arbitrary: fc.constant('fresh') },
    { weight: 1, arbitrary: fc.constantFrom('$same', '') },
  ),
  roomId: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(ops, dm) },
    { weight: 1, arbitrary: fc.constantFrom('!other:example.org', '') },
    { weight: 1, arbitrary: junk },
  ),
  sender: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(admin, operator, stranger) },
    { weight: 1, arbitrary: fc.constant(me) },
    { weight: 1, arbitrary: junk },
  ),
  typed,
  // Most rooms in clear text; an encrypted room gets decrypted and clear-text events.
  encryption: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ encrypted: false, roomEncrypted: false }) },
    {
      weight: 1,
      arbitrary: fc.record({ encrypted: fc.boolean(), roomEncrypted: fc.constant(true) }),
    },
  ),
  ageMs: fc.oneof(
    { weight: 6, arbitrary: fc.nat({ max: 60_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3_600_000, max: 3_600_000 }) },
  ),
});

type Generated = typeof event extends fc.Arbitrary<infer T> ? T : never;

/** The content with `$recent<k>` made into the event id of the k-th newest bot prompt. */
function withTargets(content: Record<string, unknown>): Record<string, unknown> {
  const rel = content['m.relates_to'];
  if (rel === null || typeof rel !== 'object' || Array.isArray(rel)) return content;
  const id = (rel as Record<string, unknown>)['event_id'];
  const k = typeof id === 'string' ? /^\$recent(\d)$/.exec(id)?.[1] : undefined;
  if (k === undefined) return content;
  const row = db
    .prepare(
      `SELECT id FROM outbox WHERE kind = 'post' AND json_extract(payload, '$.actions') IS NOT NULL
        ORDER BY id DESC LIMIT 1 OFFSET ?`,
    )
    .get(Number(k)) as { id: number } | undefined;
  const target = `$b${row?.id ?? lastOutboxId()}`;
  return { ...content, 'm.relates_to': { ...rel, event_id: target } };
}

let sequence = 0;

function inbound(g: Generated): InboundEvent {
  return {
    eventId: g.id === 'fresh' ? `$e${++sequence}` : g.id,
    roomId: g.roomId,
    sender: g.sender,
    type: g.typed.type,
    ...g.encryption,
    originTs: Date.now() - g.ageMs,
    content: withTargets(g.typed.content),
  };
}

function lastAuditId(): number {
  const row = db.prepare('SELECT coalesce(max(id), 0) AS id FROM audit').get() as { id: number };
  return row.id;
}

function newPosts(fromId: number): number {
  const row = db
    .prepare(
      `SELECT count(*) AS n FROM outbox WHERE id > ? AND kind = 'post'
          AND json_extract(payload, '$.type') = 'm.room.message'
          AND json_extract(payload, '$.upload') IS NULL`,
    )
    .get(fromId) as { n: number };
  return row.n;
}

function lastOutboxId(): number {
  const row = db.prepare('SELECT coalesce(max(id), 0) AS id FROM outbox').get() as { id: number };
  return row.id;
}

describe('fuzz: Matrix event handler', () => {
  it(
    'handles any event without failing; what it must ignore changes nothing, nothing is taken twice',
    async () => {
      await fuzz('matrix conversation', event, async (g) => {
        const e = inbound(g);
        const before = lastRowIds(db, tables);
        const auditFrom = lastAuditId();
        const outboxFrom = lastOutboxId();
        await conversation.handle(e, me);
        const after = lastRowIds(db, tables);
        const ignored = e.sender === me || (e.type !== 'm.room.message' && e.type !== 'm.reaction');
        if (ignored) expect(after).toEqual(before);
        // One answer at most (its files, its reaction menu and edits are not more answers).
        expect(newPosts(outboxFrom)).toBeLessThanOrEqual(1);
        const decisions = (
          db.prepare('SELECT decision FROM audit WHERE id > ?').all(auditFrom) as {
            decision: string;
          }[]
        ).map((r) => r.decision);
        if (decisions.length > 0 && decisions.every((d) => d === 'invalid' || d === 'denied')) {
          expect(after['jobs']).toBe(before['jobs']);
          expect(after['confirmations']).toBe(before['confirmations']);
        }
        sendQueued();
        // The same event again (a sync that repeats it, a restart): taken once only.
        const settled = lastRowIds(db, tables);
        await conversation.handle(e, me);
        expect(lastRowIds(db, tables)).toEqual(settled);
      });
      const reached = db
        .prepare("SELECT count(*) AS n FROM audit WHERE source = 'button'")
        .get() as { n: number };
      console.log('reactions that ran a command:', reached.n, 'audit rows:', lastAuditId());
    },
    fuzzTimeout(20),
  );
});
