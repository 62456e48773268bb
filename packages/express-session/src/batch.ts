/**
 * Operations asked for in the same tick, sent together: `send` gets every item of the tick at
 * once (one `MGET` instead of one `GET` each, say) at the end of the tick (`process.nextTick`),
 * which costs a lone operation nothing measurable. Many concurrent requests are where this
 * counts: one command for Redis to run and one reply to parse, where the client's cost per
 * command is most of the time spent.
 */
export class TickBatch<T, I = string> {
  #keys: I[] = [];
  #waiters: { resolve: (value: T) => void; reject: (error: unknown) => void }[] = [];

  /** @param send - Resolves with one answer per item, in order. */
  constructor(
    private readonly send: (items: I[]) => Promise<T[]>,
    private readonly maxKeys = 500,
  ) {}

  /** Resolves with `key`'s answer once its batch is sent and answered. */
  get(key: I): Promise<T> {
    if (this.#keys.length >= this.maxKeys) this.#flush();
    if (this.#keys.length === 0) process.nextTick(() => this.#flush());
    this.#keys.push(key);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  #flush(): void {
    const keys = this.#keys;
    const waiters = this.#waiters;
    if (keys.length === 0) return;
    this.#keys = [];
    this.#waiters = [];
    let sent: Promise<T[]>;
    try {
      sent = this.send(keys);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (values) => {
        for (const [i, waiter] of waiters.entries()) waiter.resolve(values[i] as T);
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
