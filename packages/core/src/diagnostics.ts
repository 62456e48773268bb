/**
 * What the client does, published on Node's `diagnostics_channel` for whoever listens: APM
 * agents, `@sentinelkit/core/opentelemetry`, an app's own logging. Nothing is built or sent when
 * nobody subscribes (each publication is behind a `hasSubscribers` check), so the channels cost
 * a property read per operation. ioredis publishes its own `ioredis:command` and
 * `ioredis:connect` tracing channels underneath, per connection (each with the node's real
 * address, since every connection of ours is to one node).
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { TopologyEvent } from './events.js';
import type { NodeAddress } from './types.js';

/** The channels' names. */
export const SENTINELKIT_CHANNELS = {
  /**
   * A tracing channel (`start`, `end`, `asyncStart`, `asyncEnd`, `error`) around each
   * `write()`, `read()` and `call()`; the context is an {@link OperationMessage}.
   */
  operation: 'sentinelkit:operation',
  /** Each `'topology-change'` event, as a {@link TopologyMessage}. */
  topology: 'sentinelkit:topology-change',
  /** A client's `connect()` started (an {@link ObservedTarget}), so a listener can observe it. */
  client: 'sentinelkit:client',
  /** A store's lookup (a cache `get`/`getMany`, a session `get`), as a {@link StoreLookupMessage}. */
  storeLookup: 'sentinelkit:store-lookup',
} as const;

/** The message of `sentinelkit:store-lookup`: what one lookup of a store found. */
export interface StoreLookupMessage {
  /** The package of the store. */
  readonly store: 'cache-manager' | 'express-session';
  /** Keys found (a `getMany` counts each key). */
  readonly hits: number;
  /** Keys not found. */
  readonly misses: number;
  /** Where the hits came from: Redis, or the cache store's local tier. @default 'redis' */
  readonly tier?: 'redis' | 'local';
}

/** The client a message comes from, as much of it as an observer needs to query it. */
export interface ObservedClient {
  topology(): {
    masterName: string;
    status: string;
    master: { address: NodeAddress } | undefined;
    replicas: readonly unknown[];
    sentinels: readonly unknown[];
    watchedSentinels: number;
  };
  stats(): {
    sentinelQueries: number;
    sentinelQueryFailures: number;
    writeRetries: number;
    readRetries: number;
    failoverRejections: number;
  };
}

/** Which deployment a message is about. */
export interface ObservedTarget {
  readonly client: ObservedClient;
  readonly masterName: string;
  /** The database index of the client's data connections. */
  readonly db: number;
}

/** A node an operation ran on. */
export interface OperationNode {
  role: 'master' | 'replica';
  address: NodeAddress;
}

/** The context of one operation on the `sentinelkit:operation` tracing channel. */
export interface OperationMessage extends ObservedTarget {
  /** `write` and `read` for callbacks; `call` for one command, named in `command`. */
  readonly kind: 'write' | 'read' | 'call';
  /** The command of a `call()`, upper case. */
  readonly command: string | undefined;
  /** The node the last attempt ran on and its role; `undefined` when none was reached. */
  node: OperationNode | undefined;
  /** Times the callback ran: more than 1 after a retry on another node. */
  attempts: number;
  /**
   * Milliseconds the operation waited for a master before its first attempt, set when it was
   * called while there was none to send to (a failover in progress); `undefined` otherwise.
   */
  waitedForMaster?: number;
  /**
   * The earlier attempts' nodes, oldest first, each with the time (`performance.now()`) the
   * operation left it for the next attempt; set only after a retry.
   */
  retriedFrom?: (OperationNode & { retriedAt: number })[];
  /** Set by the channel on the `error` event. */
  error?: unknown;
  /** Set by the channel on `asyncEnd` of a success. */
  result?: unknown;
}

/** The message of `sentinelkit:topology-change`. */
export interface TopologyMessage extends ObservedTarget {
  readonly event: TopologyEvent;
}

const operationChannel = diagnosticsChannel.tracingChannel<OperationMessage, OperationMessage>(
  SENTINELKIT_CHANNELS.operation,
);
const topologyChannel = diagnosticsChannel.channel(SENTINELKIT_CHANNELS.topology);
const clientChannel = diagnosticsChannel.channel(SENTINELKIT_CHANNELS.client);
const storeLookupChannel = diagnosticsChannel.channel(SENTINELKIT_CHANNELS.storeLookup);

/** Whether anyone listens to operations (TracingChannel#hasSubscribers is Node ≥ 20.13). */
export function operationsObserved(): boolean {
  return (
    operationChannel.start.hasSubscribers ||
    operationChannel.asyncEnd.hasSubscribers ||
    operationChannel.error.hasSubscribers
  );
}

/** Runs `run` inside the operation tracing channel with `message` as its context. */
export function traceOperation<T>(message: OperationMessage, run: () => Promise<T>): Promise<T> {
  return operationChannel.tracePromise(run, message);
}

export function publishTopology(target: ObservedTarget, event: TopologyEvent): void {
  if (topologyChannel.hasSubscribers) topologyChannel.publish({ ...target, event });
}

export function publishClient(target: ObservedTarget): void {
  if (clientChannel.hasSubscribers) clientChannel.publish(target);
}

/** Whether anyone listens to the stores' lookups: the stores then count hits and misses. */
export function storeLookupsObserved(): boolean {
  return storeLookupChannel.hasSubscribers;
}

export function publishStoreLookup(message: StoreLookupMessage): void {
  if (storeLookupChannel.hasSubscribers) storeLookupChannel.publish(message);
}

/** The address an ioredis connection of ours talks to. */
export function addressOfConnection(redis: {
  options: { host?: string | undefined; port?: number | undefined };
}): NodeAddress {
  return { host: redis.options.host ?? '', port: redis.options.port ?? 0 };
}

/**
 * Notes on `message` that an attempt starts on `node`: the wait for a master before the first
 * one (when `calledAt` is set: the operation was called with no master to send to), the node
 * left behind before a retry.
 */
export function noteAttempt(
  message: OperationMessage,
  node: OperationNode,
  calledAt: number,
): void {
  if (message.attempts === 0) {
    if (calledAt !== 0) message.waitedForMaster = performance.now() - calledAt;
  } else if (message.node !== undefined) {
    message.retriedFrom ??= [];
    message.retriedFrom.push({ ...message.node, retriedAt: performance.now() });
  }
  message.attempts++;
  message.node = node;
}
