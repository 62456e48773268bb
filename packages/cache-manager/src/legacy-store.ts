import { EventEmitter } from 'node:events';
import { isRoutedClient, type RoutedClient, SentinelConfigError } from '@sentinelkit/core';
import {
  escapeGlob,
  mgetInOrder,
  pipelineInOrder,
  unlinkInSlots,
} from '@sentinelkit/core/internal';
import {
  Backend,
  type ClientSource,
  countLookup,
  expiry,
  noNamespaceError,
  type StoreEvents,
} from './backend.js';
import { type LegacyStoreOptions, resolveLegacyStoreOptions } from './options.js';

/**
 * A cache-manager 5 store (`get`, `set`, `del`, `reset`, `mget`, `mset`, `mdel`, `keys`, `ttl`;
 * TTLs in milliseconds) on a Redis Sentinel deployment, for NestJS 10 apps on
 * `@nestjs/cache-manager` 2 and other cache-manager 5 code.
 *
 * Keys are stored as `namespace:key`, values as JSON. Reads (`get`, `mget`, `ttl`) go to a
 * replica, writes and `SCAN` (`keys`, `reset`) to the master; writes are idempotent, so a
 * failover does not fail them. `reset()` deletes only this namespace's keys, never `FLUSHDB`.
 *
 * The constructor does no I/O; the first operation connects the client (or call
 * {@link connect}). Create one with {@link createLegacyStore}.
 */
export class SentinelLegacyStore extends EventEmitter<StoreEvents> {
  /** Store name, as cache-manager 5 stores have one. */
  readonly name = 'sentinelkit';
  /** Keys are stored as `namespace:key`; `''` for none. */
  readonly namespace: string;
  /** Whether a value may be stored; `set` refuses the others. */
  readonly isCacheable: (value: unknown) => boolean;
  readonly #backend: Backend;
  readonly #prefix: string;
  readonly #ttl: number;

  /**
   * @param source - A location string, core options, or a client to share (a `SentinelClient`, or any `RoutedClient`) (the store
   *   then never closes it).
   * @param options - Store options; invalid ones throw `SentinelConfigError` (`INVALID_OPTION`).
   */
  constructor(source: ClientSource, options?: LegacyStoreOptions) {
    super();
    const settings = resolveLegacyStoreOptions(options, isRoutedClient(source));
    this.#backend = new Backend(
      source,
      settings,
      (error) => this.#emitError(error),
      (client) => this.emit('reopen', client),
    );
    this.namespace = settings.namespace;
    this.#prefix = settings.namespace === '' ? '' : `${settings.namespace}:`;
    this.#ttl = settings.ttl;
    this.isCacheable = settings.isCacheable;
  }

  /** The core client: its `topology()`, `stats()` and events. */
  get client(): RoutedClient {
    return this.#backend.client;
  }

  /** Whether the store created its client, and so closes it in {@link disconnect}. */
  get ownsClient(): boolean {
    return this.#backend.ownsClient;
  }

  /** Connects the client now rather than on the first operation. */
  connect(): Promise<void> {
    return this.#backend.connect();
  }

  /** The value of `key` (`GET` on a replica, JSON-decoded), or `undefined`. */
  get<T>(key: string): Promise<T | undefined> {
    const stored = this.#prefix + key;
    return this.#backend.guard(
      countLookup(this.#backend.read((node) => node.get(stored)).then((raw) => decode<T>(raw))),
      undefined,
    );
  }

  /**
   * Stores `value` as JSON on the master, for `ttl` milliseconds (the `ttl` option when
   * omitted; `0` for no expiry). A value `isCacheable` refuses fails with `INVALID_OPTION`.
   */
  set<T>(key: string, value: T, ttl?: number): Promise<void> {
    if (!this.isCacheable(value)) return this.#backend.fail(notCacheable(value), undefined);
    const stored = this.#prefix + key;
    const px = expiry(ttl ?? this.#ttl);
    let json: string;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      // A BigInt, a cycle: JSON cannot encode it.
      return this.#backend.fail(error as Error, undefined);
    }
    return this.#backend.guard(
      this.#backend
        .write((master) => {
          return px === undefined ? master.set(stored, json) : master.set(stored, json, 'PX', px);
        })
        .then(() => undefined),
      undefined,
    );
  }

  /**
   * Stores every `[key, value]` on the master in one pipelined round trip (on a cluster, one
   * pipeline per master, all in flight at once).
   */
  mset(entries: [string, unknown][], ttl?: number): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const refused = entries.find(([, value]) => !this.isCacheable(value));
    if (refused) return this.#backend.fail(notCacheable(refused[1]), undefined);
    const px = expiry(ttl ?? this.#ttl);
    const stored = entries.map(([key]) => this.#prefix + key);
    const json = entries.map(([, value]) => JSON.stringify(value));
    return this.#backend.guard(
      this.#backend.write(async (master) => {
        await pipelineInOrder(master, stored, (pipeline, key, i) => {
          if (px === undefined) pipeline.set(key, json[i]!);
          else pipeline.set(key, json[i]!, 'PX', px);
        });
      }),
      undefined,
    );
  }

  /** The values of `keys`, in order (`undefined` for a miss), with one `MGET` on a replica. */
  mget(...keys: string[]): Promise<unknown[]> {
    if (keys.length === 0) return Promise.resolve([]);
    const stored = keys.map((key) => this.#prefix + key);
    return this.#backend.guard(
      countLookup(
        this.#backend
          .read((node) => mgetInOrder(node, stored))
          .then((values) => values.map((raw) => decode(raw))),
      ),
      keys.map(() => undefined),
    );
  }

  /** Deletes `key` (`UNLINK` on the master). */
  del(key: string): Promise<void> {
    const stored = this.#prefix + key;
    return this.#backend.guard(
      this.#backend
        .write((master) => {
          return master.unlink(stored);
        })
        .then(() => undefined),
      undefined,
    );
  }

  /** Deletes `keys` with one `UNLINK` on the master (one per slot on a cluster). */
  mdel(...keys: string[]): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    const stored = keys.map((key) => this.#prefix + key);
    return this.#backend.guard(
      this.#backend
        .write((master) => {
          return unlinkInSlots(master, stored);
        })
        .then(() => undefined),
      undefined,
    );
  }

  /**
   * Deletes every key of this namespace with `SCAN` + `UNLINK` on the master (cache-manager 5
   * stores used to `FLUSHDB`). With `namespace: ''` it fails with `INVALID_OPTION` unless
   * `clearWithoutNamespace` is set.
   */
  reset(): Promise<void> {
    if (this.#prefix === '' && !this.#backend.settings.clearWithoutNamespace) {
      return this.#backend.fail(noNamespaceError('reset()'), undefined);
    }
    return this.#backend.guard(
      this.#backend.deleteMatching(`${escapeGlob(this.#prefix)}*`).then(() => undefined),
      undefined,
    );
  }

  /**
   * Keys of this namespace matching the glob `pattern` (without the namespace), from `SCAN` on
   * the master.
   */
  keys(pattern = '*'): Promise<string[]> {
    const collect = async () => {
      const found: string[] = [];
      for await (const batch of this.#backend.scan(escapeGlob(this.#prefix) + pattern)) {
        for (const key of batch) found.push(key.slice(this.#prefix.length));
      }
      return found;
    };
    return this.#backend.guard(collect(), []);
  }

  /**
   * Milliseconds `key` has left (`PTTL` on a replica): `-1` when it does not expire, `-2` when it
   * does not exist.
   */
  ttl(key: string): Promise<number> {
    const stored = this.#prefix + key;
    return this.#backend.guard(
      this.#backend.read((node) => node.pttl(stored)),
      -2,
    );
  }

  /** Closes the core client if the store created it; a client you passed in stays open. */
  disconnect(): Promise<void> {
    return this.#backend.close();
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/**
 * A cache-manager 5 store on a Redis Sentinel deployment: pass it where a cache-manager 5
 * `Store` goes (`caching(store, config)`, `createCache(store)`, NestJS 10
 * `CacheModule.register({ store })`). Does no I/O.
 *
 * @param source - A location string, core options, or a client to share (a `SentinelClient`, or any `RoutedClient`).
 * @param options - Store options; invalid ones throw `SentinelConfigError` (`INVALID_OPTION`).
 */
export function createLegacyStore(
  source: ClientSource,
  options?: LegacyStoreOptions,
): SentinelLegacyStore {
  return new SentinelLegacyStore(source, options);
}

function decode<T>(raw: string | null | undefined): T | undefined {
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as T);
}

function notCacheable(value: unknown): SentinelConfigError {
  return new SentinelConfigError({
    option: 'isCacheable',
    expected: 'a value the store may cache (by default anything but undefined)',
    received: value === undefined ? 'undefined' : `a value isCacheable refused (${typeof value})`,
    hint: 'Do not cache this value, or pass an isCacheable option that accepts it',
  });
}
