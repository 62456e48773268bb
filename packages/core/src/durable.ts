import { Redis } from 'ioredis';
import type { ReplicationInfo } from './role.js';
import { corkUntilTickEnd } from './tick.js';

/**
 * Writes that answer only once replicas acknowledged them (`waitReplicas`), done with few round
 * trips and without stalling other work.
 *
 * `WAIT` blocks the connection it runs on (nothing sent after it runs until it returns), and
 * counts acknowledgements of everything that connection wrote before it. So these writes get a
 * connection of their own, and they are group-committed: the writes that arrive while a `WAIT`
 * is in flight run together next, their commands followed by one `WAIT` in the same socket
 * write. A write then costs one round trip to the master plus the replicas' acknowledgement,
 * and concurrent writes share both.
 *
 * The session store's writer (express-session writer.ts) batches too, for another job: its round
 * is the unit of its read-your-writes rule (a stall deadline per batch whose `WAIT` fell short,
 * re-`WAIT`s for stalled writes), and it hands each round here as one write, so its sessions
 * still cost one `WAIT` per round (docs/architecture.md, "Group commit").
 */

/** A write waiting for its round. */
interface Entry {
  fn: (redis: Redis) => Promise<unknown>;
  wanted: number;
  timeout: number;
  resolve: (outcome: DurableOutcome<unknown>) => void;
  reject: (error: unknown) => void;
  /** Set once `fn` has run (with its value): the write only needs a `WAIT` after it. */
  ran?: { value: unknown };
}

/** What a durable write returns: the callback's value and how many replicas acknowledged. */
export interface DurableOutcome<T> {
  value: T;
  acknowledged: number;
}

/** The write never reached Redis (its node left its role first): it may be run anywhere else. */
export class WriteNotSentError extends Error {
  override readonly name = 'WriteNotSentError';
}

/**
 * The connection a durable write was to run on could not be opened: the node refused or dropped
 * it while it opened (a node Sentinel reconfigures at a failover kills its clients' connections,
 * `CLIENT KILL TYPE normal`). Nothing was sent; the node's connections are not to be trusted.
 */
export class WriteConnectionFailedError extends Error {
  override readonly name = 'WriteConnectionFailedError';
}

/**
 * Why the writes of a round fail when their connection could not be opened: those not sent yet
 * with {@link WriteConnectionFailedError}; those that ran and wait for a `WAIT` (on a connection
 * that broke since) as a lost connection (they may or may not survive).
 */
function unopenedError(entry: Entry, cause: unknown): Error {
  return entry.ran
    ? new Error('Connection is closed. (the connection for its WAIT could not be opened again)', {
        cause,
      })
    : new WriteConnectionFailedError('the connection for the write could not be opened', {
        cause,
      });
}

/** Why a queued write fails when its node leaves its role. */
function leftError(entry: Entry): Error {
  return entry.ran
    ? // It ran on the node; only its WAIT is missing: as if the connection broke.
      new Error('Connection is closed. (the node left its role before the WAIT)')
    : new WriteNotSentError('the node left its role before the write was sent');
}

/**
 * An ioredis connection that tells the commands written from inside a callback's synchronous
 * part from those written later (after an `await`, when they may belong to any callback), so
 * a `WAIT` sent after the synchronous parts knows whether it covers everything.
 *
 * It counts in `sendCommand`, the public method through which ioredis sends every command of
 * every 6.x, those of pipelines and transactions included (they call `redis.sendCommand` per
 * command); test/ioredis-internals.test.ts checks that on each ioredis 6 CI runs.
 */
export class DurableConnection extends Redis {
  #sent = 0;
  #untrackedAt = 0;
  #tracking = false;

  override sendCommand(...args: Parameters<Redis['sendCommand']>): unknown {
    this.#sent++;
    if (!this.#tracking) this.#untrackedAt = this.#sent;
    return super.sendCommand(...args);
  }

  /** Calls `fn` with this connection; its commands sent before it returns are tracked. */
  track<T>(fn: (redis: Redis) => Promise<T> | T): Promise<T> {
    this.#tracking = true;
    try {
      return Promise.resolve(fn(this));
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.#tracking = false;
    }
  }

  /** Sends `WAIT` now; resolves with its reply and the count of commands written up to it. */
  waitFor(wanted: number, timeout: number): { at: number; acknowledged: Promise<number> } {
    const acknowledged = this.track((redis) => redis.wait(wanted, timeout)).then(Number);
    return { at: this.#sent, acknowledged };
  }

  /** Whether a command of unknown origin was written after the `sent`-th command. */
  untrackedAfter(sent: number): boolean {
    return this.#untrackedAt > sent;
  }
}

/** The durable writes of one node: a queue, run in rounds of one `WAIT` each. */
export class DurableWrites {
  #queue: Entry[] = [];
  #running = false;
  #closed = false;

  /** @param connection - The node's durable connection (opened, or reopened, on demand). */
  constructor(private readonly connection: () => Promise<DurableConnection>) {}

  /**
   * Runs `fn` in the next round; resolves with its value and the replicas that acknowledged
   * (at most `wanted`: `WAIT` returns as soon as that many did, or after `timeout` ms).
   */
  run<T>(
    fn: (redis: Redis) => Promise<T>,
    wanted: number,
    timeout: number,
  ): Promise<DurableOutcome<T>> {
    if (this.#closed) return Promise.reject(new WriteNotSentError('the node left its role'));
    return new Promise((resolve, reject) => {
      this.#enqueue({ fn, wanted, timeout, resolve: resolve as Entry['resolve'], reject });
    });
  }

  /**
   * Fails the queued writes: with {@link WriteNotSentError} those not sent yet; as a lost
   * connection those that ran and wait for a `WAIT` (they may or may not survive).
   */
  close(): void {
    this.#closed = true;
    for (const entry of this.#queue.splice(0)) entry.reject(leftError(entry));
  }

  #enqueue(entry: Entry): void {
    if (this.#closed) {
      entry.reject(leftError(entry));
      return;
    }
    this.#queue.push(entry);
    if (!this.#running) {
      this.#running = true;
      // The writes of this tick join the first round.
      process.nextTick(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#round(this.#takeRound());
    } finally {
      this.#running = false;
    }
  }

  /** The queued writes that share the first one's `WAIT` arguments. */
  #takeRound(): Entry[] {
    const [first] = this.#queue;
    const round: Entry[] = [];
    const rest: Entry[] = [];
    for (const entry of this.#queue) {
      const same = entry.wanted === first?.wanted && entry.timeout === first.timeout;
      (same ? round : rest).push(entry);
    }
    this.#queue = rest;
    return round;
  }

  async #round(round: Entry[]): Promise<void> {
    let redis: DurableConnection;
    try {
      redis = await this.connection();
    } catch (error) {
      // Not the error itself: a failed open (CONNECTION_FAILED, "Connection is closed." as its
      // cause) is not one of a command, and would reach the caller as it is.
      for (const entry of round) entry.reject(unopenedError(entry, error));
      return;
    }
    if (this.#closed) {
      for (const entry of round) entry.reject(leftError(entry));
      return;
    }
    const [first] = round;
    if (first === undefined) return;
    corkUntilTickEnd(redis);
    const results = round.map((entry) =>
      entry.ran ? Promise.resolve(entry.ran.value) : redis.track(entry.fn),
    );
    const wait = redis.waitFor(first.wanted, first.timeout);
    round.forEach(async (entry, i) => {
      try {
        const value = await results[i];
        if (!entry.ran && redis.untrackedAfter(wait.at)) {
          // The callback may have written after this WAIT (after an await of its own): it
          // joins the next round's WAIT, so that one WAIT at a time is in flight.
          this.#enqueue({ ...entry, ran: { value } });
          return;
        }
        entry.resolve({ value, acknowledged: await wait.acknowledged });
      } catch (error) {
        entry.reject(error);
      }
    });
    // The next round starts when this WAIT returns: Redis would not run its commands earlier
    // (WAIT blocks the connection), and a callback that is slow to settle delays only itself.
    await wait.acknowledged.catch(() => {});
  }
}

/**
 * What the master says about its replicas, for a `NOT_REPLICATED` error: too few acknowledgements
 * are most often the topology (after a failover the new master has one replica fewer until the
 * old master is back and Sentinel has converted it, which Redis does only seconds after it
 * returns), not the client. `undefined` when the master could not be asked.
 */
export function describeReplication(info: ReplicationInfo | undefined, wanted: number): string {
  if (info === undefined) return '';
  const inSync = info.replicas.filter((r) => r.state === 'online');
  const syncing = info.replicas.length - inSync.length;
  const count = (n: number) => `${n} replica${n === 1 ? '' : 's'}`;
  const state =
    info.replicas.length === 0
      ? 'the master has no replica connected'
      : `the master has ${count(inSync.length)} in sync${syncing > 0 ? ` and ${syncing} still syncing` : ''}`;
  if (inSync.length < wanted) {
    return `; ${state}, fewer than the ${wanted} asked for: durable writes fail until enough replicas follow it (after a failover, a lost master rejoins as a replica only once it is back and Sentinel has converted it)`;
  }
  const lags = inSync.map((r) => r.lagSeconds).filter((lag) => lag !== undefined);
  const slowest = lags.length > 0 ? `, the slowest acknowledged ${Math.max(...lags)} s ago` : '';
  return `; ${state}${slowest}: they were slow to acknowledge (raise waitTimeout, or look at their load)`;
}
