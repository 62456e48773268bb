import type { ClientStatus } from './client.js';
import type { NodeView, ServedBy } from './data-node.js';
import type { TopologyEvent } from './events.js';
import type { ReadOptions, WriteOptions } from './operations.js';
import type { RedisConnection, RoutedConnection } from './redis-connection.js';

/**
 * One group of nodes that holds a part of the keyspace: a master and the replicas in its read
 * rotation. A Sentinel deployment has one; a cluster one per shard.
 */
export interface ShardView {
  /** The verified master writes go to, `undefined` while there is none (during a failover). */
  master: NodeView | undefined;
  /** Replicas in the read rotation: verified and healthy. */
  replicas: NodeView[];
}

/** What every {@link RoutedClient} tells of the nodes it routes to now. */
export interface RoutedTopology {
  status: ClientStatus;
  /** Every shard the client routes to; one under Sentinel. */
  shards: ShardView[];
}

/** Counters every {@link RoutedClient} keeps, since it was created. */
export interface RoutedClientStats {
  /** Operations run on a master through `write()` (or routed writes of `call()`), retries included. */
  writes: number;
  /** Reads served by a master (no healthy replica, `readFrom: 'master'`, or a retry). */
  masterReads: number;
  /** Reads served by replicas, keyed by `host:port`. */
  replicaReads: Record<string, number>;
  /** Times writes moved to another master after the first discovery. */
  masterChanges: number;
  /** Writes run again on a new master after the old one was lost with them in flight. */
  writeRetries: number;
  /** Reads run again on another node after a node failed them. */
  readRetries: number;
  /** Operations rejected because of a failover (`COMMAND_MAY_HAVE_EXECUTED`, `MASTER_UNAVAILABLE`). */
  failoverRejections: number;
  /** Operations waiting now for a master (a gauge, not a counter). */
  waitingForMaster: number;
}

/** Events of every {@link RoutedClient}. */
export interface RoutedClientEvents {
  /** The topology changed (a master, the replicas in rotation, …). */
  'topology-change': [event: TopologyEvent];
  /** A background problem; never means a command failed. Emitted only when someone listens. */
  error: [error: Error];
}

/**
 * The contract the stores and the Nest module use: a client that routes each operation to the
 * right node of a replicated Redis deployment (writes to a master, each read to a random healthy
 * replica, the master as fallback) and follows failovers. `SentinelClient` implements it for
 * Redis Sentinel; another deployment (Redis Cluster) implements the same methods, so the adapters
 * work on it unchanged. Nothing here is about how the nodes are found (sentinels, a slot map).
 *
 * docs/core.md ("The contract the stores use") says why each member is here.
 */
export interface RoutedClient {
  /** `idle` until `connect()`, `ready` once a master is verified, `closed` after `close()`. */
  readonly status: ClientStatus;
  /** Finds and verifies the nodes; resolves when writes can go to a master. */
  connect(): Promise<void>;
  /**
   * Runs `fn` with a master's connection, waiting through a failover; `idempotent` operations
   * run again on the new master if the old one is lost with them in flight.
   */
  write<T>(fn: (master: RoutedConnection) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * Runs `fn` once on every master, each with that one node's connection, as a write (waiting
   * through a failover of that master, again on its successor if `idempotent`): for what must
   * see every shard and needs one node, such as a `SCAN` sweep. Resolves with the results in
   * no promised order. One call of `fn` under Sentinel; one per shard on a cluster.
   */
  eachMaster<T>(fn: (master: RedisConnection) => Promise<T>, options?: WriteOptions): Promise<T[]>;
  /**
   * Runs `fn` with the connection of a node chosen by `readFrom` for this one call, and tells
   * it which node that is (`servedBy`: its role and address), so that a caller can weigh the
   * answer (a replica's may lag) without asking for the whole topology.
   */
  read<T>(
    fn: (node: RoutedConnection, servedBy: ServedBy) => Promise<T>,
    options?: ReadOptions,
  ): Promise<T>;
  /** Sends one command, routed by its kind (read-only commands as `read`, others as `write`). */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown>;
  /** Stops following the topology and closes every connection; no socket or timer is left. */
  close(): Promise<void>;
  /** The nodes operations are routed to now. */
  topology(): RoutedTopology;
  /** Counters since the client was created. */
  stats(): RoutedClientStats;
  on<E extends keyof RoutedClientEvents>(
    event: E,
    listener: (...args: RoutedClientEvents[E]) => void,
  ): this;
  off<E extends keyof RoutedClientEvents>(
    event: E,
    listener: (...args: RoutedClientEvents[E]) => void,
  ): this;
}

const MEMBERS = [
  'connect',
  'write',
  'eachMaster',
  'read',
  'call',
  'close',
  'topology',
  'stats',
  'on',
  'off',
] as const;

/**
 * True for an object with every method of {@link RoutedClient}: a `SentinelClient` (also one
 * from another copy of the core, the ESM and CommonJS builds both loaded) or any other
 * implementation of the contract. A shape check, since an interface leaves nothing to brand.
 */
export function isRoutedClient(value: unknown): value is RoutedClient {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return MEMBERS.every((member) => typeof v[member] === 'function');
}
