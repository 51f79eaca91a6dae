/**
 * Answers of one room in the order its commands came, for every chat front end.
 *
 * Each command is handled as soon as it arrives, so commands that arrive together run side
 * by side and each writes its answer into the outbox when it is done: a quick command typed
 * after a slower one was answered first. That is what happened after a homeserver outage,
 * when the clients sent what they had queued all at once: `whoami`, `status moodle`, `jobs`
 * were answered whoami, jobs, status. The outbox sends a room's messages in the order they
 * were written (src/store/outbox-repo.ts); this makes them written in the order the commands
 * came. A command of a room waits to start until the command before it has written its
 * first answer (a reply, its progress message, or its result) or has finished, and at most
 * `holdMs` after that command started, so a long job that says nothing holds nobody for long.
 */
import type { InvocationSink, ProgressUpdate } from '../core/invocation.ts';
import type { Message } from '../core/message.ts';

export interface Turn {
  /** Resolves when this command may start. */
  readonly ready: Promise<void>;
  /** This command wrote its first answer or is done: the next one may start. Idempotent. */
  release(): void;
}

export class AnswerOrder {
  readonly #holdMs: number;
  /** Per room, the release of the newest turn taken. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(holdMs = 5000) {
    this.#holdMs = holdMs;
  }

  /**
   * Takes the next turn of `room`. Must be called synchronously when the command arrives:
   * the order of the calls is the order of the answers.
   */
  enter(room: string): Turn {
    const previous = this.#tails.get(room) ?? Promise.resolve();
    let resolve: () => void = () => undefined;
    const released = new Promise<void>((r) => {
      resolve = r;
    });
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const ready = previous.then(() => {
      if (!done) timer = setTimeout(release, this.#holdMs).unref();
    });
    // The next command waits for this one's release and for every one before it, even when
    // this one (a message that is no command) is released before its turn came.
    const tail = ready.then(() => released);
    this.#tails.set(room, tail);
    void tail.then(() => {
      if (this.#tails.get(room) === tail) this.#tails.delete(room);
    });
    return { ready, release };
  }
}

/** The sink a command writes to, releasing its turn at the first thing it writes. */
export function releasingSink(sink: InvocationSink, turn: Turn): InvocationSink {
  return {
    confirm: sink.confirm,
    reply(message: Message): void {
      sink.reply(message);
      turn.release();
    },
    progress(update: ProgressUpdate): void {
      sink.progress(update);
      turn.release();
    },
  };
}
