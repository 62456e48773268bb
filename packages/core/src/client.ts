import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { admitReplica } from './admission.js';
import { refusalOf } from './command-policy.js';
import { isPermanentSetupError, isWaitRefused } from './connection-errors.js';
import {
  type ConnectionSetup,
  closeNow,
  connectionSetup,
  type DataNodeOptions,
  dataNodeOptions,
  messageOf,
  openConnection,
  Redis,
  secretsOf,
  setupErrorOf,
  withTimeout,
} from './connections.js';
import { deadlineOf, withDeadline } from './deadline.js';
import { DurableConnection, DurableWrites, describeReplication } from './durable.js';
import { asReportable, ErrorThrottle } from './error-reports.js';
import { SentinelKitError } from './errors.js';
import type {
  FailoverTimings,
  MasterChangeReason,
  MasterLostReason,
  ReplicaRemoveReason,
  SentinelClientEvents,
  TopologyEvent,
} from './events.js';
import {
  decideMasterReadFailure,
  decideReplicaReadFailure,
  decideWriteFailure,
  type NodeVerdict,
} from './failure-policy.js';
import { type LendMode, lend, refusalError } from './lent.js';
import {
  type ResolvedSentinelClientOptions,
  resolveOptions,
  type SentinelClientOptions,
} from './options.js';
import {
  applyNatMap,
  filterReplicas,
  parseReplicaList,
  pickRandom,
  type ReplicaCandidate,
} from './replicas.js';
import { parseReplicationInfo, parseRole, type ReplicationInfo } from './role.js';
import { chooseReadTarget, commandKind } from './routing.js';
import { isFailoverAbort, isFailoverStart, type SentinelEvent } from './sentinel-events.js';
import { type SentinelAnswer, SentinelLink } from './sentinel-link.js';
import { MAX_REPLICAS } from './sentinel-list.js';
import { SentinelWatch } from './sentinel-watch.js';
import { batchCommands } from './tick.js';
import { formatAddress, type NodeAddress, type ReadFrom } from './types.js';
import { type StopWatching, watchCommandTimeouts } from './watchdog.js';

/** Lifecycle of a {@link SentinelClient}. */
export type ClientStatus = 'idle' | 'connecting' | 'ready' | 'closed';

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

/** One data node in the client's view of the topology. */
export interface NodeView {
  /** Address the client connects to (after the NAT map). */
  address: NodeAddress;
  /** Address as Sentinel announces it. */
  announced: NodeAddress;
  /** Reads this client sent to the node while it held this role. */
  reads: number;
}

/** What {@link SentinelClient.topology} returns: the nodes commands are routed to now. */
export interface TopologySnapshot {
  masterName: string;
  status: ClientStatus;
  /** The verified master, `undefined` while there is none (during a failover). */
  master: (NodeView & { writes: number }) | undefined;
  /** Replicas in the read rotation: verified with `ROLE`, healthy by Sentinel's account. */
  replicas: NodeView[];
  /** Sentinels in the order they are asked. */
  sentinels: NodeAddress[];
  /** Sentinels whose event subscription is live. */
  watchedSentinels: number;
}

/** Counters since the client was created. */
export interface ClientStats {
  /** Operations run on the master through `write()` (or routed writes of `call()`), retries included. */
  writes: number;
  /** Reads served by the master (no healthy replica, `readFrom: 'master'`, or a retry). */
  masterReads: number;
  /** Reads served by replicas, keyed by `host:port` (after the NAT map). */
  replicaReads: Record<string, number>;
  /** Times writes moved to another master after the first discovery. */
  masterChanges: number;
  /** Writes run again on a new master after the old one was lost with them in flight. */
  writeRetries: number;
  /** Reads run again on another node after a node failed them. */
  readRetries: number;
  /** Operations rejected because of a failover (`COMMAND_MAY_HAVE_EXECUTED`, `MASTER_UNAVAILABLE`). */
  failoverRejections: number;
  /** Times the client asked Sentinel for the topology (polls and event-driven refreshes). */
  sentinelQueries: number;
  /** Of those, the ones no sentinel answered. */
  sentinelQueryFailures: number;
  /** Operations waiting now for a master (a gauge, not a counter): 0 whenever one is known. */
  waitingForMaster: number;
}

/** An ioredis connection to one data node, with the counters routing keeps. */
class DataNode {
  reads = 0;
  writes = 0;
  readonly key: string;
  /** Writes followed by `WAIT`, on a connection of their own (see durable.ts). */
  readonly durableWrites: DurableWrites;
  #durable: Promise<DurableConnection> | undefined;
  #replicationInfo: Promise<ReplicationInfo | undefined> | undefined;
  readonly #commandTimeout: number;
  readonly #unwatch: StopWatching[] = [];

  constructor(
    readonly announced: NodeAddress,
    readonly address: NodeAddress,
    readonly redis: Redis,
    options: DataNodeOptions,
    commandTimeout: number,
    open: (redis: Redis) => Promise<void>,
  ) {
    this.key = formatAddress(announced);
    this.#commandTimeout = commandTimeout;
    this.#unwatch.push(watchCommandTimeouts(redis, commandTimeout));
    this.durableWrites = new DurableWrites(() => this.#durableConnection(options, open));
  }

  /**
   * The node's `INFO replication`, `undefined` if it does not answer within `timeout` (or the
   * user may not run `INFO`). One request at a time: the writes of a round that all fell short
   * share it.
   */
  replicationInfo(timeout: number): Promise<ReplicationInfo | undefined> {
    this.#replicationInfo ??= withTimeout(this.redis.info('replication'), timeout, 'INFO')
      .then(
        (text) => parseReplicationInfo(String(text)),
        () => undefined,
      )
      .finally(() => {
        this.#replicationInfo = undefined;
      });
    return this.#replicationInfo;
  }

  /** The connection for writes followed by `WAIT`, opened on first use (and again if it broke). */
  async #durableConnection(
    options: DataNodeOptions,
    open: (redis: Redis) => Promise<void>,
  ): Promise<DurableConnection> {
    const current = await this.#durable?.catch(() => undefined);
    if (current && current.status !== 'end') return current;
    this.#durable = (async () => {
      const redis = new DurableConnection(options);
      redis.on('error', () => {});
      this.#unwatch.push(watchCommandTimeouts(redis, this.#commandTimeout));
      await open(redis);
      // The node may have lost its role while this opened: do not leak it.
      if (this.redis.status === 'end') closeNow(redis);
      return redis;
    })();
    return this.#durable;
  }

  view(): NodeView {
    return { address: { ...this.address }, announced: { ...this.announced }, reads: this.reads };
  }

  /** Closes at once: commands in flight fail now, and a frozen peer gets nothing more from us. */
  close(): void {
    closeNow(this.redis);
    for (const unwatch of this.#unwatch) unwatch();
    this.durableWrites.close();
    this.#durable?.then(closeNow, () => undefined);
  }
}

type Waiter = { resolve: (node: DataNode) => void; reject: (error: Error) => void };

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

// Pause between attempts when Sentinel names a node that is not (yet) master:
// spec point 3, "wait a little and start again".
const RETRY_PAUSE_MS = 100;
const WAIT_MARGIN_MS = 100;
// Pause between two checks of a replica catching up with the master before it serves reads.
const CATCH_UP_POLL_MS = 20;

/** Milliseconds left until `until`, at least 1 (a timeout of 0 would never fire first). */
const remaining = (until: number, now: number) => Math.max(1, until - now);
// Each cause of 'error' events (code and node) is reported once per window, with a count.
const ERROR_REPORT_WINDOW_MS = 10_000;

const same = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port;

/**
 * A Redis Sentinel client: writes (and scripts, transactions, SCAN) go to the
 * master, each read to a random healthy replica, the master when there is none.
 *
 * Operations take a callback that receives the ioredis connection of the node
 * chosen for that one call, so every ioredis command, pipeline and transaction
 * is available unchanged, and a failover can run the callback again on the new
 * master. Do not keep the connection beyond the callback: it is closed when the
 * node leaves its role. The connection is shared by every caller, so the callback
 * gets a view of it that refuses what would break it for the next one (`SELECT`,
 * `MULTI` on its own, `SUBSCRIBE`, blocking reads…: `COMMAND_NOT_ALLOWED`) and
 * writes inside `read()` (`WRITE_IN_READ`); see lent.ts.
 *
 * The constructor does no I/O: call {@link connect} first and {@link close} at
 * the end. Create one with {@link createSentinelClient}.
 */
export class SentinelClient extends EventEmitter<SentinelClientEvents> {
  readonly #options: ResolvedSentinelClientOptions;
  readonly #secrets: (string | undefined)[];
  readonly #setup: ConnectionSetup;
  readonly #link: SentinelLink;
  readonly #watch: SentinelWatch;
  #status: ClientStatus = 'idle';
  #connecting: Promise<void> | undefined;

  #master: DataNode | undefined;
  // The master before #master, kept after a loss so MASTER_CHANGE can name it as `previous`.
  #lastMaster: NodeAddress | undefined;
  // Sentinel's config epoch of #master, or a lower bound after a pushed switch.
  #masterEpoch: number | undefined;
  readonly #masterWaiters = new Set<Waiter>();
  #episode: Omit<FailoverTimings, 'switchedAt'> | undefined;
  #recovering = false;
  // Set while Sentinel fails the master over: writes wait instead of landing
  // on a master that is about to be demoted (and losing them).
  #failoverHold: NodeJS.Timeout | undefined;
  #suspicion: Promise<void> | undefined;
  readonly #switching = new Map<string, Promise<void>>();

  readonly #replicas = new Map<string, DataNode>();
  readonly #verifying = new Set<string>();
  #readable: DataNode[] = [];

  #pollTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  // Counters; those of nodes no longer in use are kept so stats() stays cumulative.
  #masterReads = 0;
  #retiredWrites = 0;
  readonly #retiredReads = new Map<string, number>();
  #masterChanges = 0;
  #writeRetries = 0;
  #readRetries = 0;
  #failoverRejections = 0;
  #sentinelQueries = 0;
  #sentinelQueryFailures = 0;
  readonly #errorThrottle = new ErrorThrottle(ERROR_REPORT_WINDOW_MS);

  constructor(options: ResolvedSentinelClientOptions) {
    super();
    // One client is meant to be shared by every store and module of an app, each listening to
    // its events: many listeners are the normal case, not a leak.
    this.setMaxListeners(0);
    this.#options = options;
    this.#secrets = secretsOf(options);
    this.#setup = connectionSetup(options);
    this.#link = new SentinelLink(options, (error) => this.#report(error));
    this.#watch = new SentinelWatch(
      options,
      (event, receivedAt) => this.#onSentinelEvent(event, receivedAt),
      (error) => this.#report(error),
    );
  }

  /** `idle` until `connect()`, `ready` once a master is verified, `closed` after `close()`. */
  get status(): ClientStatus {
    return this.#status;
  }

  /**
   * Discovers the master through the sentinels, verifies it with `ROLE`,
   * connects to the healthy replicas and starts watching the topology. Resolves
   * when writes can go to the master. Rejects within `connectTimeout` with
   * `NO_SENTINEL_REACHABLE`, `MASTER_NAME_UNKNOWN`, `AUTH_FAILED` or
   * `MASTER_UNAVAILABLE`. Calling it again while connected does nothing.
   */
  connect(): Promise<void> {
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    this.#connecting ??= this.#discover().catch((error: unknown) => {
      this.#connecting = undefined;
      if (this.#status !== 'closed') this.#status = 'idle';
      this.#teardownNodes();
      throw error;
    });
    return this.#connecting;
  }

  /**
   * Runs `fn` with the master's connection. While there is no verified master
   * (during a failover) it waits up to `failoverTimeout`, then rejects with
   * `MASTER_UNAVAILABLE`. If the master is lost with the operation in flight,
   * an `idempotent` operation runs again on the new master; any other rejects
   * with `COMMAND_MAY_HAVE_EXECUTED`. A `READONLY` answer (the node was
   * demoted, so nothing ran) triggers rediscovery and one retry.
   */
  write<T>(fn: (master: Redis) => Promise<T>, options?: WriteOptions): Promise<T> {
    if (options?.timeout !== undefined) {
      const { timeout, ...rest } = options;
      return withDeadline(timeout, 'write', fn, (guarded) => this.write(guarded, rest));
    }
    const master = this.#master;
    const waitReplicas = options?.waitReplicas ?? this.#options.waitReplicas;
    const startedAt = this.#options.clock();
    if (master && this.#status === 'ready' && !this.#failoverHold && waitReplicas === 0) {
      master.writes++;
      return attempt(fn, master.redis, 'write').catch((error: unknown) =>
        this.#retryWrite(error, master, fn, options, startedAt, false),
      );
    }
    return this.#runWrite(fn, options, startedAt, false);
  }

  /**
   * Runs `fn` with the connection of a node chosen for this one call by
   * `readFrom`: by default a random healthy replica, the master when none is
   * healthy. A read that a node fails (no answer in time, connection lost,
   * `LOADING`, `MASTERDOWN`) runs once more on another healthy replica or the
   * master, and that node leaves the rotation until it is verified again. With
   * `'replica-only'` and no healthy replica it rejects with `NO_REPLICA_AVAILABLE`.
   */
  read<T>(fn: (node: Redis) => Promise<T>, options?: ReadOptions): Promise<T> {
    if (options?.timeout !== undefined) {
      const { timeout, ...rest } = options;
      return withDeadline(timeout, 'read', fn, (guarded) => this.read(guarded, rest));
    }
    if (this.#status !== 'ready') {
      return this.#awaitMaster(this.#options.clock(), deadlineOf(fn)).then(() =>
        this.read(fn, options),
      );
    }
    const target = chooseReadTarget(
      options?.readFrom ?? this.#options.readFrom,
      this.#readable,
      this.#options.random,
    );
    if (target.kind === 'replica') {
      const node = target.node;
      node.reads++;
      return attempt(fn, node.redis, 'read').catch((error: unknown) =>
        this.#retryRead(error, node, fn, options),
      );
    }
    if (target.kind === 'none') return Promise.reject(this.#noReplicaError());
    return this.#readOnMaster(fn, true);
  }

  /**
   * Sends one command, routed by its kind: read-only commands (`GET`, `MGET`,
   * `HGETALL`, …) as {@link read}, everything else (writes, scripts, `SCAN`,
   * `KEYS`, unknown commands) as {@link write}, not idempotent.
   */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    const refusal = refusalOf(command, args);
    if (refusal !== undefined) return Promise.reject(refusalError(refusal));
    return commandKind(command) === 'read'
      ? this.read((node) => node.call(command, ...args))
      : this.write((master) => master.call(command, ...args));
  }

  /** The nodes commands are routed to now. */
  topology(): TopologySnapshot {
    const master = this.#master;
    return {
      masterName: this.#options.masterName,
      status: this.#status,
      master: master ? { ...master.view(), writes: master.writes } : undefined,
      replicas: this.#readable.map((node) => node.view()),
      sentinels: this.#link.sentinels.map((s) => ({ ...s })),
      watchedSentinels: this.#watch.live,
    };
  }

  /** Counters since the client was created. */
  stats(): ClientStats {
    const replicaReads: Record<string, number> = Object.fromEntries(this.#retiredReads);
    for (const node of this.#replicas.values()) {
      const key = formatAddress(node.address);
      replicaReads[key] = (replicaReads[key] ?? 0) + node.reads;
    }
    return {
      writes: this.#retiredWrites + (this.#master?.writes ?? 0),
      masterReads: this.#masterReads,
      replicaReads,
      masterChanges: this.#masterChanges,
      writeRetries: this.#writeRetries,
      readRetries: this.#readRetries,
      failoverRejections: this.#failoverRejections,
      sentinelQueries: this.#sentinelQueries,
      sentinelQueryFailures: this.#sentinelQueryFailures,
      waitingForMaster: this.#masterWaiters.size,
    };
  }

  /**
   * Stops watching the topology and closes every connection. Pending waits
   * reject with `CLIENT_CLOSED`. Resolves once every socket is closed; no timer
   * is left, so the process can exit by itself.
   */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#releaseHold();
    for (const waiter of this.#masterWaiters) waiter.reject(this.#closedError());
    this.#masterWaiters.clear();
    const connections = this.#teardownNodes();
    await Promise.all([this.#link.shutdown(), this.#watch.close(), ...connections.map(waitForEnd)]);
  }

  override toString(): string {
    const master = this.#master ? formatAddress(this.#master.address) : 'none';
    return `SentinelClient(${this.#options.masterName}, ${this.#status}, master ${master}, ${this.#readable.length} replicas, ${this.#link.sentinels.length} sentinels)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // ---------------------------------------------------------------- writes

  async #runWrite<T>(
    fn: (master: Redis) => Promise<T>,
    options: WriteOptions | undefined,
    startedAt: number,
    retriedReadonly: boolean,
  ): Promise<T> {
    const node = await this.#awaitMaster(startedAt, deadlineOf(fn));
    node.writes++;
    try {
      const wanted = options?.waitReplicas ?? this.#options.waitReplicas;
      if (wanted === 0) return await attempt(fn, node.redis, 'write');
      // WAIT must end before the command timeout, or a slow acknowledgement
      // would look like a lost master.
      const timeout = Math.min(
        options?.waitTimeout ?? this.#options.waitTimeout,
        Math.max(1, this.#options.commandTimeout - WAIT_MARGIN_MS),
      );
      const { value, acknowledged } = await node.durableWrites.run(
        (redis) => fn(lend(redis, 'write')),
        wanted,
        timeout,
      );
      if (acknowledged < wanted) {
        throw new SentinelKitError(
          'NOT_REPLICATED',
          `the write ran on the master but only ${acknowledged} of ${wanted} replicas acknowledged it within ${timeout} ms${describeReplication(await node.replicationInfo(this.#options.sentinelTimeout), wanted)}`,
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
    const decision = decideWriteFailure(error, {
      idempotent: options?.idempotent === true,
      readonlyRetried: retriedReadonly,
      elapsed: this.#options.clock() - startedAt,
      failoverTimeout: this.#options.failoverTimeout,
    });
    // A broken connection is dropped now: its 'close' event may not have fired
    // yet, and a retry must not find the same dead connection again.
    await this.#actOnMaster(node, decision.node);
    switch (decision.outcome) {
      case 'rethrow':
        throw error;
      case 'reject-may-have-executed':
        this.#failoverRejections++;
        this.#countEpisode('rejected');
        throw new SentinelKitError(
          'COMMAND_MAY_HAVE_EXECUTED',
          `the master ${formatAddress(node.address)} was lost with this command in flight; it may or may not have run (mark it idempotent to have it retried)`,
          { cause: error },
        );
      case 'reject-unavailable':
        this.#failoverRejections++;
        this.#countEpisode('rejected');
        throw new SentinelKitError(
          'MASTER_UNAVAILABLE',
          `no master answered within failoverTimeout (${this.#options.failoverTimeout} ms)`,
          { cause: error },
        );
      default:
        this.#writeRetries++;
        this.#countEpisode('retried');
        return this.#runWrite(fn, options, startedAt, decision.readonlyRetried ?? retriedReadonly);
    }
  }

  /** Carries out what a failed operation says about the master (see failure-policy.ts). */
  async #actOnMaster(node: DataNode, verdict: NodeVerdict): Promise<void> {
    if (verdict === 'drop-readonly') this.#dropMaster(node, 'readonly');
    else if (verdict === 'drop-connection-lost') this.#dropMaster(node, 'connection-lost');
    else if (verdict === 'suspect') await this.#suspectMaster(node);
  }

  // ----------------------------------------------------------------- reads

  async #retryRead<T>(
    error: unknown,
    failed: DataNode,
    fn: (node: Redis) => Promise<T>,
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
    this.#readRetries++;
    this.#removeReplica(failed, 'read-failed');
    const other = pickRandom(
      this.#readable.filter((n) => n !== failed),
      this.#options.random,
    );
    if (other) {
      other.reads++;
      return attempt(fn, other.redis, 'read');
    }
    if ((options?.readFrom ?? this.#options.readFrom) === 'replica-only') {
      throw this.#noReplicaError();
    }
    return this.#readOnMaster(fn, false);
  }

  #readOnMaster<T>(fn: (node: Redis) => Promise<T>, mayRetry: boolean): Promise<T> {
    const node = this.#master;
    if (!node) {
      return this.#awaitMaster(this.#options.clock(), deadlineOf(fn)).then((master) =>
        this.#readOnNode(master, fn, mayRetry),
      );
    }
    return this.#readOnNode(node, fn, mayRetry);
  }

  #readOnNode<T>(node: DataNode, fn: (node: Redis) => Promise<T>, mayRetry: boolean): Promise<T> {
    this.#masterReads++;
    return attempt(fn, node.redis, 'read').catch(async (error: unknown) => {
      const decision = decideMasterReadFailure(error, mayRetry);
      if (decision.outcome !== 'rerun') throw error;
      // Reads are safe to repeat: once more, on whichever node is master then.
      this.#readRetries++;
      await this.#actOnMaster(node, decision.node);
      return this.#readOnMaster(fn, false);
    });
  }

  // ---------------------------------------------------------------- master

  async #discover(): Promise<void> {
    this.#status = 'connecting';
    const deadline = this.#options.clock() + this.#options.connectTimeout;
    // The last attempt that got an answer ("role replica"), for the error if the deadline then
    // cuts an attempt short: that answer says more than "did not answer within N ms".
    let lastAnswered: unknown;
    for (;;) {
      if ((this.#status as ClientStatus) === 'closed') throw this.#closedError();
      const first = await this.#link.ask(deadline).catch((error: unknown) => {
        // A close() during the query makes it fail: say so, not "no sentinel".
        throw (this.#status as ClientStatus) === 'closed' ? this.#closedError() : error;
      });
      try {
        const { node: master, answer } = await this.#verifyNamed(first, deadline);
        // close() may have run while we were verifying.
        if ((this.#status as ClientStatus) === 'closed') {
          master.close();
          throw this.#closedError();
        }
        this.#masterEpoch = answer.epoch;
        this.#setMaster(master, 'discovered');
        await this.#reconcile(answer, deadline);
        // close() may have run while replicas were being admitted: closed stays closed (no
        // watch, no poll timer for a client nobody will close again).
        if ((this.#status as ClientStatus) === 'closed') throw this.#closedError();
        break;
      } catch (error) {
        // A certificate, a password or an ACL rule will not change by retrying.
        if (isPermanentSetupError(error)) throw error;
        // Nor a setup step the server refused (SELECT of `db`, say).
        if (error instanceof SentinelKitError && error.code === 'INVALID_OPTION') throw error;
        if (error instanceof SentinelKitError && error.code === 'CLIENT_CLOSED') throw error;
        if ((this.#status as ClientStatus) === 'closed') throw this.#closedError();
        const unanswered = error instanceof SentinelKitError && error.code === 'TIMEOUT';
        if (!unanswered) lastAnswered = error;
        if (this.#options.clock() + RETRY_PAUSE_MS >= deadline) {
          const reason = unanswered ? (lastAnswered ?? error) : error;
          throw new SentinelKitError(
            'MASTER_UNAVAILABLE',
            `no verified master for "${this.#options.masterName}" within connectTimeout (${this.#options.connectTimeout} ms): ${messageOf(reason, this.#secrets)}`,
            { cause: reason },
          );
        }
        await delay(RETRY_PAUSE_MS);
      }
    }
    this.#status = 'ready';
    this.#watch.watch(this.#link.sentinels);
    this.#schedulePoll();
  }

  /**
   * Verifies the master `first` names. When it is not master (or cannot be reached), the
   * sentinel that named it may be stale (partitioned away, still naming the old master): the
   * other sentinels are asked, and the masters they name tried, highest config epoch first.
   * Throws the first answer's failure when none verifies (every sentinel names a node that is
   * not master yet: a failover in progress), for the caller to retry.
   */
  async #verifyNamed(
    first: SentinelAnswer,
    deadline: number,
  ): Promise<{ node: DataNode; answer: SentinelAnswer }> {
    try {
      return { node: await this.#verifyMaster(first.master, deadline), answer: first };
    } catch (error) {
      if (!isWrongMaster(error) || (this.#status as ClientStatus) === 'closed') throw error;
      this.#link.demote(first.from);
      const tried = [first.master];
      for (const answer of await this.#link.survey(deadline, first.from)) {
        if (tried.some((t) => same(t, answer.master))) continue;
        tried.push(answer.master);
        const node = await this.#verifyMaster(answer.master, deadline).catch(() => undefined);
        if (!node) continue;
        this.#link.promote(answer.from);
        return { node, answer };
      }
      throw error;
    }
  }

  /** Connects to the node Sentinel names as master and checks that it says so itself. */
  async #verifyMaster(announced: NodeAddress, deadline: number): Promise<DataNode> {
    const node = this.#newNode(announced);
    const budget = Math.max(1, deadline - this.#options.clock());
    try {
      await openConnection(node.redis, node.address, budget, this.#secrets, 'data', this.#setup);
      const role = parseRole(
        await withTimeout(node.redis.call('ROLE'), budget, 'ROLE').catch((error: unknown) => {
          throw setupErrorOf(error, node.redis, node.address, this.#secrets);
        }),
      );
      if (role?.role !== 'master') {
        throw new SentinelKitError(
          'MASTER_UNAVAILABLE',
          `${formatAddress(node.address)} is named master by Sentinel but reports role ${role?.role ?? 'unknown'}`,
        );
      }
      return node;
    } catch (error) {
      node.close();
      throw error;
    }
  }

  #newNode(announced: NodeAddress): DataNode {
    const address = applyNatMap(announced, this.#options.natMap);
    const options = dataNodeOptions(this.#options, address, announced);
    const redis = new Redis(options);
    // Until it is open, openConnection() turns its errors into the one it throws.
    redis.on('error', (error: Error) => {
      if (redis.status === 'ready') this.#report(error);
    });
    return new DataNode(
      announced,
      address,
      redis,
      options,
      this.#options.commandTimeout,
      (durable) =>
        openConnection(
          durable,
          address,
          this.#options.connectTimeout,
          this.#secrets,
          'data',
          this.#setup,
        ),
    );
  }

  /**
   * Verifies `announced` and moves writes there, unless it already is our
   * master or a newer one is known. Single flight per address.
   */
  #switchTo(
    announced: NodeAddress,
    reason: MasterChangeReason,
    epoch: number | undefined,
  ): Promise<void> {
    const key = formatAddress(announced);
    let flight = this.#switching.get(key);
    if (!flight) {
      flight = (async () => {
        try {
          if (this.#master && same(this.#master.announced, announced)) return;
          // "Quickly" (spec): a candidate that does not answer its ROLE check within
          // sentinelTimeout is not used; the next event or poll tries again.
          const node = await this.#verifyMaster(
            announced,
            this.#options.clock() + this.#options.sentinelTimeout,
          );
          if (
            this.#status !== 'ready' ||
            (this.#master && same(this.#master.announced, announced))
          ) {
            node.close();
            return;
          }
          const previousEpoch = this.#masterEpoch;
          if (epoch !== undefined && previousEpoch !== undefined && epoch < previousEpoch) {
            node.close(); // an older configuration than the one we follow
            return;
          }
          // A pushed +switch-master carries no epoch, but it is newer than ours.
          this.#masterEpoch =
            epoch ?? (previousEpoch === undefined ? undefined : previousEpoch + 1);
          this.#setMaster(node, reason);
        } catch (error) {
          this.#report(error);
        } finally {
          this.#switching.delete(key);
        }
      })();
      this.#switching.set(key, flight);
    }
    return flight;
  }

  #setMaster(node: DataNode, reason: MasterChangeReason): void {
    const previous = this.#master;
    if (previous) {
      // Spec point 7: nothing more goes to the old master, even if it wakes up.
      this.#retiredWrites += previous.writes;
      previous.close();
    }
    const previousAddress = previous ? previous.address : this.#lastMaster;
    this.#master = node;
    this.#lastMaster = node.address;
    const promoted = this.#replicas.get(node.key);
    if (promoted) this.#removeReplica(promoted, 'promoted');
    node.redis.once('close', () => this.#dropMaster(node, 'connection-lost'));
    const switchedAt = this.#options.clock();
    let timings: FailoverTimings | undefined;
    if (reason !== 'discovered') {
      this.#masterChanges++;
      const episode = this.#episode ?? {
        lostAt: undefined,
        announcedAt: undefined,
        queued: 0,
        retried: 0,
        rejected: 0,
      };
      timings = { ...episode, switchedAt };
    }
    this.#episode = undefined;
    this.#releaseHold();
    this.#emitTopology({
      type: 'MASTER_CHANGE',
      previous: previousAddress ? { ...previousAddress } : undefined,
      current: { ...node.address },
      reason,
      switchedAt,
      timings,
    });
    for (const waiter of this.#masterWaiters) waiter.resolve(node);
    this.#masterWaiters.clear();
    // Replicas follow the new master only once Sentinel reconfigures them.
    if (reason !== 'discovered') void this.#refresh('poll');
  }

  /** Stops using `node` as master, and asks Sentinel until there is one again. */
  #dropMaster(node: DataNode, reason: MasterLostReason): void {
    if (this.#master !== node) return;
    this.#master = undefined;
    this.#retiredWrites += node.writes;
    node.close();
    this.#episode ??= {
      lostAt: this.#options.clock(),
      announcedAt: undefined,
      queued: 0,
      retried: 0,
      rejected: 0,
    };
    this.#emitTopology({ type: 'MASTER_LOST', previous: { ...node.address }, reason });
    void this.#recoverMaster();
  }

  async #recoverMaster(): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      while (!this.#master && this.#status === 'ready') {
        await this.#refresh('reconnect');
        if (!this.#master) await delay(RETRY_PAUSE_MS);
      }
    } finally {
      this.#recovering = false;
    }
  }

  /**
   * The master may be hung (Sentinel flags it down, or a command timed out): a
   * PING must come back within `sentinelTimeout`, or we stop sending it
   * anything. Commands then wait for the next master instead of piling up on a
   * node that does not answer.
   */
  #suspectMaster(node: DataNode): Promise<void> {
    if (this.#master !== node) return Promise.resolve();
    this.#suspicion ??= withTimeout(node.redis.ping(), this.#options.sentinelTimeout, 'PING')
      .then(
        () => undefined,
        () => this.#dropMaster(node, 'unresponsive'),
      )
      .finally(() => {
        this.#suspicion = undefined;
      });
    return this.#suspicion;
  }

  #awaitMaster(startedAt = this.#options.clock(), deadline?: AbortSignal): Promise<DataNode> {
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    if (this.#status === 'idle') {
      return Promise.reject(
        new SentinelKitError('NOT_CONNECTED', 'call connect() before sending commands'),
      );
    }
    const master = this.#master;
    if (master && this.#status === 'ready' && !this.#failoverHold) return Promise.resolve(master);
    this.#countEpisode('queued');
    return new Promise((resolve, reject) => {
      const remaining = startedAt + this.#options.failoverTimeout - this.#options.clock();
      const timer = setTimeout(
        () => {
          this.#masterWaiters.delete(waiter);
          this.#failoverRejections++;
          this.#countEpisode('rejected');
          reject(
            new SentinelKitError(
              'MASTER_UNAVAILABLE',
              `no verified master for "${this.#options.masterName}" within failoverTimeout (${this.#options.failoverTimeout} ms)`,
            ),
          );
        },
        Math.max(0, remaining),
      );
      // Past the call's deadline the waiter leaves at once: with no master for long, waiters of
      // timed-out calls would otherwise pile up until failoverTimeout.
      const abandon = () => {
        this.#masterWaiters.delete(waiter);
        waiter.reject(deadline?.reason as Error);
      };
      const waiter: Waiter = {
        resolve: (node) => {
          clearTimeout(timer);
          deadline?.removeEventListener('abort', abandon);
          resolve(node);
        },
        reject: (error) => {
          clearTimeout(timer);
          deadline?.removeEventListener('abort', abandon);
          reject(error);
        },
      };
      if (deadline?.aborted) return abandon();
      deadline?.addEventListener('abort', abandon, { once: true });
      this.#masterWaiters.add(waiter);
      if (this.#status === 'connecting') {
        // Waiters are resolved by #setMaster, but the client is usable only
        // once discovery has finished.
        this.#connecting?.then(
          () => this.#master && waiter.resolve(this.#master),
          (error: Error) => {
            this.#masterWaiters.delete(waiter);
            waiter.reject(error);
          },
        );
      }
    });
  }

  /**
   * Sentinel has started failing the master over. Until `+switch-master` (or
   * an abort) new writes wait: the old master keeps accepting writes until it
   * is reconfigured, and whatever it accepts after the promotion is lost.
   * Bounded by failoverTimeout, after which Sentinel is asked again.
   */
  #holdWrites(receivedAt: number): void {
    if (this.#failoverHold || !this.#master) return;
    this.#episode ??= {
      lostAt: undefined,
      announcedAt: undefined,
      queued: 0,
      retried: 0,
      rejected: 0,
    };
    this.#episode.lostAt ??= receivedAt;
    this.#failoverHold = setTimeout(() => {
      this.#releaseHold();
      this.#resolveWaiters();
      void this.#refresh('poll');
    }, this.#options.failoverTimeout);
    this.#failoverHold.unref();
  }

  #releaseHold(): void {
    clearTimeout(this.#failoverHold);
    this.#failoverHold = undefined;
  }

  /** Hands the current master to everything waiting (after a hold ends without a switch). */
  #resolveWaiters(): void {
    const master = this.#master;
    if (!master || this.#failoverHold) return;
    for (const waiter of this.#masterWaiters) waiter.resolve(master);
    this.#masterWaiters.clear();
  }

  #countEpisode(what: 'queued' | 'retried' | 'rejected'): void {
    if (this.#episode) this.#episode[what]++;
  }

  // ------------------------------------------------------- sentinel events

  #onSentinelEvent(event: SentinelEvent, receivedAt: number): void {
    if (this.#status !== 'ready') return;
    const master = this.#master;
    if (event.type === '+switch-master' && event.newMaster) {
      // Every sentinel announces the same switch; only news matters.
      if (master && same(master.announced, event.newMaster)) return;
      this.#episode ??= {
        lostAt: undefined,
        announcedAt: undefined,
        queued: 0,
        retried: 0,
        rejected: 0,
      };
      this.#episode.announcedAt ??= receivedAt;
      void this.#switchTo(event.newMaster, 'switch-master', undefined);
      return;
    }
    if (isFailoverStart(event.type)) {
      this.#holdWrites(receivedAt);
      return;
    }
    if (isFailoverAbort(event.type)) {
      this.#releaseHold();
      this.#resolveWaiters();
      void this.#refresh('poll');
      return;
    }
    const instance = event.instance;
    if (!instance) return;
    if ((event.type === '+sdown' || event.type === '+odown') && instance.kind === 'master') {
      if (master && same(master.announced, instance.address)) void this.#suspectMaster(master);
      return;
    }
    if (event.type === '+sdown' && instance.kind === 'replica') {
      const replica = this.#replicas.get(formatAddress(instance.address));
      if (replica) this.#removeReplica(replica, 'down');
      return;
    }
    // Anything else (-sdown, +slave, +convert-to-slave, +reboot, …) may bring a
    // replica back or change roles: look again now rather than at the next poll.
    void this.#refresh('poll');
  }

  // -------------------------------------------------------------- polling

  /** Asks Sentinel for the current topology and brings the client's view in line. */
  #refresh(reason: MasterChangeReason): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const deadline = this.#options.clock() + this.#options.connectTimeout;
        this.#sentinelQueries++;
        const first = await this.#link.ask(deadline).catch((error: unknown) => {
          this.#sentinelQueryFailures++;
          throw error;
        });
        if (this.#status !== 'ready') return;
        this.#watch.watch(this.#link.sentinels);
        let answer = await this.#follow(first, reason);
        if (!answer) {
          // The sentinel asked first named a node that is not master: it may be stale
          // (partitioned away). The others are asked, highest config epoch first.
          this.#link.demote(first.from);
          for (const other of await this.#link.survey(deadline, first.from)) {
            if (same(other.master, first.master)) continue;
            answer = await this.#follow(other, reason);
            if (answer) {
              this.#link.promote(other.from);
              break;
            }
          }
        }
        if (answer) await this.#reconcile(answer, deadline);
      } catch (error) {
        this.#report(error);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * Brings writes in line with one sentinel's answer: keeps the master when it names ours,
   * switches when it names a newer one. Returns the answer when the client ends up on (or
   * stays with) the master it names, `undefined` when that node could not be verified.
   */
  async #follow(
    answer: SentinelAnswer,
    reason: MasterChangeReason,
  ): Promise<SentinelAnswer | undefined> {
    const master = this.#master;
    if (master && same(master.announced, answer.master)) {
      if (answer.epoch !== undefined) this.#masterEpoch = answer.epoch;
      if (answer.masterFlags.includes('s_down') || answer.masterFlags.includes('o_down')) {
        void this.#suspectMaster(master);
      }
      return answer;
    }
    // An older configuration than the one we follow: nothing to do, nothing wrong.
    if (master && !this.#isNewer(answer.epoch)) return answer;
    await this.#switchTo(answer.master, reason, answer.epoch);
    const now = this.#master;
    return now && same(now.announced, answer.master) ? answer : undefined;
  }

  /** Whether an answer's epoch names a newer configuration than the master we follow. */
  #isNewer(epoch: number | undefined): boolean {
    return epoch === undefined || this.#masterEpoch === undefined || epoch > this.#masterEpoch;
  }

  #schedulePoll(): void {
    if (this.#status !== 'ready') return;
    this.#pollTimer = setTimeout(() => {
      void this.#refresh('poll').finally(() => this.#schedulePoll());
    }, this.#options.sentinelPollInterval);
    // Polling alone must not keep the process alive; open connections do that.
    this.#pollTimer.unref();
  }

  // -------------------------------------------------------------- replicas

  /** Brings replicas and sentinels in line with what a sentinel said. */
  async #reconcile(answer: SentinelAnswer, deadline: number): Promise<void> {
    if (this.#link.learn(answer.sentinels)) {
      this.#emitTopology({
        type: 'SENTINEL_LIST_CHANGE',
        sentinels: this.#link.sentinels.map((s) => ({ ...s })),
      });
      this.#watch.watch(this.#link.sentinels);
    }
    const master = this.#master;
    // A lagging sentinel describes replicas of another master: not ours to act on.
    if (!master || !same(master.announced, answer.master)) return;
    const candidates = await this.#withLag(
      parseReplicaList(answer.replicas).slice(0, MAX_REPLICAS),
      master,
    );
    const { healthy, rejected } = filterReplicas(
      candidates.list,
      {
        ...master.announced,
        ...(candidates.masterOffset !== undefined && { replOffset: candidates.masterOffset }),
      },
      this.#options.maxReplicationLag ? { maxReplicationLag: this.#options.maxReplicationLag } : {},
    );
    const healthyKeys = new Set(healthy.map(formatAddress));
    for (const node of [...this.#replicas.values()]) {
      if (healthyKeys.has(node.key)) continue;
      const why = rejected.find((r) => formatAddress(r.replica) === node.key)?.reason;
      this.#removeReplica(
        node,
        why === undefined || why === 'duplicate' || why === 'is-master' ? 'gone' : why,
      );
    }
    await Promise.all(
      healthy
        .filter(
          (c) => !this.#replicas.has(formatAddress(c)) && !this.#verifying.has(formatAddress(c)),
        )
        .map((c) => this.#addReplica(c, master, deadline)),
    );
  }

  /** With a lag bound, fills in each candidate's offset and lag from the master's own view. */
  async #withLag(
    list: ReplicaCandidate[],
    master: DataNode,
  ): Promise<{ list: ReplicaCandidate[]; masterOffset: number | undefined }> {
    if (!this.#options.maxReplicationLag) return { list, masterOffset: undefined };
    try {
      const info = parseReplicationInfo(String(await master.redis.info('replication')));
      return {
        masterOffset: info.replOffset,
        list: list.map((c) => {
          const seen = info.replicas.find((r) => r.host === c.host && r.port === c.port);
          if (!seen) return c;
          return {
            ...c,
            ...(seen.replOffset !== undefined && { replOffset: seen.replOffset }),
            ...(seen.lagSeconds !== undefined && { lagSeconds: seen.lagSeconds }),
          };
        }),
      };
    } catch {
      return { list, masterOffset: undefined };
    }
  }

  /**
   * Connects to a replica Sentinel calls healthy and checks with `ROLE` that it follows our master
   * and has caught up with it, before it serves reads.
   */
  async #addReplica(
    candidate: ReplicaCandidate,
    master: DataNode,
    deadline: number,
  ): Promise<void> {
    const key = formatAddress(candidate);
    this.#verifying.add(key);
    const node = this.#newNode({ host: candidate.host, port: candidate.port });
    try {
      // A replica that does not answer quickly is not used (a frozen node
      // Sentinel still lists as healthy for a while, say).
      const until = Math.min(this.#options.clock() + this.#options.sentinelTimeout, deadline);
      await openConnection(
        node.redis,
        node.address,
        remaining(until, this.#options.clock()),
        this.#secrets,
        'data',
        this.#setup,
      );
      const caughtUp = await this.#caughtUp(node, master, until);
      // Discovery adds replicas before the status becomes 'ready': only a close stops it.
      if (!caughtUp || this.#master !== master || this.#status === 'closed') {
        node.close();
        return;
      }
      this.#replicas.set(key, node);
      node.redis.once('close', () => this.#removeReplica(node, 'connection-lost'));
      this.#readable = [...this.#replicas.values()];
      this.#emitTopology({ type: 'REPLICA_ADD', replica: { ...node.address } });
    } catch (error) {
      node.close();
      this.#report(error);
    } finally {
      this.#verifying.delete(key);
    }
  }

  /**
   * Whether `node` replicates from `master` and has applied its stream up to a recent master
   * offset (see admission.ts), checked with one `ROLE` on each every {@link CATCH_UP_POLL_MS}
   * until `until`. One that has not caught up by then stays out; the next refresh asks again.
   */
  async #caughtUp(node: DataNode, master: DataNode, until: number): Promise<boolean> {
    let target: number | undefined;
    for (;;) {
      const [replicaRole, masterRole] = await Promise.all([
        withTimeout(node.redis.call('ROLE'), remaining(until, this.#options.clock()), 'ROLE').then(
          parseRole,
        ),
        withTimeout(
          master.redis.call('ROLE'),
          remaining(until, this.#options.clock()),
          'ROLE',
        ).then(parseRole),
      ]);
      if (masterRole?.role !== 'master') return false;
      // The first check compares offsets taken together (an idle master is caught up with at
      // once); later ones the master's offset of the check before, which a replica applying
      // the stream reaches even while writes go on.
      const { verdict } = admitReplica(
        replicaRole,
        master.announced,
        target ?? masterRole.replOffset,
      );
      if (verdict !== 'catching-up') return verdict === 'admit';
      if (this.#options.clock() + CATCH_UP_POLL_MS >= until || this.#master !== master)
        return false;
      target = masterRole.replOffset;
      await delay(CATCH_UP_POLL_MS);
    }
  }

  #removeReplica(node: DataNode, reason: ReplicaRemoveReason): void {
    if (this.#replicas.get(node.key) !== node) return;
    this.#replicas.delete(node.key);
    const key = formatAddress(node.address);
    this.#retiredReads.set(key, (this.#retiredReads.get(key) ?? 0) + node.reads);
    node.close();
    this.#readable = [...this.#replicas.values()];
    this.#emitTopology({ type: 'REPLICA_REMOVE', replica: { ...node.address }, reason });
  }

  // ------------------------------------------------------------- plumbing

  /** Closes every data node; returns their connections so close() can wait for them. */
  #teardownNodes(): Redis[] {
    const connections: Redis[] = [];
    for (const node of [...this.#replicas.values()]) {
      connections.push(node.redis);
      this.#removeReplica(node, 'closed');
    }
    const master = this.#master;
    if (master) {
      this.#master = undefined;
      this.#retiredWrites += master.writes;
      connections.push(master.redis);
      master.close();
    }
    return connections;
  }

  #emitTopology(event: TopologyEvent): void {
    this.emit('topology-change', event);
  }

  #report(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    const reported = this.#errorThrottle.admit(asReportable(error, this.#secrets));
    if (reported) this.emit('error', reported);
  }

  #noReplicaError(): SentinelKitError {
    return new SentinelKitError(
      'NO_REPLICA_AVAILABLE',
      `no healthy replica of "${this.#options.masterName}" for a read with readFrom 'replica-only'`,
    );
  }

  #closedError(): SentinelKitError {
    return new SentinelKitError('CLIENT_CLOSED', 'the client was closed');
  }
}

/**
 * Calls `fn` with a guarded view of `redis` (see lent.ts), its commands batched with the others
 * of this tick (see tick.ts), and turns a synchronous throw into a rejection like any other failure.
 */
function attempt<T>(fn: (redis: Redis) => Promise<T>, redis: Redis, mode: LendMode): Promise<T> {
  batchCommands(redis);
  try {
    return fn(lend(redis, mode));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The node Sentinel named is not master, or could not be reached to check. */
function isWrongMaster(error: unknown): boolean {
  // A refused certificate, password or ACL rule is ours to fix, not a stale sentinel's.
  if (isPermanentSetupError(error)) return false;
  return !(
    error instanceof SentinelKitError &&
    (error.code === 'AUTH_FAILED' ||
      error.code === 'CLIENT_CLOSED' ||
      // A setup step the node refused (SELECT of `db`): an option to fix.
      error.code === 'INVALID_OPTION')
  );
}

function waitForEnd(redis: Redis): Promise<void> {
  if (redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => redis.once('end', () => resolve()));
}

/**
 * Creates a client from a location string (`mymaster/host:port,host:port/db`
 * or `redis+sentinel://…`) or an options object, with `overrides` on top.
 * Validates everything now (throwing `INVALID_OPTION` naming the option) and
 * does no I/O: call `connect()`.
 */
export function createSentinelClient(
  location: string | SentinelClientOptions,
  overrides?: Partial<SentinelClientOptions>,
): SentinelClient {
  return new SentinelClient(resolveOptions(location, overrides));
}
