/**
 * Where `pes serve` shows what the scheduler ran. Rooms are the terminal for now: a result
 * for a messenger room is printed here too, with a log line, until the adapters take posts
 * that no one asked for (the Mattermost outbox can; it has no entry point for it yet).
 */
import type { ScheduleOutput } from '../backup/schedules.ts';
import { renderForTerminal } from '../chat/terminal/render.ts';
import type { Logger } from '../core/logger.ts';

export function terminalScheduleOutput(log: Logger, write: (line: string) => void): ScheduleOutput {
  return {
    open: (room) => {
      if (room !== 'terminal')
        log.warn('scheduled results are shown in the terminal only', { room });
      return {
        sink: {
          reply: (message) => write(renderForTerminal(message, { colour: false })),
          progress: () => undefined,
          // Scheduled commands are never destructive; a question could not be answered anyway.
          confirm: { kind: 'refuse' },
        },
        finish: (outcome) => write(renderForTerminal(outcome.message, { colour: false })),
      };
    },
  };
}
