/**
 * The real `pes serve` killed with SIGKILL in the middle of a burst of Alertmanager
 * notifications, at a seeded random moment, then started again: every notification the
 * receiver answered 200 is posted in Mattermost exactly once, and what was refused or cut
 * (and so sent again, as Alertmanager retries a connection error) is posted once too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { payloadOf } from '../alerts/fixtures.ts';
import { CrashBed, crashAlertToken, crashSeed, pause, seededRandom } from '../helpers/crash-bed.ts';
import { waitFor } from '../helpers/wait.ts';

const seed = crashSeed('alerts-burst');
const random = seededRandom(seed);
const runs = 3;
const burst = 200;
const inFlight = 8;

let bed: CrashBed | undefined;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

function nameOf(run: number, i: number): string {
  return `Burst${run}x${String(i).padStart(4, '0')}`;
}

/** Posts one notification; true when the receiver answered 200, false when cut or refused. */
async function notify(port: number, name: string): Promise<boolean> {
  const payload = payloadOf(`{}:{alertname="${name}"}`, [
    { labels: { alertname: name, severity: 'warning', service: 'moodle' } },
  ]);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${crashAlertToken}` },
      body: JSON.stringify(payload),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Sends `names` with a few requests in flight, as Alertmanager's groups do. */
async function send(port: number, names: readonly string[], accepted: Set<string>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < names.length) {
        const name = names[next++] ?? '';
        if (await notify(port, name)) accepted.add(name);
      }
    }),
  );
}

describe('pes serve killed during an alert burst', () => {
  it(`delivers every accepted notification exactly once (${runs} runs)`, async () => {
    const b = await CrashBed.create({ alerts: true });
    bed = b;
    for (let run = 0; run < runs; run++) {
      await b.start();
      const names = Array.from({ length: burst }, (_, i) => nameOf(run, i));
      /** How many root posts name each alert of this run (its name is in the title). */
      const postedCounts = (): Map<string, number> => {
        const counts = new Map<string, number>();
        for (const text of b.botTexts()) {
          for (const name of new Set(text.match(new RegExp(`Burst${run}x\\d{4}`, 'g')))) {
            counts.set(name, (counts.get(name) ?? 0) + 1);
          }
        }
        return counts;
      };
      const accepted = new Set<string>();
      const sending = send(b.port, names, accepted);
      // Killed while the burst still comes in: after a seeded share of it was accepted (20 to
      // 70 %), and a seeded extra moment.
      const before = Math.floor(burst * (0.2 + random() * 0.5));
      const extraMs = random() * 30;
      process.stdout.write(
        `run ${run}: kill after ${before} accepted + ${extraMs.toFixed(0)} ms\n`,
      );
      await waitFor(() => accepted.size >= before, `${before} accepted notifications`, 60_000);
      await pause(extraMs);
      await b.kill();
      const postedAtKill = postedCounts().size;
      await sending;
      const cut = names.filter((n) => !accepted.has(n));
      process.stdout.write(
        `run ${run}: at the kill ${accepted.size} accepted, ${postedAtKill} posted, ${cut.length} cut\n`,
      );
      // The kill came mid-burst: some were accepted and not yet posted, or cut.
      expect(accepted.size).toBeGreaterThan(0);

      await b.start();
      // Alertmanager sends again what got no 200.
      await send(b.port, cut, accepted);
      expect(accepted.size).toBe(burst);
      await waitFor(() => postedCounts().size === burst, 'every notification posted', 90_000);
      await waitFor(() => b.outboxPending() === 0, 'the outbox to drain', 30_000);
      const counts = postedCounts();
      const twice = names.filter((n) => counts.get(n) !== 1);
      expect(twice, `posted more than once (seed ${seed})`).toEqual([]);
      await b.auditVerified();
      await b.stop();
    }
  }, 240_000);
});
