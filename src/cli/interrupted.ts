/**
 * What `pes serve` says at start-up about the jobs a dead process left behind: a line in the
 * terminal, and for a job typed in Mattermost a post in its own room, since the person who
 * started it is waiting there and never looks at the bot's terminal.
 */
import { roomPrefix } from '../chat/mattermost/outbox-writer.ts';
import { roomPrefix as matrixRoomPrefix } from '../chat/matrix/types.ts';
import type { Locale, Text } from '../core/i18n.ts';
import { localize } from '../core/i18n.ts';
import type { JobRecord } from '../core/jobs.ts';
import type { Message } from '../core/message.ts';

export const interruptedText = {
  ru: 'Задача {id} ({text}) была прервана остановкой бота.',
  en: 'Job {id} ({text}) was interrupted when the bot stopped.',
} as const;

/** Posts a message nobody asked for into a room; false when refused (and logged). */
export type Announce = (room: string, message: Message, key: string) => boolean;

export interface InterruptedReport {
  /** Shows a message in the terminal. */
  readonly say: (message: Message) => void;
  /** The terminal's language. */
  readonly locale: Locale;
  /** The language of a room, for the post there. */
  readonly localeFor: (room: string) => Locale;
  /** Absent when no messenger is configured. */
  readonly announce: Announce | undefined;
  /** What a job left its service as and what to run, by job id (interrupted-state.ts). */
  readonly states?: ReadonlyMap<number, Text>;
}

function interruptedMessage(job: JobRecord, locale: Locale, state: Text | undefined): Message {
  const text = localize(interruptedText, locale, { id: job.id, text: job.text });
  return { severity: 'warning', text: state === undefined ? text : `${text} ${state[locale]}` };
}

/** A room a messenger adapter can post to (Mattermost channel or Matrix room). */
export function isChatRoom(room: string): boolean {
  return room.startsWith(roomPrefix) || room.startsWith(matrixRoomPrefix);
}

export function reportInterrupted(jobs: readonly JobRecord[], report: InterruptedReport): void {
  for (const job of jobs) {
    const state = report.states?.get(job.id);
    report.say(interruptedMessage(job, report.locale, state));
    if (report.announce === undefined || !isChatRoom(job.room)) continue;
    // Keyed by the job: a restart right after this one (the post still queued) cannot post
    // it twice.
    report.announce(
      job.room,
      interruptedMessage(job, report.localeFor(job.room), state),
      `interrupted:${job.id}`,
    );
  }
}
