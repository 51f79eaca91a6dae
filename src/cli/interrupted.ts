/**
 * What `pes serve` says at start-up about the jobs a dead process left behind: a line in the
 * terminal, and for a job typed in Mattermost or Matrix a post in its own room, since the
 * person who started it is waiting there and never looks at the bot's terminal; and the
 * job's progress post there, which would otherwise show its last percentage for ever, is
 * edited to say the job was interrupted.
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

export const progressInterruptedText = {
  ru: '⛔ Задача {id} ({text}) прервана на {percent} %: бот остановился, не закончив её.',
  en: '⛔ Job {id} ({text}) was interrupted at {percent} %: the bot stopped before it finished.',
} as const;

/** Posts a message nobody asked for into a room; false when refused (and logged). */
export type Announce = (room: string, message: Message, key: string) => boolean;

/**
 * Edits the progress post of job `jobId` in `room` (through the outbox) to `message`; false
 * when the job has no progress post there (it never reported progress, or the room is not
 * the messenger's).
 */
export type CloseProgress = (room: string, jobId: number, message: Message) => boolean;

/** What `announce` and `closeProgress` need of a messenger adapter. */
export interface ChatFrontEnd {
  announce(room: string, message: Message, key: string): boolean;
  closeProgress(room: string, jobId: number, message: Message): boolean;
}

/**
 * The ports into the configured messengers: a room `matrix:…` goes to Matrix, any other to
 * Mattermost (which refuses what is not its own). Undefined when neither is configured.
 */
export function chatPorts(
  mattermost: ChatFrontEnd | undefined,
  matrix: ChatFrontEnd | undefined,
): { announce: Announce | undefined; closeProgress: CloseProgress | undefined } {
  if (mattermost === undefined && matrix === undefined) {
    return { announce: undefined, closeProgress: undefined };
  }
  const pick = (room: string): ChatFrontEnd | undefined =>
    room.startsWith(matrixRoomPrefix) ? matrix : mattermost;
  return {
    announce: (room, message, key) => pick(room)?.announce(room, message, key) ?? false,
    closeProgress: (room, jobId, message) =>
      pick(room)?.closeProgress(room, jobId, message) ?? false,
  };
}

/** What the progress post of an interrupted job says from now on, with its state if known. */
export function interruptedProgressMessage(
  job: JobRecord,
  locale: Locale,
  state: string | undefined,
): Message {
  const text = localize(progressInterruptedText, locale, {
    id: job.id,
    text: job.text,
    percent: Math.round(job.progress * 100),
  });
  return { severity: 'warning', text: state === undefined ? text : `${text}\n${state}` };
}

export interface InterruptedReport {
  /** Shows a message in the terminal. */
  readonly say: (message: Message) => void;
  /** The terminal's language. */
  readonly locale: Locale;
  /** The language of a room, for the post there. */
  readonly localeFor: (room: string) => Locale;
  /** Absent when no messenger is configured. */
  readonly announce: Announce | undefined;
  /** Absent when no messenger is configured. */
  readonly closeProgress?: CloseProgress | undefined;
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
    const locale = report.localeFor(job.room);
    report.announce(job.room, interruptedMessage(job, locale, state), `interrupted:${job.id}`);
    report.closeProgress?.(
      job.room,
      job.id,
      interruptedProgressMessage(job, locale, state?.[locale]),
    );
  }
}
