/** Writes at a fixed rate, for the failover benchmarks (Sentinel and Cluster). */
import { performance } from 'node:perf_hooks';

/** Epoch milliseconds, sub-millisecond precision: the clock of the topology's `SwitchEvent.at`. */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
export const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

export interface WriteRecord {
  /** The write is `SET key_<i> <i>`. */
  i: number;
  issuedAt: number;
  doneAt: number | undefined;
  ok: boolean | undefined;
  error: string | undefined;
  /** sentinelkit only: port of the node the last attempt ran on, and how many attempts ran. */
  port: number | undefined;
  attempts: number;
}

export type Send = (key: string, value: string, record: WriteRecord) => Promise<unknown>;

/** Issues writes at a fixed rate from a timer, never waiting for earlier ones. */
export class Writer {
  readonly records: WriteRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #pending = 0;
  #idle: (() => void) | undefined;

  constructor(
    private readonly send: Send,
    /** Writes per second. */
    private readonly rate: number,
  ) {}

  start(): void {
    this.#startedAt = now();
    this.#issue();
    // Catches up after a late tick, so the rate holds on average whatever the event loop does.
    this.#timer = setInterval(() => {
      const due = Math.floor(((now() - this.#startedAt) * this.rate) / 1000) + 1;
      while (this.records.length < due) this.#issue();
    }, 1000 / this.rate);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Resolves when no write is pending, or after `ms`; returns how many are still pending. */
  async settle(ms: number): Promise<number> {
    if (this.#pending > 0) {
      await Promise.race([new Promise<void>((resolve) => (this.#idle = resolve)), sleep(ms)]);
    }
    this.#idle = undefined;
    return this.#pending;
  }

  #issue(): void {
    const i = this.records.length;
    const record: WriteRecord = {
      i,
      issuedAt: now(),
      doneAt: undefined,
      ok: undefined,
      error: undefined,
      port: undefined,
      attempts: 0,
    };
    this.records.push(record);
    this.#pending++;
    let promise: Promise<unknown>;
    try {
      promise = this.send(`key_${i}`, String(i), record);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise
      .then(
        () => {
          record.doneAt = now();
          record.ok = true;
        },
        (error: unknown) => {
          record.doneAt = now();
          record.ok = false;
          record.error = messageOf(error);
        },
      )
      .finally(() => {
        this.#pending--;
        if (this.#pending === 0) this.#idle?.();
      });
  }
}
