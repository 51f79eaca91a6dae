/**
 * A real `pes serve` (a child process, as a person starts it) with `server.metricsToken`,
 * scraped once over HTTP: what the dashboard and the alert rules may name.
 */
import { rmSync } from 'node:fs';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe, type Serving } from '../helpers/serve.ts';
import { parseExposition, token, type Scrape } from './bed.ts';

/** Resolves once the start line is printed; rejects with what it said if it exits first. */
function listening(serving: Serving): Promise<void> {
  return new Promise((resolve, reject) => {
    const look = (): void => {
      if (serving.output().includes('listening on http://127.0.0.1:')) resolve();
    };
    serving.child.stdout?.on('data', look);
    look();
    void serving.exited.then((code) =>
      reject(new Error(`pes serve exited (${code}) before listening: ${serving.output()}`)),
    );
  });
}

export async function scrapeRealBot(): Promise<Scrape> {
  const port = await freePort();
  const w = tempWorkdir(
    [
      'locale: en',
      'state: { path: state/pes.db }',
      `server: { host: 127.0.0.1, port: ${port}, metricsToken: "\${PES_TEST_METRICS}" }`,
      // No engine answers there: the bot starts all the same and says so.
      'docker: { host: "unix:///nonexistent/docker.sock" }',
      'services:',
      '  web:',
      '    containers: { compose: { project: p, service: web } }',
      '    backup: { schedule: "0 3 * * *", drill: "0 5 * * 0" }',
      // Nothing listens there: the adapter keeps retrying, and its connection shows as down.
      'mattermost:',
      '  url: http://127.0.0.1:9',
      '  botToken: "${PES_TEST_METRICS}"',
      '  slashTokens: ["${PES_TEST_METRICS}"]',
      `  teams: [${'a'.repeat(26)}]`,
      `  channels: [${'b'.repeat(26)}]`,
      'alerts:',
      '  token: "${PES_TEST_METRICS}"',
      `  defaultRoom: mattermost:${'b'.repeat(26)}`,
      '',
    ].join('\n'),
  );
  const serving = startServe(w, { PES_TEST_METRICS: token });
  try {
    await listening(serving);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`the scrape answered ${res.status}`);
    return parseExposition(await res.text());
  } finally {
    serving.child.kill('SIGTERM');
    await serving.exited;
    rmSync(w.dir, { recursive: true, force: true });
  }
}
