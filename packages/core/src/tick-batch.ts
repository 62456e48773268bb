/**
 * Per-tick batching, once for every package: operations started in the same tick go together at
 * its end (`process.nextTick`): one socket write for the core's commands (tick.ts), one `MGET`
 * for the session store's and the cache store's reads, one script call for the session store's
 * touches. One command for Redis to run and one reply to parse, where the client's cost per
 * command is most of the time spent under concurrency.
 *
 * Waiting for the end of the tick costs a lone operation a little, so it adapts: after a tick
 * with a single operation, the first operation of the next tick goes at once and only the ones
 * that follow it in that tick wait; after a tick with several, they all wait.
 */

/** The adaptive rule alone: counts a tick's operations and says which may go at once. */
export class TickGate {
  /** Operations started in the current tick. */
  #operations = 0;
  /** The last tick had more than one. */
  #busy = false;

  /** @param onTickEnd - Runs at the end of every tick that saw an operation. */
  constructor(private readonly onTickEnd: () => void) {}

  /**
   * Counts one operation. True when it may go at once (the first of a tick after a quiet tick);
   * false when it should wait for the end of the tick.
   */
  enter(): boolean {
    if (this.#operations++ !== 0) return false;
    process.nextTick(this.#endTick);
    return !this.#busy;
  }

  readonly #endTick = (): void => {
    this.onTickEnd();
    this.#busy = this.#operations > 1;
    this.#operations = 0;
  };
}

/** Options of {@link TickBatch}. */
export interface TickBatchOptions<I> {
  /** A batch holding this much is sent before another item joins it. @default 500 */
  maxWeight?: number;
  /** The weight of one item (e.g. its number of keys). @default 1 */
  weigh?: (item: I) => number;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Items asked for in the same tick, sent together: `send` gets every item of a batch at once and
 * resolves with one answer per item, in order. A batch that fails (or whose `send` throws)
 * rejects each of its items; the next batch starts afresh.
 */
export class TickBatch<T, I = string> {
  #items: I[] = [];
  #waiters: Waiter<T>[] = [];
  #weight = 0;
  readonly #gate = new TickGate(() => this.#flush());
  readonly #maxWeight: number;
  readonly #weigh: (item: I) => number;

  constructor(
    private readonly send: (items: I[]) => Promise<T[]>,
    options: TickBatchOptions<I> = {},
  ) {
    this.#maxWeight = options.maxWeight ?? 500;
    this.#weigh = options.weigh ?? (() => 1);
  }

  /** Resolves with `item`'s answer once its batch is sent and answered. */
  get(item: I): Promise<T> {
    if (this.#gate.enter()) return this.#sendNow([item]).then((values) => values[0] as T);
    const weight = this.#weigh(item);
    if (this.#items.length > 0 && this.#weight + weight > this.#maxWeight) this.#flush();
    this.#items.push(item);
    this.#weight += weight;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Sends what is waiting now, not at the end of the tick (before something that must follow it). */
  flush(): void {
    this.#flush();
  }

  #sendNow(items: I[]): Promise<T[]> {
    try {
      return this.send(items);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #flush(): void {
    const items = this.#items;
    const waiters = this.#waiters;
    if (items.length === 0) return;
    this.#items = [];
    this.#waiters = [];
    this.#weight = 0;
    this.#sendNow(items).then(
      (values) => {
        for (const [i, waiter] of waiters.entries()) waiter.resolve(values[i] as T);
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
