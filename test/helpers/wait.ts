/** Polling for tests that wait on something another process or an event loop turn does. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `check` holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
