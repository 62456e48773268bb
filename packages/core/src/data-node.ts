/**
 * One data node and its connections: the shared ioredis connection commands are lent from, the
 * connection of writes followed by `WAIT` (durable.ts), its counters, and how one is dialled and
 * checked to be master. The parts of a client (master.ts, replica-rotation.ts) hold DataNodes.
 */
import { isPermanentSetupError } from './connection-errors.js';
import {
  type ClosingConnections,
  type DataNodeOptions,
  dataNodeOptions,
  openConnection,
  Redis,
  setupErrorOf,
  withTimeout,
} from './connections.js';
import type { ClientContext } from './context.js';
import { DurableConnection, DurableWrites } from './durable.js';
import { SentinelKitError } from './errors.js';
import { type LendMode, lend } from './lent.js';
import { applyNatMap } from './replicas.js';
import { parseReplicationInfo, parseRole, type ReplicationInfo } from './role.js';
import { batchCommands } from './tick.js';
import { formatAddress, type NodeAddress } from './types.js';
import { type StopWatching, watchCommandTimeouts } from './watchdog.js';

/** One data node in the client's view of the topology. */
export interface NodeView {
  /** Address the client connects to (after the NAT map). */
  address: NodeAddress;
  /** Address as Sentinel announces it. */
  announced: NodeAddress;
  /** Reads this client sent to the node while it held this role. */
  reads: number;
}

/** An ioredis connection to one data node, with the counters routing keeps. */
export class DataNode {
  reads = 0;
  writes = 0;
  readonly key: string;
  /** Writes followed by `WAIT`, on a connection of their own (see durable.ts). */
  readonly durableWrites: DurableWrites;
  #durable: Promise<DurableConnection> | undefined;
  #replicationInfo: Promise<ReplicationInfo | undefined> | undefined;
  readonly #commandTimeout: number;
  readonly #unwatch: StopWatching[] = [];
  readonly #closing: ClosingConnections;

  constructor(
    readonly announced: NodeAddress,
    readonly address: NodeAddress,
    readonly redis: Redis,
    options: DataNodeOptions,
    commandTimeout: number,
    open: (redis: Redis) => Promise<void>,
    closing: ClosingConnections,
  ) {
    this.#closing = closing;
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
      if (this.redis.status === 'end') this.#closing.close(redis);
      return redis;
    })();
    return this.#durable;
  }

  view(): NodeView {
    return { address: { ...this.address }, announced: { ...this.announced }, reads: this.reads };
  }

  /** Closes at once: commands in flight fail now, and a frozen peer gets nothing more from us. */
  close(): void {
    this.#closing.close(this.redis);
    for (const unwatch of this.#unwatch) unwatch();
    this.durableWrites.close();
    this.#durable?.then(
      (durable) => this.#closing.close(durable),
      () => undefined,
    );
  }
}

/** A node at `announced` (dialled at its NAT-mapped address), not connected yet. */
export function newDataNode(context: ClientContext, announced: NodeAddress): DataNode {
  const { options, secrets, setup } = context;
  const address = applyNatMap(announced, options.natMap);
  const nodeOptions = dataNodeOptions(options, address, announced);
  const redis = new Redis(nodeOptions);
  // Until it is open, openConnection() turns its errors into the one it throws.
  redis.on('error', (error: Error) => {
    if (redis.status === 'ready') context.report(error);
  });
  return new DataNode(
    announced,
    address,
    redis,
    nodeOptions,
    options.commandTimeout,
    (durable) => openConnection(durable, address, options.connectTimeout, secrets, 'data', setup),
    context.closing,
  );
}

/** Connects to the node Sentinel names as master and checks that it says so itself. */
export async function dialMaster(
  context: ClientContext,
  announced: NodeAddress,
  deadline: number,
): Promise<DataNode> {
  const node = newDataNode(context, announced);
  const budget = Math.max(1, deadline - context.options.clock());
  try {
    await openConnection(node.redis, node.address, budget, context.secrets, 'data', context.setup);
    const role = parseRole(
      await withTimeout(node.redis.call('ROLE'), budget, 'ROLE').catch((error: unknown) => {
        throw setupErrorOf(error, node.redis, node.address, context.secrets);
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

/** The node Sentinel named is not master, or could not be reached to check. */
export function isWrongMaster(error: unknown): boolean {
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

/**
 * Calls `fn` with a guarded view of `redis` (see lent.ts), its commands batched with the others
 * of this tick (see tick.ts), and turns a synchronous throw into a rejection like any other failure.
 */
export function attempt<T>(
  fn: (redis: Redis) => Promise<T>,
  redis: Redis,
  mode: LendMode,
): Promise<T> {
  batchCommands(redis);
  try {
    return fn(lend(redis, mode));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The node a `read()` callback runs on: its role now and its address (after the NAT map). */
export interface ServedBy {
  role: 'master' | 'replica';
  address: NodeAddress;
}

/** A `read()` callback: the node's connection, and which node it is. */
export type ReadCallback<T> = (node: Redis, servedBy: ServedBy) => Promise<T>;

/** {@link attempt} for a read: `fn` also learns which node it runs on, in which role. */
export function attemptRead<T>(
  fn: ReadCallback<T>,
  node: { redis: Redis; address: NodeAddress },
  role: ServedBy['role'],
): Promise<T> {
  const servedBy: ServedBy = { role, address: { ...node.address } };
  return attempt((redis) => fn(redis, servedBy), node.redis, 'read');
}

/** Resolves once `redis` has ended. */
export function waitForEnd(redis: Redis): Promise<void> {
  if (redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => redis.once('end', () => resolve()));
}

export const sameAddress = (a: NodeAddress, b: NodeAddress) =>
  a.host === b.host && a.port === b.port;

export const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
