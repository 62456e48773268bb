// What both stores share: the core client (given or created), lazy connection, the error policy,
// and SCAN on the master. Internal: not exported from the package, so that no ioredis type leaks
// into the public declarations.
import {
  type ClusterClientOptions,
  createClient,
  isRoutedClient,
  type ReadOptions,
  type RoutedClient,
  type RoutedConnection,
  type SentinelClientOptions,
  SentinelConfigError,
  type ServedBy,
  type WriteOptions,
} from '@sentinelkit/core';
import {
  publishStoreLookup,
  type ScanStep,
  scanNode,
  scanStep,
  storeLookupsObserved,
  unlinkPerSlot,
} from '@sentinelkit/core/internal';
import type { LocalFlushCause } from './local-tier.js';
import type { ResolvedStoreOptions } from './options.js';

/**
 * Where a store gets its core client: a location string (`mymaster/host:port,…`,
 * `redis+sentinel://…` or `redis+cluster://…`), a core options object (Sentinel or cluster) (the store then creates, connects and closes the
 * client), or a client you created, a `SentinelClient` or any `RoutedClient` (shared: the store never closes it).
 */
export type ClientSource = string | SentinelClientOptions | ClusterClientOptions | RoutedClient;

/** Events of the stores. */
export interface StoreEvents {
  /**
   * An operation failed (with `throwOnErrors: false`, the default): the operation answered like
   * an empty cache instead. Emitted only when someone listens; Keyv listens and re-emits it.
   */
  error: [error: Error];
  /**
   * The store closed its own client (`disconnect()`, Nest's `app.close()`) and was used again: it
   * opened `client`, a new one from the same location, now `store.client` (listeners put on the
   * old one are not carried over). The next `disconnect()` closes it.
   */
  reopen: [client: RoutedClient];
  /**
   * Keyv store with `localCache` only: a node said `keys` changed (`node` is its `host:port`);
   * they are no longer served from memory. Emitted only when someone listens.
   */
  'local-invalidation': [keys: string[], node: string];
  /**
   * Keyv store with `localCache` only: the local tier dropped every entry (`node` undefined) or
   * those `node` fed, for `cause`. Emitted only when someone listens.
   */
  'local-flush': [flush: LocalFlush];
}

/** A flush of the local tier (`'local-flush'` event). */
export interface LocalFlush {
  cause: LocalFlushCause;
  /** `host:port` of the node whose entries were dropped; `undefined`: all of them. */
  node: string | undefined;
  /** Entries dropped. */
  dropped: number;
}

/**
 * `found` (the values of a lookup: one, or one per key), published as hits and misses on the
 * `sentinelkit:store-lookup` channel when someone listens (@sentinelkit/core/opentelemetry
 * counts them); untouched otherwise. A failed lookup is not counted.
 */
export function countLookup<T>(found: Promise<T>): Promise<T> {
  if (!storeLookupsObserved()) return found;
  return found.then((value) => {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    const hits = values.filter((v) => v !== undefined && v !== null).length;
    publishStoreLookup({ store: 'cache-manager', hits, misses: values.length - hits });
    return value;
  });
}

/** Publishes `hits` keys served by the local tier (see {@link countLookup}). */
export function countLocalHits(hits: number): void {
  if (hits > 0 && storeLookupsObserved()) {
    publishStoreLookup({ store: 'cache-manager', hits, misses: 0, tier: 'local' });
  }
}

/** One `SCAN` step's result, with the node that answered it. */
interface NodeScanStep extends ScanStep {
  node: string;
}

export class Backend {
  #client: RoutedClient;
  readonly ownsClient: boolean;
  /** What the client was made from, to make a new one after close() (see {@link #open}). */
  readonly #source: ClientSource;
  readonly #settings: ResolvedStoreOptions;
  readonly #report: (error: Error) => void;
  readonly #reopened: (client: RoutedClient) => void;
  readonly #readOptions: ReadOptions | undefined;
  readonly #writeOptions: WriteOptions;
  /** {@link #writeOptions} without the timeout. */
  readonly #sweepOptions: WriteOptions;
  /**
   * The rejection handler of {@link guard} for a fallback of `undefined`, made once for the hot
   * paths; `undefined` with `throwOnErrors` (the rejection goes through).
   */
  readonly missOnError: ((error: unknown) => undefined) | undefined;
  /** As {@link missOnError}, answering `false`. */
  readonly falseOnError: ((error: unknown) => false) | undefined;

  constructor(
    source: ClientSource,
    settings: ResolvedStoreOptions,
    report: (error: Error) => void,
    reopened: (client: RoutedClient) => void = () => {},
  ) {
    this.#source = source;
    if (isRoutedClient(source)) {
      this.#client = source;
      this.ownsClient = false;
    } else {
      // Validates the location and options now; does no I/O.
      this.#client = createClient(source, settings.clientOptions);
      this.ownsClient = true;
    }
    this.#settings = settings;
    this.#report = report;
    this.#reopened = reopened;
    this.missOnError = settings.throwOnErrors
      ? undefined
      : (error) => {
          report(asError(error));
          return undefined;
        };
    this.falseOnError = settings.throwOnErrors
      ? undefined
      : (error) => {
          report(asError(error));
          return false;
        };
    this.#readOptions = Object.freeze({
      ...(settings.readFrom === undefined ? {} : { readFrom: settings.readFrom }),
      ...(settings.readTimeout > 0 ? { timeout: settings.readTimeout } : {}),
    });
    // Every write of a cache can run twice with the same result: after a failover it is run
    // again on the new master instead of failing with COMMAND_MAY_HAVE_EXECUTED.
    this.#writeOptions = Object.freeze({
      idempotent: true,
      ...(settings.waitReplicas === undefined ? {} : { waitReplicas: settings.waitReplicas }),
      ...(settings.writeTimeout > 0 ? { timeout: settings.writeTimeout } : {}),
    });
    const { timeout: _, ...sweep } = this.#writeOptions;
    this.#sweepOptions = Object.freeze(sweep);
  }

  /** The core client in use (a new one after the store closed its own and was used again). */
  get client(): RoutedClient {
    return this.#client;
  }

  /**
   * The client to use now. A client this store made and then closed (NestJS closes every cache
   * store on app.close(), and a test suite may build the next app on the same store) is replaced
   * by a new one from the same location: a closed store must not answer every call with a silent
   * miss. A client given to the store is never replaced: its owner closed it.
   */
  #open(): RoutedClient {
    if (this.ownsClient && this.#client.status === 'closed') {
      this.#client = createClient(
        this.#source as Exclude<ClientSource, RoutedClient>,
        this.#settings.clientOptions,
      );
      // Visible, as a store coming back to life after shutdown may be a late request.
      this.#reopened(this.#client);
    }
    return this.#client;
  }

  get throwOnErrors(): boolean {
    return this.#settings.throwOnErrors;
  }

  get settings(): ResolvedStoreOptions {
    return this.#settings;
  }

  /** Connects the client if it is not connected yet (the same promise while connecting). */
  connect(): Promise<void> {
    return this.#open().connect();
  }

  /** Closes the client if this store created it; a shared client stays open. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.#client.close();
  }

  /** Runs `fn` on a node chosen by `readFrom`, within `readTimeout`; `servedBy` names the node. */
  read<T>(fn: (node: RoutedConnection, servedBy: ServedBy) => Promise<T>): Promise<T> {
    return this.started().read(fn, this.#readOptions);
  }

  /**
   * Runs `fn` on the master, idempotent, within `writeTimeout` unless `unbounded` (a sweep
   * of a whole namespace takes as long as the namespace is large).
   */
  write<T>(fn: (master: RoutedConnection) => Promise<T>, unbounded = false): Promise<T> {
    return this.started().write(fn, unbounded ? this.#sweepOptions : this.#writeOptions);
  }

  /**
   * The client, connecting if it is idle. The call then waits for the master in the client,
   * within its own `timeout` (connecting counts against the store's budget; past it the call
   * leaves the wait, unsent) or, without one, until the connection fails, whose error it gets.
   */
  started(): RoutedClient {
    const client = this.#open();
    // The error reaches every call waiting for the master; nothing else to do with it here.
    if (client.status === 'idle') client.connect().catch(() => {});
    return client;
  }

  /**
   * Applies the error policy to an operation: with `throwOnErrors` it rejects as is; otherwise a
   * failure is reported (`'error'`) and the operation resolves with `fallback`.
   */
  guard<T>(operation: Promise<T>, fallback: T): Promise<T> {
    if (this.#settings.throwOnErrors) return operation;
    return operation.catch((error: unknown) => {
      this.#report(asError(error));
      return fallback;
    });
  }

  /** An operation that failed before it started, under the same policy as {@link guard}. */
  fail<T>(error: Error, fallback: T): Promise<T> {
    return this.guard(Promise.reject(error), fallback);
  }

  /**
   * Deletes every key matching `pattern` (already escaped, without the client's `keyPrefix`)
   * with `SCAN` + `UNLINK` in batches, on every master (one per shard of a cluster), each sweep
   * one idempotent write: after a failover it runs again on that shard's new master, where a
   * cursor of the old one would mean nothing. Resolves with the number of keys deleted.
   */
  async deleteMatching(pattern: string): Promise<number> {
    const count = this.#settings.scanCount;
    const perMaster = await this.started().eachMaster(async (master) => {
      let deleted = 0;
      let failure: unknown;
      const unlinks: Promise<void>[] = [];
      for await (const keys of scanNode(master, pattern, count)) {
        if (keys.length > 0) {
          // The UNLINK is not awaited here: the next SCAN goes out in the same round trip.
          unlinks.push(
            unlinkPerSlot(master, keys).then(
              (n) => {
                deleted += n;
              },
              (error: unknown) => {
                failure ??= error;
              },
            ),
          );
        }
        if (failure !== undefined) break;
      }
      await Promise.all(unlinks);
      if (failure !== undefined) throw failure;
      return deleted;
    }, this.#sweepOptions);
    return perMaster.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Keys matching `pattern` (already escaped, without the client's `keyPrefix`), in batches as
   * `SCAN` returns them, from every master (one per shard of a cluster; never a replica), each
   * key once. Each step advances every master's cursor by one `SCAN`; a master not seen before
   * (the new master of a shard after a failover) starts from cursor 0, since the old one's cursor
   * would be meaningless there, and keys already yielded are skipped.
   */
  async *scan(pattern: string): AsyncGenerator<string[], void> {
    const count = this.#settings.scanCount;
    const seen = new Set<string>();
    const cursors = new Map<string, string>();
    const finished = new Set<string>();
    for (;;) {
      const steps: NodeScanStep[] = await this.started().eachMaster(async (master) => {
        const node = `${master.options.host}:${master.options.port}`;
        if (finished.has(node)) return { node, cursor: '0', keys: [] };
        return { node, ...(await scanStep(master, cursors.get(node) ?? '0', pattern, count)) };
      }, this.#writeOptions);
      const fresh: string[] = [];
      for (const step of steps) {
        for (const key of step.keys) {
          if (!seen.has(key)) {
            seen.add(key);
            fresh.push(key);
          }
        }
        if (step.cursor === '0') finished.add(step.node);
        else cursors.set(step.node, step.cursor);
      }
      if (fresh.length > 0) yield fresh;
      if (steps.every((step) => finished.has(step.node))) return;
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The error of a `clear()`/`reset()` that would delete every key of the database. */
export function noNamespaceError(operation: string): SentinelConfigError {
  return new SentinelConfigError({
    option: 'clearWithoutNamespace',
    expected: `true for ${operation} without a namespace, which deletes every key of the database`,
    received: 'false',
    hint: "Give the store a namespace (createKeyv(…, { namespace }), new Keyv({ store, namespace }), CacheModule.register({ namespace }), or the legacy store's namespace option), or set clearWithoutNamespace: true",
  });
}

/** `PX` for a TTL in milliseconds: a positive integer, or `undefined` for no expiry. */
export function expiry(ttl: number | undefined): number | undefined {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) return undefined;
  return Math.ceil(ttl);
}
