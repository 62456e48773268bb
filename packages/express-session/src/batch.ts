/**
 * Operations asked for in the same tick, sent together: `send` gets every item of the tick at
 * once (one `MGET` instead of one `GET` each, say) at the end of the tick (`process.nextTick`).
 * Many concurrent requests are where this counts: one command for Redis to run and one reply to
 * parse, where the client's cost per command is most of the time spent.
 *
 * Waiting for the end of the tick costs a lone operation a little, so it adapts, as the core's
 * corking does: after a tick with a single operation, the first operation of the next tick is
 * sent at once, and only the ones that follow it in that tick wait; after a tick with several,
 * they all wait.
 */
export class TickBatch<T, I = string> {
  #keys: I[] = [];
  #waiters: { resolve: (value: T) => void; reject: (error: unknown) => void }[] = [];
  /** Operations asked for in the current tick. */
  #operations = 0;
  /** The last tick had more than one. */
  #busy = false;

  /** @param send - Resolves with one answer per item, in order. */
  constructor(
    private readonly send: (items: I[]) => Promise<T[]>,
    private readonly maxKeys = 500,
  ) {}

  /** Resolves with `key`'s answer once its batch is sent and answered. */
  get(key: I): Promise<T> {
    if (this.#operations++ === 0) {
      process.nextTick(() => this.#endTick());
      if (!this.#busy) return this.#sendNow([key]).then((values) => values[0] as T);
    }
    if (this.#keys.length >= this.maxKeys) this.#flush();
    this.#keys.push(key);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  #endTick(): void {
    this.#flush();
    this.#busy = this.#operations > 1;
    this.#operations = 0;
  }

  #sendNow(keys: I[]): Promise<T[]> {
    try {
      return this.send(keys);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #flush(): void {
    const keys = this.#keys;
    const waiters = this.#waiters;
    if (keys.length === 0) return;
    this.#keys = [];
    this.#waiters = [];
    this.#sendNow(keys).then(
      (values) => {
        for (const [i, waiter] of waiters.entries()) waiter.resolve(values[i] as T);
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
