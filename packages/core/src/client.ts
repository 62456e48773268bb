import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import {
  dataNodeOptions,
  messageOf,
  openConnection,
  Redis,
  secretsOf,
  withTimeout,
} from './connections.js';
import { SentinelKitError } from './errors.js';
import type {
  MasterChangeReason,
  ReplicaRemoveReason,
  SentinelClientEvents,
  TopologyEvent,
} from './events.js';
import {
  type ResolvedSentinelClientOptions,
  resolveOptions,
  type SentinelClientOptions,
} from './options.js';
import {
  applyNatMap,
  filterReplicas,
  parseReplicaList,
  type ReplicaCandidate,
} from './replicas.js';
import { parseReplicationInfo, parseRole } from './role.js';
import { chooseReadTarget, commandKind } from './routing.js';
import { type SentinelAnswer, SentinelLink } from './sentinel-link.js';
import { formatAddress, type NodeAddress, type ReadFrom } from './types.js';

/** Lifecycle of a {@link SentinelClient}. */
export type ClientStatus = 'idle' | 'connecting' | 'ready' | 'closed';

/** Per-call options of {@link SentinelClient.read}. */
export interface ReadOptions {
  /** Overrides the client's `readFrom` for this call. */
  readFrom?: ReadFrom;
}

/** One data node in the client's view of the topology. */
export interface NodeView {
  /** Address the client connects to (after the NAT map). */
  address: NodeAddress;
  /** Address as Sentinel announces it. */
  announced: NodeAddress;
  /** Reads this client sent to the node. */
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
}

/** Counters since the client was created. */
export interface ClientStats {
  /** Operations run on the master through `write()` (or routed writes of `call()`). */
  writes: number;
  /** Reads served by the master (no healthy replica, or `readFrom: 'master'`). */
  masterReads: number;
  /** Reads served by replicas, keyed by `host:port` (after the NAT map). */
  replicaReads: Record<string, number>;
  /** Times writes moved to another master after the first discovery. */
  masterChanges: number;
}

/** An ioredis connection to one data node, with the counters routing keeps. */
class DataNode {
  reads = 0;
  writes = 0;
  readonly key: string;

  constructor(
    readonly announced: NodeAddress,
    readonly address: NodeAddress,
    readonly redis: Redis,
  ) {
    this.key = formatAddress(announced);
  }

  view(): NodeView {
    return { address: { ...this.address }, announced: { ...this.announced }, reads: this.reads };
  }
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

// Pause between attempts when Sentinel names a node that is not (yet) master:
// spec point 3, "wait a little and start again".
const RETRY_PAUSE_MS = 100;
// A closed connection to a frozen peer is destroyed after this long (ioredis
// waits for the peer's FIN otherwise), so close() never lingers.
const DISCONNECT_TIMEOUT_MS = 500;

const same = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port;

/**
 * A Redis Sentinel client: writes (and scripts, transactions, SCAN) go to the
 * master, each read to a random healthy replica, the master when there is none.
 *
 * Operations take a callback that receives the ioredis connection of the node
 * chosen for that one call, so every ioredis command, pipeline and transaction
 * is available unchanged, and a failover can run the callback again on the new
 * master. Do not keep the connection beyond the callback: it may be closed at
 * the next failover.
 *
 * The constructor does no I/O: call {@link connect} first and {@link close} at
 * the end. Create one with {@link createSentinelClient}.
 */
export class SentinelClient extends EventEmitter<SentinelClientEvents> {
  readonly #options: ResolvedSentinelClientOptions;
  readonly #secrets: (string | undefined)[];
  readonly #link: SentinelLink;
  #status: ClientStatus = 'idle';
  #connecting: Promise<void> | undefined;
  #master: DataNode | undefined;
  readonly #replicas = new Map<string, DataNode>();
  readonly #verifying = new Set<string>();
  #readable: DataNode[] = [];
  readonly #masterWaiters = new Set<{
    resolve: (node: DataNode) => void;
    reject: (e: Error) => void;
  }>();
  #pollTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #masterChanges = 0;
  #masterReads = 0;
  // Counters of nodes no longer in use, so stats() stays cumulative.
  #retiredWrites = 0;
  readonly #retiredReads = new Map<string, number>();

  constructor(options: ResolvedSentinelClientOptions) {
    super();
    this.#options = options;
    this.#secrets = secretsOf(options);
    this.#link = new SentinelLink(options, (error) => this.#report(error));
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
   * `MASTER_UNAVAILABLE`.
   */
  write<T>(fn: (master: Redis) => Promise<T>): Promise<T> {
    const master = this.#master;
    if (master && this.#status === 'ready') {
      master.writes++;
      return fn(master.redis);
    }
    return this.#awaitMaster().then((node) => {
      node.writes++;
      return fn(node.redis);
    });
  }

  /**
   * Runs `fn` with the connection of a node chosen for this one call by
   * `readFrom`: by default a random healthy replica, the master when none is
   * healthy. With `'replica-only'` and no healthy replica it rejects with
   * `NO_REPLICA_AVAILABLE`.
   */
  read<T>(fn: (node: Redis) => Promise<T>, options?: ReadOptions): Promise<T> {
    if (this.#status !== 'ready') return this.#awaitMaster().then(() => this.read(fn, options));
    const target = chooseReadTarget(
      options?.readFrom ?? this.#options.readFrom,
      this.#readable,
      this.#options.random,
    );
    if (target.kind === 'replica') {
      target.node.reads++;
      return fn(target.node.redis);
    }
    if (target.kind === 'none') {
      return Promise.reject(
        new SentinelKitError(
          'NO_REPLICA_AVAILABLE',
          `no healthy replica of "${this.#options.masterName}" for a read with readFrom 'replica-only'`,
        ),
      );
    }
    const master = this.#master;
    if (master) {
      this.#masterReads++;
      return fn(master.redis);
    }
    return this.#awaitMaster().then((node) => {
      this.#masterReads++;
      return fn(node.redis);
    });
  }

  /**
   * Sends one command, routed by its kind: read-only commands (`GET`, `MGET`,
   * `HGETALL`, …) as {@link read}, everything else (writes, scripts, `SCAN`,
   * `KEYS`, unknown commands) as {@link write}.
   */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
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
      master: master
        ? { ...master.view(), reads: this.#masterReads, writes: master.writes }
        : undefined,
      replicas: this.#readable.map((node) => node.view()),
      sentinels: this.#link.sentinels.map((s) => ({ ...s })),
    };
  }

  /** Counters since the client was created. */
  stats(): ClientStats {
    const replicaReads: Record<string, number> = Object.fromEntries(this.#retiredReads);
    for (const node of this.#replicas.values()) {
      const key = formatAddress(node.address);
      replicaReads[key] = (replicaReads[key] ?? 0) + node.reads;
    }
    const writes = this.#retiredWrites + (this.#master?.writes ?? 0);
    return {
      writes,
      masterReads: this.#masterReads,
      replicaReads,
      masterChanges: this.#masterChanges,
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
    for (const waiter of this.#masterWaiters) waiter.reject(this.#closedError());
    this.#masterWaiters.clear();
    const connections = this.#teardownNodes();
    this.#link.close();
    await Promise.all(connections.map(waitForEnd));
  }

  override toString(): string {
    const master = this.#master ? formatAddress(this.#master.address) : 'none';
    return `SentinelClient(${this.#options.masterName}, ${this.#status}, master ${master}, ${this.#readable.length} replicas, ${this.#link.sentinels.length} sentinels)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  async #discover(): Promise<void> {
    this.#status = 'connecting';
    const deadline = Date.now() + this.#options.connectTimeout;
    for (;;) {
      const answer = await this.#link.ask(deadline);
      try {
        const master = await this.#verifyMaster(answer.master, deadline);
        // close() may have run while we were verifying.
        if ((this.#status as ClientStatus) === 'closed') {
          master.redis.disconnect();
          throw this.#closedError();
        }
        this.#setMaster(master, 'discovered');
        await this.#reconcile(answer, deadline);
        break;
      } catch (error) {
        if (error instanceof SentinelKitError && error.code === 'AUTH_FAILED') throw error;
        if (error instanceof SentinelKitError && error.code === 'CLIENT_CLOSED') throw error;
        if (Date.now() + RETRY_PAUSE_MS >= deadline) {
          throw new SentinelKitError(
            'MASTER_UNAVAILABLE',
            `no verified master for "${this.#options.masterName}" within connectTimeout (${this.#options.connectTimeout} ms): ${messageOf(error, this.#secrets)}`,
            { cause: error },
          );
        }
        await delay(RETRY_PAUSE_MS);
      }
    }
    this.#status = 'ready';
    this.#schedulePoll();
  }

  /** Connects to the node Sentinel names as master and checks that it says so itself. */
  async #verifyMaster(announced: NodeAddress, deadline: number): Promise<DataNode> {
    const node = this.#newNode(announced);
    const budget = Math.max(1, deadline - Date.now());
    await openConnection(node.redis, node.address, budget, this.#secrets);
    try {
      const role = parseRole(await withTimeout(node.redis.call('ROLE'), budget, 'ROLE'));
      if (role?.role !== 'master') {
        throw new SentinelKitError(
          'MASTER_UNAVAILABLE',
          `${formatAddress(node.address)} is named master by Sentinel but reports role ${role?.role ?? 'unknown'}`,
        );
      }
      return node;
    } catch (error) {
      node.redis.disconnect();
      throw error;
    }
  }

  #newNode(announced: NodeAddress): DataNode {
    const address = applyNatMap(announced, this.#options.natMap);
    const redis = new Redis({
      ...dataNodeOptions(this.#options, address),
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    });
    redis.on('error', (error: Error) => this.#report(error));
    return new DataNode(announced, address, redis);
  }

  #setMaster(node: DataNode, reason: MasterChangeReason): void {
    const previous = this.#master;
    this.#master = node;
    if (previous) {
      // Spec point 7: nothing more goes to the old master, even if it wakes up.
      this.#retiredWrites += previous.writes;
      previous.redis.disconnect();
    }
    if (reason !== 'discovered') this.#masterChanges++;
    const promoted = this.#replicas.get(node.key);
    if (promoted) this.#removeReplica(promoted, 'promoted');
    node.redis.once('close', () => {
      if (this.#master === node) this.#onMasterLost(node);
    });
    this.#emitTopology({
      type: 'MASTER_CHANGE',
      previous: previous?.address,
      current: { ...node.address },
      reason,
      switchedAt: Date.now(),
    });
    for (const waiter of this.#masterWaiters) waiter.resolve(node);
    this.#masterWaiters.clear();
  }

  /** The master connection closed: ask Sentinel again until there is a master. */
  #onMasterLost(node: DataNode): void {
    this.#retiredWrites += node.writes;
    this.#master = undefined;
    void (async () => {
      while (!this.#master && this.#status === 'ready') {
        await this.#refresh('reconnect');
        if (!this.#master) await delay(RETRY_PAUSE_MS);
      }
    })();
  }

  #awaitMaster(): Promise<DataNode> {
    if (this.#status === 'closed') return Promise.reject(this.#closedError());
    if (this.#status === 'idle') {
      return Promise.reject(
        new SentinelKitError('NOT_CONNECTED', 'call connect() before sending commands'),
      );
    }
    const master = this.#master;
    if (master && this.#status === 'ready') return Promise.resolve(master);
    return new Promise((resolve, reject) => {
      const timeoutMs = this.#options.failoverTimeout;
      const timer = setTimeout(() => {
        this.#masterWaiters.delete(waiter);
        reject(
          new SentinelKitError(
            'MASTER_UNAVAILABLE',
            `no verified master for "${this.#options.masterName}" within failoverTimeout (${timeoutMs} ms)`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        resolve: (node: DataNode) => {
          clearTimeout(timer);
          resolve(node);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#masterWaiters.add(waiter);
      // A connect() in progress resolves waiters through #setMaster, but the
      // client is usable only once discovery finished.
      if (this.#status === 'connecting') {
        this.#connecting?.then(
          () => this.#master && waiter.resolve(this.#master),
          (error: Error) => waiter.reject(error),
        );
      }
    });
  }

  /** Asks Sentinel for the current topology and brings the client's view in line. */
  #refresh(reason: MasterChangeReason): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const deadline = Date.now() + this.#options.connectTimeout;
        const answer = await this.#link.ask(deadline);
        if (this.#status !== 'ready') return;
        if (!this.#master || !same(this.#master.announced, answer.master)) {
          const node = await this.#verifyMaster(answer.master, deadline);
          if (this.#status !== 'ready') {
            node.redis.disconnect();
            return;
          }
          this.#setMaster(node, reason);
        }
        await this.#reconcile(answer, deadline);
      } catch (error) {
        this.#report(error);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #schedulePoll(): void {
    if (this.#status !== 'ready') return;
    this.#pollTimer = setTimeout(() => {
      void this.#refresh('poll').finally(() => this.#schedulePoll());
    }, this.#options.sentinelPollInterval);
    // Polling alone must not keep the process alive; open connections do that.
    this.#pollTimer.unref();
  }

  /** Brings replicas and sentinels in line with what a sentinel said. */
  async #reconcile(answer: SentinelAnswer, deadline: number): Promise<void> {
    if (this.#link.learn(answer.sentinels)) {
      this.#emitTopology({
        type: 'SENTINEL_LIST_CHANGE',
        sentinels: this.#link.sentinels.map((s) => ({ ...s })),
      });
    }
    const master = this.#master;
    if (!master) return;
    const candidates = await this.#withLag(parseReplicaList(answer.replicas), master);
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

  /** Connects to a replica Sentinel calls healthy and checks with `ROLE` that it follows our master. */
  async #addReplica(
    candidate: ReplicaCandidate,
    master: DataNode,
    deadline: number,
  ): Promise<void> {
    const key = formatAddress(candidate);
    this.#verifying.add(key);
    const node = this.#newNode({ host: candidate.host, port: candidate.port });
    try {
      const budget = Math.max(1, Math.min(this.#options.connectTimeout, deadline - Date.now()));
      await openConnection(node.redis, node.address, budget, this.#secrets);
      const role = parseRole(await withTimeout(node.redis.call('ROLE'), budget, 'ROLE'));
      const follows =
        role?.role === 'replica' &&
        role.linkState === 'connected' &&
        role.masterHost === master.announced.host &&
        role.masterPort === master.announced.port;
      if (!follows || this.#master !== master || this.#status === 'closed') {
        node.redis.disconnect();
        return;
      }
      this.#replicas.set(key, node);
      node.redis.once('close', () => this.#removeReplica(node, 'connection-lost'));
      this.#readable = [...this.#replicas.values()];
      this.#emitTopology({ type: 'REPLICA_ADD', replica: { ...node.address } });
    } catch (error) {
      node.redis.disconnect();
      this.#report(error);
    } finally {
      this.#verifying.delete(key);
    }
  }

  #removeReplica(node: DataNode, reason: ReplicaRemoveReason): void {
    if (this.#replicas.get(node.key) !== node) return;
    this.#replicas.delete(node.key);
    const key = formatAddress(node.address);
    this.#retiredReads.set(key, (this.#retiredReads.get(key) ?? 0) + node.reads);
    node.redis.disconnect();
    this.#readable = [...this.#replicas.values()];
    this.#emitTopology({ type: 'REPLICA_REMOVE', replica: { ...node.address }, reason });
  }

  /** Disconnects every data node; returns their connections so close() can wait for them. */
  #teardownNodes(): Redis[] {
    const connections: Redis[] = [];
    for (const node of [...this.#replicas.values()]) {
      connections.push(node.redis);
      this.#removeReplica(node, 'closed');
    }
    if (this.#master) {
      this.#retiredWrites += this.#master.writes;
      connections.push(this.#master.redis);
      this.#master.redis.disconnect();
      this.#master = undefined;
    }
    return connections;
  }

  #emitTopology(event: TopologyEvent): void {
    this.emit('topology-change', event);
  }

  #report(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    const safe =
      error instanceof SentinelKitError ? error : new Error(messageOf(error, this.#secrets));
    this.emit('error', safe);
  }

  #closedError(): SentinelKitError {
    return new SentinelKitError('CLIENT_CLOSED', 'the client was closed');
  }
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
