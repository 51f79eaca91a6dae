/**
 * The server half of a benchmark that talks to the bot over HTTP: the Mattermost harness runs
 * in a child process started like the bot (bot-process.ts), as `pes serve` runs apart from
 * Mattermost, so that the client's sockets do not compete with it for one event loop.
 */
import { createInterface } from 'node:readline';
import { createLogger } from '../src/core/logger.ts';
import { startCheckpointer } from '../src/store/checkpointer.ts';
import { slashTokens, type Harness } from '../test/fakes/mattermost/harness.ts';
import { spawnBotLike } from './bot-process.ts';

/** What the child tells the client: where the bot and the fake listen, and who is who. */
export interface ServerInfo {
  readonly base: string;
  readonly fake: string;
  readonly team: string;
  readonly channel: string;
  readonly user: string;
}

/** In the child: runs the checkpointer as `pes serve` does, says where it is, stops at EOF. */
export function serveHarness(h: Harness, stopMore: () => void = () => undefined): void {
  const checkpointer = startCheckpointer(
    h.db,
    h.dbPath,
    createLogger({ level: 'error', write: () => undefined }),
  );
  const info: ServerInfo = {
    base: h.baseUrl,
    fake: h.fake.url,
    team: h.fake.data.teamId,
    channel: h.ops.id,
    user: h.operator.id,
  };
  process.stdout.write(JSON.stringify(info) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    checkpointer.stop();
    stopMore();
    void h.close().then(() => process.exit(0));
  });
}

/** In the client: starts `script --server` and waits for the line that says where it is. */
export async function startServer(script: string): Promise<{ info: ServerInfo; stop(): void }> {
  const child = spawnBotLike(script);
  child.stderr.pipe(process.stderr);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith('{')) {
      return { info: JSON.parse(line) as ServerInfo, stop: () => child.stdin.end() };
    }
  }
  throw new Error('the bench server did not start');
}

/** The body Mattermost posts for `/pes <text>` typed by the operator in the ops channel. */
export function slashForm(info: ServerInfo, text: string): string {
  return new URLSearchParams({
    token: slashTokens[0] ?? '',
    team_id: info.team,
    channel_id: info.channel,
    channel_name: 'ops',
    user_id: info.user,
    user_name: 'oleg',
    command: '/pes',
    text,
    trigger_id: 'bench',
    response_url: `${info.fake}/hooks/commands/bench`,
  }).toString();
}
