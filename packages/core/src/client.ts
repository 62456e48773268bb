/**
 * The public face of the core: `SentinelClient` — its options, events, lifecycle and the calls
 * users make — over the parts that do the work (see docs/architecture.md):
 * - operations.ts: where each write and read goes, and what happens when it fails;
 * - master.ts (+ master-state.ts): which node is master, holding writes during a failover;
 * - replica-rotation.ts: the replicas reads are spread over;
 * - sentinel-side.ts (+ discovery.ts): asking and watching the sentinels;
 * - data-node.ts: one node and its connections.
 */
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { refusalOf } from './command-policy.js';
import { ClosingConnections, connectionSetup, type Redis, secretsOf } from './connections.js';
import { type ClientContext, closedError } from './context.js';
import type { RoutedClient, RoutedClientStats, RoutedTopology } from './contract.js';
import { type NodeView, type ServedBy, waitForEnd } from './data-node.js';
import {
  addressOfConnection,
  noteAttempt,
  type ObservedTarget,
  type OperationMessage,
  operationsObserved,
  publishClient,
  publishTopology,
  traceOperation,
} from './diagnostics.js';
import { discover } from './discovery.js';
import { asReportable, ErrorThrottle } from './error-reports.js';
import type { SentinelClientEvents } from './events.js';
import { refusalError } from './lent.js';
import { Master } from './master.js';
import { registerNodeConnections } from './node-connections.js';
import { OperationRunner, type ReadOptions, type WriteOptions } from './operations.js';
import {
  type ResolvedSentinelClientOptions,
  resolveOptions,
  type SentinelClientOptions,
} from './options.js';
import { ReplicaRotation } from './replica-rotation.js';
import { commandKind } from './routing.js';
import { SentinelSide } from './sentinel-side.js';
import { formatAddress, type NodeAddress } from './types.js';

export type { NodeView, ServedBy } from './data-node.js';
export type { ReadOptions, WriteOptions } from './operations.js';

/** Lifecycle of a {@link SentinelClient}. */
export type ClientStatus = 'idle' | 'connecting' | 'ready' | 'closed';

/** What {@link SentinelClient.topology} returns: the nodes commands are routed to now. */
export interface TopologySnapshot extends RoutedTopology {
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

/** Counters since the client was created: the contract's, and the Sentinel queries. */
export interface ClientStats extends RoutedClientStats {
  /** Reads served by replicas, keyed by `host:port` (after the NAT map). */
  replicaReads: Record<string, number>;
  /** Times the client asked Sentinel for the topology (polls and event-driven refreshes). */
  sentinelQueries: number;
  /** Of those, the ones no sentinel answered. */
  sentinelQueryFailures: number;
}

// Each cause of 'error' events (code and node) is reported once per window, with a count.
const ERROR_REPORT_WINDOW_MS = 10_000;

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
export class SentinelClient extends EventEmitter<SentinelClientEvents> implements RoutedClient {
  readonly #options: ResolvedSentinelClientOptions;
  readonly #master: Master;
  readonly #rotation: ReplicaRotation;
  readonly #sentinels: SentinelSide;
  readonly #operations: OperationRunner;
  readonly #context: ClientContext;
  #connecting: Promise<void> | undefined;
  readonly #errorThrottle = new ErrorThrottle(ERROR_REPORT_WINDOW_MS);
  /** This client as diagnostics channel messages name it (diagnostics.ts). */
  readonly #target: ObservedTarget;

  constructor(options: ResolvedSentinelClientOptions) {
    super();
    // One client is meant to be shared by every store and module of an app, each listening to
    // its events: many listeners are the normal case, not a leak.
    this.setMaxListeners(0);
    this.#options = options;
    this.#target = { client: this, masterName: options.masterName, db: options.db };
    const secrets = secretsOf(options);
    this.#context = {
      options,
      secrets,
      setup: connectionSetup(options),
      closing: new ClosingConnections(),
      report: (error) => {
        if (this.listenerCount('error') === 0) return;
        const reported = this.#errorThrottle.admit(asReportable(error, secrets));
        if (reported) this.emit('error', reported);
      },
      emit: (event) => {
        publishTopology(this.#target, event);
        this.emit('topology-change', event);
      },
    };
    const context = this.#context;
    registerNodeConnections(this, context);
    this.#master = new Master(context, {
      refresh: (reason) => this.#sentinels.refresh(reason),
      removePromoted: (node) => {
        const promoted = this.#rotation.get(node.key);
        if (promoted) this.#rotation.remove(promoted, 'promoted');
      },
      connecting: () => this.#connecting,
    });
    this.#rotation = new ReplicaRotation(context, {
      master: () => this.#master.node,
      closed: () => this.#master.lifecycle === 'closed',
    });
    this.#sentinels = new SentinelSide(context, this.#master, this.#rotation);
    this.#operations = new OperationRunner(context, this.#master, this.#rotation);
  }

  /** `idle` until `connect()`, `ready` once a master is verified, `closed` after `close()`. */
  get status(): ClientStatus {
    return this.#master.lifecycle;
  }

  /**
   * Discovers the master through the sentinels, verifies it with `ROLE`,
   * connects to the healthy replicas and starts watching the topology. Resolves
   * when writes can go to the master. Rejects within `connectTimeout` with
   * `NO_SENTINEL_REACHABLE`, `MASTER_NAME_UNKNOWN`, `AUTH_FAILED` or
   * `MASTER_UNAVAILABLE`. Calling it again while connected does nothing.
   */
  connect(): Promise<void> {
    if (this.#master.lifecycle === 'closed') return Promise.reject(closedError());
    if (!this.#connecting) publishClient(this.#target);
    this.#connecting ??= this.#discover().catch((error: unknown) => {
      this.#connecting = undefined;
      this.#rotation.removeAll();
      this.#master.dispatch({ type: 'connect-failed' });
      throw error;
    });
    return this.#connecting;
  }

  async #discover(): Promise<void> {
    this.#master.dispatch({ type: 'connect' });
    await discover(this.#context, this.#master, this.#sentinels);
    this.#master.dispatch({ type: 'connected' });
    this.#sentinels.start();
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
    if (!operationsObserved()) return this.#operations.write(fn, options);
    return this.#tracedWrite('write', undefined, fn, options);
  }

  /** Runs `fn` on the master, as {@link write}: a Sentinel deployment has one (the contract's "every master"). */
  async eachMaster<T>(fn: (master: Redis) => Promise<T>, options?: WriteOptions): Promise<T[]> {
    return [await this.write(fn, options)];
  }

  // The traced paths: the same operation, with its node and attempts noted for the
  // `sentinelkit:operation` channel; taken only while someone listens (diagnostics.ts).
  #tracedWrite<T>(
    kind: OperationMessage['kind'],
    command: string | undefined,
    fn: (master: Redis) => Promise<T>,
    options?: WriteOptions,
  ): Promise<T> {
    const message = this.#operationMessage(kind, command);
    const waits = this.#master.target().kind !== 'send';
    const calledAt = waits ? performance.now() : 0;
    return traceOperation(message, () =>
      this.#operations.write((master) => {
        noteAttempt(message, { role: 'master', address: addressOfConnection(master) }, calledAt);
        return fn(master);
      }, options),
    );
  }

  #operationMessage(kind: OperationMessage['kind'], command: string | undefined): OperationMessage {
    // Not `{ ...this.#target, kind, … }`: on Node 20's V8 a spread followed by more properties
    // takes the runtime's slow path, ~9 µs here, which was most of the traced path's cost.
    const { client, masterName, db } = this.#target;
    return { client, masterName, db, kind, command, node: undefined, attempts: 0 };
  }

  #tracedRead<T>(
    kind: OperationMessage['kind'],
    command: string | undefined,
    fn: (node: Redis, servedBy: ServedBy) => Promise<T>,
    options?: ReadOptions,
  ): Promise<T> {
    const message = this.#operationMessage(kind, command);
    const waits = this.#master.lifecycle !== 'ready';
    const calledAt = waits ? performance.now() : 0;
    return traceOperation(message, () =>
      this.#operations.read((node, servedBy) => {
        noteAttempt(message, { role: servedBy.role, address: servedBy.address }, calledAt);
        return fn(node, servedBy);
      }, options),
    );
  }

  /**
   * Runs `fn` with the connection of a node chosen for this one call by
   * `readFrom`: by default a random healthy replica, the master when none is
   * healthy. A read that a node fails (no answer in time, connection lost,
   * `LOADING`, `MASTERDOWN`) runs once more on another healthy replica or the
   * master, and that node leaves the rotation until it is verified again. With
   * `'replica-only'` and no healthy replica it rejects with `NO_REPLICA_AVAILABLE`.
   * `fn`'s second argument says which node it runs on: `{ role, address }`.
   */
  read<T>(fn: (node: Redis, servedBy: ServedBy) => Promise<T>, options?: ReadOptions): Promise<T> {
    if (!operationsObserved()) return this.#operations.read(fn, options);
    return this.#tracedRead('read', undefined, fn, options);
  }

  /**
   * Sends one command, routed by its kind: read-only commands (`GET`, `MGET`,
   * `HGETALL`, …) as {@link read}, everything else (writes, scripts, `SCAN`,
   * `KEYS`, unknown commands) as {@link write}, not idempotent.
   */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    const refusal = refusalOf(command, args);
    if (refusal !== undefined) return Promise.reject(refusalError(refusal));
    const isRead = commandKind(command) === 'read';
    if (!operationsObserved()) {
      return isRead
        ? this.#operations.read((node) => node.call(command, ...args))
        : this.#operations.write((master) => master.call(command, ...args));
    }
    const name = command.toUpperCase();
    return isRead
      ? this.#tracedRead('call', name, (node) => node.call(command, ...args))
      : this.#tracedWrite('call', name, (master) => master.call(command, ...args));
  }

  /** The nodes commands are routed to now. */
  topology(): TopologySnapshot {
    const master = this.#master.node;
    const view = master ? { ...master.view(), writes: master.writes } : undefined;
    const replicas = this.#rotation.readable.map((node) => node.view());
    return {
      masterName: this.#options.masterName,
      status: this.status,
      master: view,
      replicas,
      shards: [{ master: view, replicas }],
      sentinels: this.#sentinels.sentinels.map((s) => ({ ...s })),
      watchedSentinels: this.#sentinels.watched,
    };
  }

  /** Counters since the client was created. */
  stats(): ClientStats {
    const master = this.#master;
    const operations = this.#operations;
    return {
      writes: master.retiredWrites + (master.node?.writes ?? 0),
      masterReads: operations.masterReads,
      replicaReads: this.#rotation.reads(),
      masterChanges: master.changes,
      writeRetries: operations.writeRetries,
      readRetries: operations.readRetries,
      failoverRejections: master.rejections,
      sentinelQueries: this.#sentinels.queries,
      sentinelQueryFailures: this.#sentinels.queryFailures,
      waitingForMaster: master.waiting,
    };
  }

  /**
   * Stops watching the topology and closes every connection. Pending waits
   * reject with `CLIENT_CLOSED`. Resolves once every socket is closed; no timer
   * is left, so the process can exit by itself.
   */
  async close(): Promise<void> {
    if (this.#master.lifecycle === 'closed') return;
    const master = this.#master.node;
    // Closed first: whatever is still running sees it and stops.
    this.#master.dispatch({ type: 'close' });
    const sentinels = this.#sentinels.close();
    const connections = this.#rotation.removeAll();
    if (master) connections.push(master.redis);
    await Promise.all([sentinels, ...connections.map(waitForEnd), this.#context.closing.ended()]);
  }

  override toString(): string {
    const master = this.#master.node;
    const address = master ? formatAddress(master.address) : 'none';
    return `SentinelClient(${this.#options.masterName}, ${this.status}, master ${address}, ${this.#rotation.readable.length} replicas, ${this.#sentinels.sentinels.length} sentinels)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
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
