/**
 * The operation runner: where each write and read goes, and what happens when it fails. Writes
 * go to the master (master.ts) or wait for one; reads go to a replica of the rotation
 * (replica-rotation.ts) chosen by routing.ts, or to the master. A failure is decided by
 * failure-policy.ts (run again, reject, or hand back) and carried out here.
 */
import { isWaitRefused } from './connection-errors.js';
import type { Redis } from './connections.js';
import type { ClientContext } from './context.js';
import { attempt, attemptRead, type DataNode, type ReadCallback } from './data-node.js';
import { deadlineOf, withDeadline } from './deadline.js';
import { describeReplication } from './durable.js';
import { SentinelKitError } from './errors.js';
import {
  decideMasterReadFailure,
  decideReplicaReadFailure,
  decideWriteFailure,
} from './failure-policy.js';
import { lend } from './lent.js';
import type { Master } from './master.js';
import type { ReplicaRotation } from './replica-rotation.js';
import { pickRandom } from './replicas.js';
import { chooseReadTarget } from './routing.js';
import { formatAddress, type ReadFrom } from './types.js';

// WAIT ends this long before the command timeout.
const WAIT_MARGIN_MS = 100;

/** Per-call options of {@link SentinelClient.read}. */
export interface ReadOptions {
  /** Overrides the client's `readFrom` for this call. */
  readFrom?: ReadFrom;
  /**
   * Milliseconds this call may take in all, waiting for a node included; past it, it rejects
   * with `TIMEOUT` (a cache read gives up instead of waiting `failoverTimeout`). A call still
   * waiting for a node then is dropped, never sent late.
   * @default none: bounded by `failoverTimeout` and `commandTimeout` only
   */
  timeout?: number;
}

/** Per-call options of {@link SentinelClient.write}. */
export interface WriteOptions {
  /**
   * The operation may run twice with the same result (a `SET` of a value, a
   * `DEL`, a cache or session write). If the master is lost while it is in
   * flight, it is run again on the new master instead of failing with
   * `COMMAND_MAY_HAVE_EXECUTED`.
   * @default false
   */
  idempotent?: boolean;
  /**
   * After the operation, wait until this many replicas acknowledged it
   * (`WAIT n timeout`), so that a write the caller saw succeed survives a
   * failover. Fewer acknowledgements in time reject with `NOT_REPLICATED`.
   * @default the client's `waitReplicas` (0: do not wait)
   */
  waitReplicas?: number;
  /**
   * Milliseconds `WAIT` may take; kept 100 ms under `commandTimeout`.
   * @default the client's `waitTimeout` (1000)
   */
  waitTimeout?: number;
  /**
   * Milliseconds this call may take in all, waiting for a master and `WAIT` included; past it,
   * it rejects with `TIMEOUT`. A write still waiting for a master then is dropped, never sent
   * late (it could overwrite a newer value); one already sent may still take effect.
   * @default none: bounded by `failoverTimeout` and `commandTimeout` only
   */
  timeout?: number;
}

export class OperationRunner {
  /** Reads served by the master (no healthy replica, `readFrom: 'master'`, or a retry). */
  masterReads = 0;
  /** Writes run again on a new master after the old one was lost with them in flight. */
  writeRetries = 0;
  /** Reads run again on another node after a node failed them. */
  readRetries = 0;

  constructor(
    private readonly context: ClientContext,
    private readonly master: Master,
    private readonly rotation: ReplicaRotation,
  ) {}

  /** See {@link SentinelClient.write}. */
  write<T>(fn: (master: Redis) => Promise<T>, options?: WriteOptions): Promise<T> {
    if (options?.timeout !== undefined) {
      const { timeout, ...rest } = options;
      return withDeadline(timeout, 'write', fn, (guarded) => this.write(guarded, rest));
    }
    const waitReplicas = options?.waitReplicas ?? this.context.options.waitReplicas;
    const startedAt = this.context.options.clock();
    const target = this.master.target();
    if (target.kind === 'send' && waitReplicas === 0) {
      const master = target.node;
      master.writes++;
      return attempt(fn, master.redis, 'write').catch((error: unknown) =>
        this.#retryWrite(error, master, fn, options, startedAt, false),
      );
    }
    return this.#runWrite(fn, options, startedAt, false);
  }

  /** See {@link SentinelClient.read}. */
  read<T>(fn: ReadCallback<T>, options?: ReadOptions): Promise<T> {
    if (options?.timeout !== undefined) {
      const { timeout, ...rest } = options;
      return withDeadline(timeout, 'read', fn, (guarded) => this.read(guarded, rest));
    }
    const { options: client } = this.context;
    if (this.master.lifecycle !== 'ready') {
      return this.master.await(client.clock(), deadlineOf(fn)).then(() => this.read(fn, options));
    }
    const target = chooseReadTarget(
      options?.readFrom ?? client.readFrom,
      this.rotation.readable,
      client.random,
    );
    if (target.kind === 'replica') {
      const node = target.node;
      node.reads++;
      return attemptRead(fn, node, 'replica').catch((error: unknown) =>
        this.#retryRead(error, node, fn, options),
      );
    }
    if (target.kind === 'none') return Promise.reject(this.#noReplicaError());
    return this.#readOnMaster(fn, true);
  }

  async #runWrite<T>(
    fn: (master: Redis) => Promise<T>,
    options: WriteOptions | undefined,
    startedAt: number,
    retriedReadonly: boolean,
  ): Promise<T> {
    const { options: client } = this.context;
    const node = await this.master.await(startedAt, deadlineOf(fn));
    node.writes++;
    try {
      const wanted = options?.waitReplicas ?? client.waitReplicas;
      if (wanted === 0) return await attempt(fn, node.redis, 'write');
      // WAIT must end before the command timeout, or a slow acknowledgement
      // would look like a lost master.
      const timeout = Math.min(
        options?.waitTimeout ?? client.waitTimeout,
        Math.max(1, client.commandTimeout - WAIT_MARGIN_MS),
      );
      const { value, acknowledged } = await node.durableWrites.run(
        (redis) => fn(lend(redis, 'write')),
        wanted,
        timeout,
      );
      if (acknowledged < wanted) {
        throw new SentinelKitError(
          'NOT_REPLICATED',
          `the write ran on the master but only ${acknowledged} of ${wanted} replicas acknowledged it within ${timeout} ms${describeReplication(await node.replicationInfo(client.sentinelTimeout), wanted)}`,
        );
      }
      return value;
    } catch (error) {
      if (isWaitRefused(error)) {
        throw new SentinelKitError(
          'PERMISSION_DENIED',
          "the write RAN on the master, but the ACL user may not run WAIT, so its replication was not confirmed: grant it (ACL SETUSER <user> +wait) or write without 'waitReplicas'",
          { cause: error },
        );
      }
      return this.#retryWrite(error, node, fn, options, startedAt, retriedReadonly);
    }
  }

  async #retryWrite<T>(
    error: unknown,
    node: DataNode,
    fn: (master: Redis) => Promise<T>,
    options: WriteOptions | undefined,
    startedAt: number,
    retriedReadonly: boolean,
  ): Promise<T> {
    const { options: client } = this.context;
    const decision = decideWriteFailure(error, {
      idempotent: options?.idempotent === true,
      readonlyRetried: retriedReadonly,
      elapsed: client.clock() - startedAt,
      failoverTimeout: client.failoverTimeout,
    });
    // A broken connection is dropped now: its 'close' event may not have fired
    // yet, and a retry must not find the same dead connection again.
    await this.master.actOn(node, decision.node);
    switch (decision.outcome) {
      case 'rerun':
        this.writeRetries++;
        this.master.count('retried');
        return this.#runWrite(fn, options, startedAt, decision.readonlyRetried ?? retriedReadonly);
      case 'reject-may-have-executed':
        this.master.count('rejected');
        throw new SentinelKitError(
          'COMMAND_MAY_HAVE_EXECUTED',
          `the master ${formatAddress(node.address)} was lost with this command in flight; it may or may not have run (mark it idempotent to have it retried)`,
          { cause: error },
        );
      case 'reject-unavailable':
        this.master.count('rejected');
        throw new SentinelKitError(
          'MASTER_UNAVAILABLE',
          `no master answered within failoverTimeout (${client.failoverTimeout} ms)`,
          { cause: error },
        );
      default:
        throw error;
    }
  }

  async #retryRead<T>(
    error: unknown,
    failed: DataNode,
    fn: ReadCallback<T>,
    options: ReadOptions | undefined,
  ): Promise<T> {
    const decision = decideReplicaReadFailure(error);
    if (decision.outcome === 'reject-write-in-read') {
      // The callback wrote (a script, say: commands flagged as writes are refused before they
      // are sent) and the replica refused it. The caller's mistake, not the node's failure:
      // the replica stays in the rotation.
      throw new SentinelKitError(
        'WRITE_IN_READ',
        `a write was sent inside read() and replica ${formatAddress(failed.address)} refused it (READONLY): reads may run on a replica, which refuses writes: send writes with write(). Nothing was written`,
        { cause: error },
      );
    }
    if (decision.outcome !== 'rerun') throw error;
    this.readRetries++;
    this.rotation.remove(failed, 'read-failed');
    const other = pickRandom(
      this.rotation.readable.filter((n) => n !== failed),
      this.context.options.random,
    );
    if (other) {
      other.reads++;
      return attemptRead(fn, other, 'replica');
    }
    if ((options?.readFrom ?? this.context.options.readFrom) === 'replica-only') {
      throw this.#noReplicaError();
    }
    return this.#readOnMaster(fn, false);
  }

  #readOnMaster<T>(fn: ReadCallback<T>, mayRetry: boolean): Promise<T> {
    const node = this.master.node;
    if (!node) {
      return this.master
        .await(this.context.options.clock(), deadlineOf(fn))
        .then((master) => this.#readOnNode(master, fn, mayRetry));
    }
    return this.#readOnNode(node, fn, mayRetry);
  }

  #readOnNode<T>(node: DataNode, fn: ReadCallback<T>, mayRetry: boolean): Promise<T> {
    this.masterReads++;
    return attemptRead(fn, node, 'master').catch(async (error: unknown) => {
      // Writes moved to another master while this ran: the switch closed its connection.
      const current = this.master.node;
      const replaced = current !== undefined && current !== node;
      const decision = decideMasterReadFailure(error, mayRetry, replaced);
      if (decision.outcome !== 'rerun') throw error;
      // Reads are safe to repeat: once more, on whichever node is master then.
      this.readRetries++;
      await this.master.actOn(node, decision.node);
      return this.#readOnMaster(fn, false);
    });
  }

  #noReplicaError(): SentinelKitError {
    return new SentinelKitError(
      'NO_REPLICA_AVAILABLE',
      `no healthy replica of "${this.context.options.masterName}" for a read with readFrom 'replica-only'`,
    );
  }
}
