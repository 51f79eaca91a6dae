/**
 * Fuzzing the Mattermost endpoints through the real HTTP server, routes and adapter, with a
 * bot on real SQLite stores: the slash command form (POST /mattermost/command, and GET) and
 * the button callback body (POST /mattermost/actions). Properties: only the documented
 * statuses, each for the input it is documented for (405 a wrong method, 413 a body over
 * 64 KiB, 401 a wrong token, 400 a malformed request, else 200); the server never fails (no
 * 5xx, no error logged for the request); a refused request writes nothing (no audit, job,
 * confirmation or outbox row); a command the bot refuses (audited as invalid or denied)
 * opens no job and asks no confirmation.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmationCodeOf, signActionContext } from '../../src/chat/mattermost/action-context.ts';
import {
  actionSecret,
  slashTokens,
  startHarness,
  type Harness,
} from '../fakes/mattermost/harness.ts';
import { commandLine } from './arbitraries.ts';
import { fuzz, fuzzTimeout, lastRowIds } from './fuzz.ts';
import { headerChars, send } from './http.ts';

const tables = ['audit', 'jobs', 'confirmations', 'outbox'];
const maxBodyBytes = 64 * 1024;
const idRe = /^[a-z0-9]{26}$/;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ noStart: true });
});
afterAll(async () => {
  await h.close();
});

const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const randomId = fc.string({ unit: fc.constantFrom(...lower), minLength: 26, maxLength: 26 });
const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '__proto__', 'A'.repeat(26), 'a'.repeat(27), 'a'.repeat(25)),
);

/** A Mattermost id: one the harness knows (index into `known`), a random one, or junk. */
function idFrom(known: () => readonly string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((i) => known()[i % known().length]) },
    { weight: 1, arbitrary: randomId },
    { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const users = (): readonly string[] => [h.admin.id, h.operator.id, h.stranger.id];
const channels = (): readonly string[] => [h.ops.id];

/** The new audit rows' decisions, oldest first. */
function decisionsSince(lastId: number): string[] {
  const rows = h.db.prepare('SELECT decision FROM audit WHERE id > ? ORDER BY id').all(lastId) as {
    decision: string;
  }[];
  return rows.map((r) => r.decision);
}

function lastAuditId(): number {
  const row = h.db.prepare('SELECT coalesce(max(id), 0) AS id FROM audit').get() as { id: number };
  return row.id;
}

/** No error logged by the HTTP server (a route that threw) since `from`. */
function expectNoServerError(from: number): void {
  const errors = h.logs.slice(from).filter((l) => l.includes('"msg":"http"'));
  expect(errors).toEqual([]);
}

/** Checks what a request changed against what it was answered. */
function expectChanges(
  before: Record<string, number>,
  auditFrom: number,
  refusedAtTheDoor: boolean,
): void {
  const after = lastRowIds(h.db, tables);
  if (refusedAtTheDoor) {
    expect(after).toEqual(before);
    return;
  }
  const decisions = decisionsSince(auditFrom);
  if (decisions.length > 0 && decisions.every((d) => d === 'invalid' || d === 'denied')) {
    expect(after['jobs']).toBe(before['jobs']);
    expect(after['confirmations']).toBe(before['confirmations']);
  }
}

const slashInput = fc.record({
  method: fc.oneof(
    { weight: 12, arbitrary: fc.constant('POST') },
    { weight: 2, arbitrary: fc.constant('GET') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH') },
  ),
  tokenIn: fc.constantFrom('form', 'header', 'both', 'none'),
  token: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...slashTokens) },
    { weight: 1, arbitrary: fc.constantFrom('', 'wrong', `${slashTokens[0] ?? ''}x`) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...headerChars), maxLength: 30 }) },
  ),
  channel: idFrom(channels),
  user: idFrom(users),
  channelName: fc.oneof(
    fc.constant('ops'),
    junk,
    fc.constant(`${'a'.repeat(26)}__${'b'.repeat(26)}`),
  ),
  userName: fc.oneof(fc.constant('anna'), junk),
  text: fc.oneof({ weight: 9, arbitrary: commandLine }, { weight: 1, arbitrary: junk }),
  rootId: fc.option(fc.oneof(randomId, junk)),
  raw: fc.option(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.nat({ max: 2 * maxBodyBytes }).map((n) => `text=${'x'.repeat(n)}`),
      fc.constantFrom('token=a&token=b', '%', '&&&', '=', 'text=%E0%A4%A'),
    ),
    { freq: 5 },
  ),
  contentType: fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/json',
    'text/plain',
    undefined,
  ),
});

type SlashInput = typeof slashInput extends fc.Arbitrary<infer T> ? T : never;

function slashRequest(i: SlashInput): {
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
} {
  const form = new URLSearchParams();
  if (i.tokenIn === 'form' || i.tokenIn === 'both') form.set('token', i.token);
  if (i.channel !== undefined) form.set('channel_id', i.channel);
  if (i.user !== undefined) form.set('user_id', i.user);
  form.set('channel_name', i.channelName);
  form.set('user_name', i.userName);
  form.set('command', '/pes');
  form.set('text', i.text);
  if (i.rootId !== null) form.set('root_id', i.rootId);
  const headers: Record<string, string> = {};
  if (i.tokenIn === 'header' || i.tokenIn === 'both') headers['authorization'] = `Token ${i.token}`;
  if (i.contentType !== undefined) headers['content-type'] = i.contentType;
  // Node answers a request line over its header limit (16 KiB) with 431 before any route
  // sees it, so large raw bodies go by POST only.
  const encoded =
    i.raw !== null && (i.method !== 'GET' || i.raw.length < 8192) ? i.raw : form.toString();
  if (i.method === 'GET') return { url: `${h.commandUrl}?${encoded}`, headers, body: undefined };
  return { url: h.commandUrl, headers, body: encoded };
}

/**
 * The documented answer to a slash request, from the request alone, and whether a command
 * would run (a channel the bot serves, or a direct message).
 */
function expectedSlash(
  i: SlashInput,
  body: string | undefined,
  url: string,
): { status: number; runs: boolean } {
  if (i.method !== 'POST' && i.method !== 'GET') return { status: 405, runs: false };
  if (body !== undefined && Buffer.byteLength(body) > maxBodyBytes) {
    return { status: 413, runs: false };
  }
  const form = i.method === 'GET' ? new URL(url).searchParams : new URLSearchParams(body ?? '');
  const header =
    i.tokenIn === 'header' || i.tokenIn === 'both'
      ? /^Token\s+(\S+)$/i.exec(`Token ${i.token}`.trim())?.[1]
      : undefined;
  const token = form.get('token') ?? header ?? '';
  if (!slashTokens.includes(token)) return { status: 401, runs: false };
  const ok = (v: string | null): boolean => v !== null && idRe.test(v);
  if (!ok(form.get('channel_id')) || !ok(form.get('user_id'))) return { status: 400, runs: false };
  const direct = /^[a-z0-9]{26}__[a-z0-9]{26}$/.test(form.get('channel_name') ?? '');
  return { status: 200, runs: direct || form.get('channel_id') === h.ops.id };
}

describe('fuzz: Mattermost slash command over HTTP', () => {
  it(
    'answers each request with its documented status; a refused one changes nothing',
    async () => {
      await fuzz('mattermost slash', slashInput, async (i) => {
        const { url, headers, body } = slashRequest(i);
        const before = lastRowIds(h.db, tables);
        const auditFrom = lastAuditId();
        const logFrom = h.logs.length;
        const reply = await send(url, {
          method: i.method,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        const expected = expectedSlash(i, body, url);
        expect(reply.status, reply.text).toBe(expected.status);
        expectNoServerError(logFrom);
        expectChanges(before, auditFrom, !expected.runs);
      });
    },
    fuzzTimeout(20),
  );
});

const contextInput = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('signed' as const),
      command: fc.oneof(
        commandLine,
        fc.constantFrom('confirm 7F3K', 'decline 7F3K', 'confirm ZZZZ', 'alerts ack 1'),
      ),
      root: fc.oneof(fc.constant(''), randomId),
      title: fc.string({ maxLength: 20 }),
      otherChannel: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      command: commandLine,
      field: fc.constantFrom('command', 'code', 'channel', 'root', 'title', 'sig', 'v'),
      value: fc.oneof(junk, fc.constant(1), fc.constant(null)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('any' as const), value: fc.jsonValue() }) },
);

const actionInput = fc.record({
  user: idFrom(users),
  channel: idFrom(channels),
  post: fc.oneof(randomId, junk),
  userName: fc.option(junk),
  context: contextInput,
  raw: fc.option(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.nat({ max: 2 * maxBodyBytes }).map((n) => JSON.stringify({ x: 'y'.repeat(n) })),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('', '{', 'null', '[]', '"x"', '{"__proto__":{"user_id":"x"}}'),
    ),
    { freq: 4 },
  ),
});

type ActionInput = typeof actionInput extends fc.Arbitrary<infer T> ? T : never;

function actionBody(i: ActionInput): { body: string; genuine: boolean } {
  if (i.raw !== null) return { body: i.raw, genuine: false };
  let context: unknown;
  let genuine = false;
  const c = i.context;
  if (c.kind === 'signed') {
    const channel = c.otherChannel ? 'z'.repeat(26) : (i.channel ?? '');
    context = signActionContext(actionSecret, {
      command: c.command,
      code: confirmationCodeOf(c.command),
      channel,
      root: c.root,
      title: c.title,
    });
    genuine = !c.otherChannel && i.channel !== undefined && c.command.length <= 4000;
  } else if (c.kind === 'forged') {
    const signed: Record<string, unknown> = {
      ...signActionContext(actionSecret, {
        command: c.command,
        code: confirmationCodeOf(c.command),
        channel: i.channel ?? '',
        root: '',
        title: '',
      }),
    };
    const changed = signed[c.field] !== c.value;
    signed[c.field] = c.value;
    context = signed;
    // Setting a field to the value it had leaves the context as the bot signed it.
    genuine = !changed && i.channel !== undefined;
    // No junk value is the version the bot signs.
    if (c.field === 'v') genuine = false;
  } else {
    context = c.value;
  }
  const body: Record<string, unknown> = { post_id: i.post, context };
  if (i.user !== undefined) body['user_id'] = i.user;
  if (i.channel !== undefined) body['channel_id'] = i.channel;
  if (i.userName !== null) body['user_name'] = i.userName;
  return { body: JSON.stringify(body), genuine };
}

function expectedActionStatus(body: string): number {
  if (Buffer.byteLength(body) > maxBodyBytes) return 413;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 400;
  }
  if (parsed === null || typeof parsed !== 'object') return 400;
  const b = parsed as Record<string, unknown>;
  const ok = (k: string): boolean => typeof b[k] === 'string' && idRe.test(b[k]);
  return ok('user_id') && ok('channel_id') && ok('post_id') ? 200 : 400;
}

describe('fuzz: Mattermost button callbacks over HTTP', () => {
  it(
    'answers each click with its documented status; one not signed by the bot changes nothing',
    async () => {
      await fuzz('mattermost actions', actionInput, async (i) => {
        const { body, genuine } = actionBody(i);
        const before = lastRowIds(h.db, tables);
        const auditFrom = lastAuditId();
        const logFrom = h.logs.length;
        const reply = await send(`${h.baseUrl}/mattermost/actions`, {
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(reply.status, reply.text).toBe(expectedActionStatus(body));
        expectNoServerError(logFrom);
        expectChanges(before, auditFrom, reply.status !== 200 || !genuine);
      });
    },
    fuzzTimeout(20),
  );
});
