/**
 * A second implementation of the core's contract (`RoutedClient`): one real `redis-server` with
 * no replicas, one ioredis connection. For tests of code that takes a `RoutedClient` (a store,
 * the Nest module, an app's own service) that need real Redis but not a failover: every
 * operation runs on the one node, which is the master. It routes, refuses and counts as
 * `SentinelClient` does, with the core's own command policy (from `@sentinelkit/core/internal`);
 * there is no Sentinel to follow, so nothing about failovers happens here.
 *
 * That the adapters run on it unchanged is what proves the contract is the only thing they use.
 */
import { EventEmitter } from 'node:events';
import {
  type ClientStatus,
  type NodeAddress,
  type NodeView,
  type ReadOptions,
  type RedisConnection,
  type RoutedClient,
  type RoutedClientEvents,
  type RoutedClientStats,
  type RoutedTopology,
  SentinelKitError,
  type ServedBy,
  type WriteOptions,
} from '@sentinelkit/core';
import { commandKind, lend, refusalError, refusalOf } from '@sentinelkit/core/internal';
import { Redis } from 'ioredis';
import { createProcessBackend } from './backends/process.js';
import { dataNodeConfig } from './config.js';
import { TopologyNode } from './node.js';
import { allocatePorts } from './ports.js';
import { startNode, stopAll } from './supervisor.js';

/** Where a {@link SingleNodeClient} connects, and what it does once closed. */
export interface SingleNodeClientOptions {
  host: string;
  port: number;
  /** Run by `close()` once the connection is closed (`startStandaloneClient` stops its server). */
  onClosed?: (() => Promise<void>) | undefined;
}

/**
 * A `RoutedClient` over one Redis node, which must be a master. What differs from
 * `SentinelClient`, all of it because a single node has no replica and no failover:
 * - reads run on the master (`servedBy.role` is always `'master'`); `readFrom: 'replica-only'`
 *   rejects with `NO_REPLICA_AVAILABLE`;
 * - `write(fn, { waitReplicas })` with `waitReplicas > 0` runs `fn`, then rejects at once with
 *   `NOT_REPLICATED` (no replica can acknowledge it; `SentinelClient` would wait `waitTimeout`);
 * - a lost connection is not followed anywhere: ioredis reconnects to the same node, and
 *   commands sent meanwhile fail with ioredis' error.
 * The rest is the contract as `SentinelClient` keeps it: `NOT_CONNECTED` before `connect()`,
 * `CLIENT_CLOSED` after `close()`, `COMMAND_NOT_ALLOWED` / `WRITE_IN_READ` for the commands the
 * core refuses on shared connections (nothing is sent), `call()` routed by the command's kind, a
 * `'topology-change'` `MASTER_CHANGE` (`reason: 'discovered'`) on connect, `'error'` events
 * only when someone listens. The constructor does no I/O.
 */
export class SingleNodeClient extends EventEmitter<RoutedClientEvents> implements RoutedClient {
  readonly #address: NodeAddress;
  readonly #onClosed: (() => Promise<void>) | undefined;
  #status: ClientStatus = 'idle';
  #redis: Redis | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #writes = 0;
  #reads = 0;

  constructor(options: SingleNodeClientOptions) {
    super();
    this.#address = { host: options.host, port: options.port };
    this.#onClosed = options.onClosed;
  }

  /** The node's address (also before `connect()`), e.g. for a test's own connection to it. */
  get address(): NodeAddress {
    return { ...this.#address };
  }

  /** `idle` until `connect()`, `ready` once the node answered as a master, `closed` after `close()`. */
  get status(): ClientStatus {
    return this.#status;
  }

  /** Connects and checks with `ROLE` that the node is a master. Again while connected: nothing. */
  connect(): Promise<void> {
    if (this.#status === 'closed') return Promise.reject(closedError());
    this.#connecting ??= this.#open().catch((error: unknown) => {
      this.#connecting = undefined;
      this.#redis?.disconnect();
      this.#redis = undefined;
      if (this.#status === 'closed') throw closedError();
      this.#status = 'idle';
      throw error;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    this.#status = 'connecting';
    const where = formatAddress(this.#address);
    // One attempt: a test double reports a wrong address at once instead of retrying.
    const redis = new Redis({
      ...this.#address,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    this.#redis = redis;
    redis.on('error', (error: Error) => {
      if (this.listenerCount('error') === 0) return;
      const reason = new SentinelKitError('CONNECTION_FAILED', `${where}: ${error.message}`, {
        cause: error,
      });
      this.emit('error', reason);
    });
    try {
      await redis.connect();
    } catch (error) {
      throw new SentinelKitError(
        'CONNECTION_FAILED',
        `${where}: ${(error as Error).message}. Is a redis-server listening there?`,
        { cause: error },
      );
    }
    const role = (await redis.call('ROLE')) as unknown[];
    if (role[0] !== 'master') {
      throw new SentinelKitError(
        'MASTER_UNAVAILABLE',
        `${where} is a ${String(role[0])}, not a master: a SingleNodeClient needs a master`,
      );
    }
    this.#status = 'ready';
    this.emit('topology-change', {
      type: 'MASTER_CHANGE',
      previous: undefined,
      current: { ...this.#address },
      reason: 'discovered',
      switchedAt: Date.now(),
      timings: undefined,
    });
  }

  /** Runs `fn` with the node's connection (a view refusing what the core refuses). */
  async write<T>(fn: (master: RedisConnection) => Promise<T>, options?: WriteOptions): Promise<T> {
    const redis = this.#connection();
    this.#writes++;
    const result = await bounded(() => fn(lend(redis, 'write')), options?.timeout);
    const wanted = options?.waitReplicas ?? 0;
    if (wanted > 0) {
      throw new SentinelKitError(
        'NOT_REPLICATED',
        `the write ran on ${formatAddress(this.#address)}, but 0 of ${wanted} replicas acknowledged it: a single node has none`,
      );
    }
    return result;
  }

  /** Runs `fn` once, as {@link write}: the one node is the only master. */
  async eachMaster<T>(
    fn: (master: RedisConnection) => Promise<T>,
    options?: WriteOptions,
  ): Promise<T[]> {
    return [await this.write(fn, options)];
  }

  /** Runs `fn` with the node's connection, read-only; `servedBy` is always the master. */
  async read<T>(
    fn: (node: RedisConnection, servedBy: ServedBy) => Promise<T>,
    options?: ReadOptions,
  ): Promise<T> {
    const redis = this.#connection();
    if (options?.readFrom === 'replica-only') {
      throw new SentinelKitError(
        'NO_REPLICA_AVAILABLE',
        "readFrom 'replica-only': a single node has no replica",
      );
    }
    this.#reads++;
    const servedBy: ServedBy = { role: 'master', address: { ...this.#address } };
    return bounded(() => fn(lend(redis, 'read'), servedBy), options?.timeout);
  }

  /** One command, refused or routed exactly as `SentinelClient.call` does. */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    const refusal = refusalOf(command, args);
    if (refusal !== undefined) return Promise.reject(refusalError(refusal));
    return commandKind(command) === 'read'
      ? this.read((node) => node.call(command, ...args))
      : this.write((master) => master.call(command, ...args));
  }

  /** Closes the connection (then runs `onClosed`); no socket or timer is left. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#status = 'closed';
    const redis = this.#redis;
    this.#redis = undefined;
    if (redis !== undefined) {
      const ended = redis.status === 'end' ? undefined : new Promise((r) => redis.once('end', r));
      redis.disconnect();
      await ended;
    }
    await this.#onClosed?.();
  }

  /** One shard: the node as master while connected, no replica. */
  topology(): RoutedTopology {
    const master: NodeView | undefined =
      this.#status === 'ready'
        ? { address: { ...this.#address }, announced: { ...this.#address }, reads: this.#reads }
        : undefined;
    return { status: this.#status, shards: [{ master, replicas: [] }] };
  }

  /** The contract's counters; those about replicas and failovers stay 0. */
  stats(): RoutedClientStats {
    return {
      writes: this.#writes,
      masterReads: this.#reads,
      replicaReads: {},
      masterChanges: 0,
      writeRetries: 0,
      readRetries: 0,
      failoverRejections: 0,
      waitingForMaster: 0,
    };
  }

  override toString(): string {
    return `SingleNodeClient(${formatAddress(this.#address)}, ${this.#status})`;
  }

  #connection(): Redis {
    if (this.#status === 'closed') throw closedError();
    if (this.#status !== 'ready' || this.#redis === undefined) {
      throw new SentinelKitError('NOT_CONNECTED', 'call connect() before sending commands');
    }
    return this.#redis;
  }
}

/** Where {@link startStandaloneClient} finds `redis-server`. */
export interface StandaloneClientOptions {
  /** Path to `redis-server`; `$SENTINELKIT_REDIS_SERVER` or `PATH` when omitted. */
  redisServer?: string | undefined;
}

/**
 * Starts one `redis-server` (a local process on a free port of 127.0.0.1, no persistence) and
 * returns a {@link SingleNodeClient} on it, not yet connected: call `connect()`. Its `close()`
 * stops the server too. Without `redis-server`, rejects with `REDIS_SERVER_NOT_FOUND` saying
 * how to install it.
 */
export async function startStandaloneClient(
  options: StandaloneClientOptions = {},
): Promise<SingleNodeClient> {
  const backend = await createProcessBackend({ redisServer: options.redisServer });
  const host = '127.0.0.1';
  const [port] = (await allocatePorts(1, host)) as [number];
  const config = dataNodeConfig({ port, host, auth: {} });
  const spec = { kind: 'data', name: 'standalone', host, port, config } as const;
  const node = new TopologyNode('data', 0, host, port, backend.createNode(spec));
  const stop = () => stopAll(backend, [node]);
  try {
    await startNode(node);
  } catch (error) {
    await stop();
    throw error;
  }
  return new SingleNodeClient({ host, port, onClosed: stop });
}

function closedError(): SentinelKitError {
  return new SentinelKitError('CLIENT_CLOSED', 'the client was closed');
}

function formatAddress(address: NodeAddress): string {
  return `${address.host}:${address.port}`;
}

/** `run()`, rejecting with `TIMEOUT` past `timeoutMs` (the contract's per-call `timeout`). */
async function bounded<T>(run: () => Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return run();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SentinelKitError('TIMEOUT', `the call took more than ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
