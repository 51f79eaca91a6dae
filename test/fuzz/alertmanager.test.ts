/**
 * Fuzzing the Alertmanager webhook through the real HTTP server and a real SQLite inbox:
 * arbitrary bodies, JSON, real payloads with fields replaced, and credentials right, wrong
 * or missing. Properties: only the documented statuses (200, 400, 401, 413; README "Alerts"),
 * each for exactly the input it is documented for; the server never fails (no 5xx, no error
 * logged); a refused request stores nothing, a stored one reads back through the schema the
 * delivery uses.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedPayload, webhookPayload } from '../../src/alerts/payload.ts';
import { rawFixture } from '../alerts/fixtures.ts';
import { startReceiver, token, type Receiver } from '../alerts/helpers.ts';
import { fuzz, fuzzTimeout, lastRowIds } from './fuzz.ts';
import { headerChars, send } from './http.ts';

const maxBodyBytes = 16 * 1024;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver({ maxBodyBytes });
});
afterAll(async () => {
  await receiver.close();
});

const firing = JSON.parse(rawFixture('firing')) as Record<string, unknown>;

/** Strings a label value or a field may hold, hostile ones included. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', '__proto__', '<b>x</b>', '@channel', '](javascript:x)', '\u0000', '\ud800'),
);

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  text,
  fc.dictionary(text, text, { maxKeys: 4 }),
  fc.constantFrom('4', 4, null, [], {}),
);

/** The real payload with a few fields (top level or of its first alert) replaced or removed. */
const mutatedPayload = fc
  .array(
    fc.record({
      inAlert: fc.boolean(),
      key: fc.constantFrom(
        'version',
        'groupKey',
        'truncatedAlerts',
        'status',
        'receiver',
        'groupLabels',
        'commonLabels',
        'commonAnnotations',
        'externalURL',
        'alerts',
        'labels',
        'annotations',
        'startsAt',
        'endsAt',
        'fingerprint',
        '__proto__',
        'extra',
      ),
      value: fc.option(value),
    }),
    { maxLength: 3 },
  )
  .map((edits) => {
    const payload = structuredClone(firing);
    const alerts = payload['alerts'];
    const first: unknown = Array.isArray(alerts) ? alerts[0] : undefined;
    for (const edit of edits) {
      const target =
        edit.inAlert && first !== null && typeof first === 'object'
          ? (first as Record<string, unknown>)
          : payload;
      if (edit.value === null) Reflect.deleteProperty(target, edit.key);
      else
        Object.defineProperty(target, edit.key, {
          value: edit.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return JSON.stringify(payload);
  });

const body = fc.oneof(
  { weight: 6, arbitrary: mutatedPayload },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  { weight: 1, arbitrary: mutatedPayload.map((p) => p.slice(0, Math.floor(p.length / 2))) },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 3 * maxBodyBytes })
      .map((n) => `{"version":"4","x":"${'a'.repeat(n)}"}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '[', '{}', 'null', '"4"', '[]'.repeat(5000)) },
);

const auth = fc.oneof(
  { weight: 6, arbitrary: fc.constant(`Bearer ${token}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      `bearer ${token}`,
      `Bearer  ${token} `,
      `Basic ${token}`,
      `Bearer ${token}x`,
      'Bearer',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...headerChars), maxLength: 60 }) },
);

const contentType = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
);

/** What the receiver must answer, worked out from the input alone. */
function expectedStatus(authorization: string | undefined, raw: string): number {
  const m = /^(\S+)\s+(\S+)$/.exec(authorization?.trim() ?? '');
  if (m?.[1]?.toLowerCase() !== 'bearer' || m[2] !== token) return 401;
  if (Buffer.byteLength(raw) > maxBodyBytes) return 413;
  try {
    return webhookPayload.safeParse(JSON.parse(raw)).success ? 200 : 400;
  } catch {
    return 400;
  }
}

describe('fuzz: Alertmanager webhook over HTTP', () => {
  it(
    'answers each request with its documented status and stores only what it accepts',
    async () => {
      const input = fc.record({ auth, body, contentType });
      await fuzz('alertmanager webhook', input, async ({ auth, body, contentType }) => {
        const before = lastRowIds(receiver.db, ['alert_batches']);
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers['authorization'] = auth;
        if (contentType !== undefined) headers['content-type'] = contentType;
        const reply = await send(receiver.url, { headers, body });
        const after = lastRowIds(receiver.db, ['alert_batches']);
        const expected = expectedStatus(auth, body);
        expect(reply.status, reply.text).toBe(expected);
        const stored = reply.json as { status?: string; id?: number } | undefined;
        if (reply.status === 200 && stored?.status === 'stored') {
          // The new row is the newest one (ids are not contiguous: a duplicate uses one up).
          expect(after['alert_batches']).toBeGreaterThan(before['alert_batches'] ?? 0);
          expect(stored.id).toBe(after['alert_batches']);
          const row = receiver.db
            .prepare('SELECT payload FROM alert_batches WHERE id = ?')
            .get(stored.id ?? -1) as { payload: string } | undefined;
          expect(row).toBeDefined();
          expect(() => storedPayload(row?.payload ?? '')).not.toThrow();
        } else {
          expect(after).toEqual(before);
        }
        expect(receiver.logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
      });
    },
    fuzzTimeout(20),
  );
});
