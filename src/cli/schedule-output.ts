/**
 * Where `pes serve` shows what the scheduler ran: always in the terminal (the operator's log
 * of it), and for a `mattermost:` or `matrix:` room also as posts there, through the
 * adapter's durable outbox. Another kind of room (or no adapter for it) gets the terminal
 * only, with a log line.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduleOutput } from '../backup/schedules.ts';
import { renderForTerminal } from '../chat/terminal/render.ts';
import type { Logger } from '../core/logger.ts';
import type { Message } from '../core/message.ts';
import { isChatRoom, type Announce } from './interrupted.ts';

export function scheduleOutput(
  log: Logger,
  write: (line: string) => void,
  announce?: Announce,
): ScheduleOutput {
  return {
    open: (room) => {
      const toChat = announce !== undefined && isChatRoom(room) ? announce : undefined;
      if (room !== 'terminal' && toChat === undefined)
        log.warn('scheduled results are shown in the terminal only', { room });
      // A run is never replayed after a restart, so a fresh id per run is key enough.
      const run = randomUUID();
      let replies = 0;
      const show = (message: Message, key: string): void => {
        write(renderForTerminal(message, { colour: false }));
        toChat?.(room, message, `schedule:${run}:${key}`);
      };
      return {
        sink: {
          reply: (message) => show(message, `reply:${++replies}`),
          progress: () => undefined,
          // Scheduled commands are never destructive; a question could not be answered anyway.
          confirm: { kind: 'refuse' },
        },
        finish: (outcome) => show(outcome.message, 'result'),
      };
    },
  };
}
