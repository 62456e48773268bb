import { isSentinelKitError, type RoutedClient, type RoutedConnection } from '@sentinelkit/core';

/** One session write that readers on replicas must not miss. May run twice (on a new master). */
export type ReplicatedJob = (master: RoutedConnection) => Promise<unknown>;

/** What the writer reports about its work, for `stats()`. */
export interface WriterCounters {
  /** `WAIT`s that every replica in rotation acknowledged in time. */
  acknowledged: number;
  /** `WAIT`s that some replica did not acknowledge in time (`NOT_REPLICATED`). */
  shortfalls: number;
  /** Writes answered only once no lagging replica could serve the version they replaced. */
  stalled: number;
}

/** What the writer needs to know of the store's options. */
export interface WriterSettings {
  waitTimeout: number;
  maxReplicaLag: number;
  maxClockSkew: number;
}

interface Pending {
  job: ReplicatedJob;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Stalled {
  resolve: () => void;
  deadline: number;
  timer: NodeJS.Timeout;
}

type Outcome = { ok: true } | { ok: false; error: unknown } | undefined;

/**
 * Writes sessions on the master and answers each write only once every replica in the client's
 * rotation acknowledged it (`WAIT`), or, failing that, once no replica that lacks it can still
 * serve reads: a replica serves only while it holds a heartbeat written less than
 * `maxReplicaLag` ago, and a replica that has not applied a write has applied no heartbeat
 * written after it either (replication is in order, and expiries replicate as absolute times).
 * So `maxReplicaLag` + `maxClockSkew` after the write, every such replica has stopped serving.
 *
 * Writes are group-committed: the writes that arrive while a `WAIT` is in flight run together
 * next and share one `WAIT`. The core runs `WAIT` on a connection of its own that blocks while
 * it waits, so one `WAIT` per write would serialize writes behind one another; one per batch
 * does not. A `WAIT` counts acknowledgements of everything its connection wrote before it, so a
 * later `WAIT` also covers writes still waiting from an earlier batch.
 *
 * Not a second copy of the core's group commit (core durable.ts), which it sits on: a round here
 * is one `client.write()`, so the core sees one entry per round and sends one `WAIT` for it (one
 * per round overall, not one per layer). What the round adds is the read-your-writes rule's: one
 * time for the batch when a `WAIT` falls short (the stall deadline), rounds with no new write
 * that only re-`WAIT` for stalled writes, and a `WAIT` timeout cut to the earliest stall
 * deadline, none of which the core's per-write grouping (by equal `WAIT` arguments) can express.
 */
export class ReplicatedWriter {
  readonly counters: WriterCounters = { acknowledged: 0, shortfalls: 0, stalled: 0 };
  #queue: Pending[] = [];
  readonly #stalled = new Set<Stalled>();
  #running = false;

  constructor(
    private readonly client: RoutedClient,
    private readonly settings: WriterSettings,
  ) {}

  /** Runs `job` in the next batch; resolves when readers on replicas cannot miss it. */
  write(job: ReplicatedJob): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      let healthy = true;
      // Rounds with no new write only re-WAIT for stalled ones; after a failed round (no master)
      // their timers answer them, and a new write starts rounds again.
      while (this.#queue.length > 0 || (healthy && this.#stalled.size > 0)) {
        healthy = await this.#round(this.#queue.splice(0));
      }
    } finally {
      this.#running = false;
    }
  }

  /** One batch and its `WAIT`; false when the master could not be used. */
  async #round(batch: Pending[]): Promise<boolean> {
    const replicas = replicasToWaitFor(this.client);
    const outcomes: Outcome[] = [];
    let writtenAt = Date.now();
    const run = async (master: RoutedConnection) => {
      const results = await Promise.allSettled(batch.map((p) => p.job(master)));
      // The replies are in: the master has executed the batch by now.
      writtenAt = Date.now();
      results.forEach((r, i) => {
        outcomes[i] = r.status === 'fulfilled' ? { ok: true } : { ok: false, error: r.reason };
      });
    };
    const earliest = Math.min(...[...this.#stalled].map((s) => s.deadline));
    const waitTimeout = Math.max(
      1,
      Math.min(this.settings.waitTimeout, Number.isFinite(earliest) ? earliest - Date.now() : 1e9),
    );
    try {
      // With no replica in rotation there is nothing to wait for, and the core skips WAIT.
      if (replicas > 0 || batch.length > 0) {
        await this.client.write(run, { idempotent: true, waitReplicas: replicas, waitTimeout });
      }
      if (replicas > 0) this.counters.acknowledged++;
      this.#settle(batch, outcomes, undefined);
      this.#releaseStalled();
      return true;
    } catch (error) {
      if (!isSentinelKitError(error, 'NOT_REPLICATED')) {
        // The batch may not have run: its writes fail. Earlier writes did run; they keep
        // waiting for their deadline, which needs no master.
        for (const p of batch) p.reject(error);
        return false;
      }
      this.counters.shortfalls++;
      this.#settle(batch, outcomes, writtenAt);
      return true;
    }
  }

  /**
   * Answers the writes of a round. With `shortfallAt` (when the master had executed them), some
   * replica did not acknowledge them in time: each waits until every heartbeat written before it
   * has expired on every server's clock, or until a later round's `WAIT` is acknowledged.
   */
  #settle(batch: Pending[], outcomes: Outcome[], shortfallAt: number | undefined): void {
    for (const [i, p] of batch.entries()) {
      const outcome = outcomes[i];
      if (!outcome) {
        p.reject(new Error('session write did not run'));
        continue;
      }
      if (!outcome.ok) {
        p.reject(outcome.error);
        continue;
      }
      if (shortfallAt === undefined) {
        p.resolve();
        continue;
      }
      const deadline = shortfallAt + this.settings.maxReplicaLag + this.settings.maxClockSkew;
      this.counters.stalled++;
      const stalled: Stalled = {
        resolve: p.resolve,
        deadline,
        timer: setTimeout(
          () => {
            this.#stalled.delete(stalled);
            p.resolve();
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.#stalled.add(stalled);
    }
  }

  #releaseStalled(): void {
    for (const s of this.#stalled) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.#stalled.clear();
  }
}

/**
 * The replicas a batch's `WAIT` asks for: those in the rotation of the shard with the most (the
 * one shard under Sentinel). Asking more than a shard has only ends in `NOT_REPLICATED`, which
 * takes the safe path (see {@link ReplicatedWriter}); asking fewer could call a write seen by
 * every reader when a replica still lacks it.
 */
function replicasToWaitFor(client: RoutedClient): number {
  return Math.max(0, ...client.topology().shards.map((shard) => shard.replicas.length));
}
