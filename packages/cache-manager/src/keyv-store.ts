import { EventEmitter } from 'node:events';
import { isRoutedClient, type RoutedClient } from '@sentinelkit/core';
import {
  escapeGlob,
  mgetInOrder,
  pipelineInOrder,
  type SetEntry,
  setEach,
  setEntry,
  TickBatch,
  unlinkInSlots,
} from '@sentinelkit/core/internal';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import {
  Backend,
  type ClientSource,
  countLocalHits,
  countLookup,
  expiry,
  noNamespaceError,
  type StoreEvents,
} from './backend.js';
import { LocalCache, type LocalRead, type ServedRead } from './local-cache.js';
import type { LocalCacheStats } from './local-tier.js';
import { type KeyvStoreOptions, resolveStoreOptions } from './options.js';

// Each key's value (as MGET: nil for a missing key or another type) and PTTL, for the local tier.
const VALUES_AND_TTLS = `local r = {}
for i = 1, #KEYS do
  local ok, v = pcall(redis.call, 'GET', KEYS[i])
  r[2 * i - 1] = ok and v or false
  r[2 * i] = redis.call('PTTL', KEYS[i])
end
return r`;

// Keys of one MGET made of concurrent reads: beyond this a new batch starts (a single getMany of
// more keys still goes as one MGET).
const MAX_BATCH_KEYS = 500;

/** What Keyv reads from a store's `opts`: `dialect: 'redis'` makes `keyv.iterator()` available. */
export interface SentinelKeyvStoreOpts {
  /** Tells Keyv the store can iterate; without it `new Keyv()` fails on an iterable store. */
  dialect: 'redis';
  [key: string]: unknown;
}

/** What {@link SentinelKeyvStore.stats} returns. */
export interface SentinelKeyvStoreStats {
  /** The local tier's counters; `undefined` when `localCache` is off. */
  localCache: LocalCacheStats | undefined;
}

/** One entry of {@link SentinelKeyvStore.setMany}, as Keyv hands it over. */
export interface SentinelKeyvStoreEntry {
  /** The key, already prefixed by Keyv with its namespace. */
  key: string;
  /** The value: Keyv's serialized string, or an object when Keyv's serialization is off. */
  value: unknown;
  /** Milliseconds to live; none, `0` or less: no expiry. */
  ttl?: number;
}

/**
 * A Keyv storage adapter (the Keyv 5 `KeyvStoreAdapter` contract that cache-manager 7 uses) on
 * a Redis Sentinel deployment, through `@sentinelkit/core`.
 *
 * - `get`, `getMany` (one `MGET`), `has` and `hasMany` read from a replica (per the `readFrom`
 *   option); every write and every `SCAN` goes to the master. The `get`s and `getMany`s of one
 *   tick share one `MGET`.
 * - Writes are idempotent: after a failover they run again on the new master instead of failing.
 * - Keys are stored as Keyv hands them over (`namespace:key`: Keyv adds the prefix, the store
 *   never adds another), values as the string Keyv serialized.
 * - `clear()` deletes only this namespace's keys (`SCAN` + `UNLINK` on the master); with no
 *   namespace it refuses unless `clearWithoutNamespace` is set. It never runs `FLUSHDB`.
 *
 * The constructor does no I/O; the first operation connects the client (or call
 * {@link connect}). Most code wants {@link createKeyv}, which wraps the store in a Keyv instance.
 */
export class SentinelKeyvStore extends EventEmitter<StoreEvents> implements KeyvStoreAdapter {
  /**
   * Keyv's namespace; Keyv sets it (to `'keyv'` unless told otherwise) when it wraps the store.
   * `clear()` and the iterator are scoped to it.
   */
  namespace: string | undefined;
  /** Read by Keyv: `{ dialect: 'redis' }`. */
  readonly opts: SentinelKeyvStoreOpts;
  readonly #backend: Backend;
  /** The local tier (`localCache`), `undefined` when off. */
  readonly #local: LocalCache | undefined;
  /**
   * The `set`s of one tick, as one command per node (see {@link set}). Every other write of the
   * store sends them first, so that a `delete` after a `set` of the same tick is not overtaken.
   */
  readonly #sets = new TickBatch<void, SetEntry>((entries) => {
    const one = entries.length === 1 ? entries[0] : undefined;
    // A lone set (the usual case with little concurrency) as a plain SET, with no batch to
    // split: each promise on the way costs a request in flight.
    const written =
      one === undefined
        ? this.#backend.write((master) => setEach(master, entries))
        : this.#backend.write((master) => setEntry(master, one));
    return written.then(() => entries.map(() => undefined));
  });
  /** The reads of one tick, as one `MGET` (see #batched). */
  readonly #reads = new TickBatch<(string | null | undefined)[], string[]>(
    (reads) => this.#readAll(reads),
    { maxWeight: MAX_BATCH_KEYS, weigh: (keys) => keys.length },
  );

  /**
   * @param source - A location string, core options, or a client to share (a `SentinelClient`, or any `RoutedClient`) (the store
   *   then never closes it).
   * @param options - Store options; invalid ones throw `SentinelConfigError` (`INVALID_OPTION`).
   */
  constructor(source: ClientSource, options?: KeyvStoreOptions) {
    super();
    const settings = resolveStoreOptions(options, isRoutedClient(source));
    this.#backend = new Backend(
      source,
      settings,
      (error) => this.#emitError(error),
      (client) => this.emit('reopen', client),
    );
    if (settings.localCache !== undefined) {
      LocalCache.check(this.#backend.client);
      this.#local = new LocalCache(
        settings.localCache,
        () => (this.namespace ? `${this.namespace}:` : ''),
        {
          invalidation: (keys, node) => {
            if (this.listenerCount('local-invalidation') > 0) {
              this.emit('local-invalidation', keys, node);
            }
          },
          flush: (cause, node, dropped) => {
            if (this.listenerCount('local-flush') > 0) {
              this.emit('local-flush', { cause, node, dropped });
            }
          },
          error: (error) => this.#emitError(error),
          refresh: (keys) => this.#batched(keys, false),
        },
        () => this.#backend.client,
      );
    }
    this.opts = { dialect: 'redis' };
  }

  /** Counters of the store: the local tier's (`localCache`). The client's are `client.stats()`. */
  stats(): SentinelKeyvStoreStats {
    return { localCache: this.#local?.stats() };
  }

  /** The core client: its `topology()`, `stats()` and events. */
  get client(): RoutedClient {
    return this.#backend.client;
  }

  /** Whether the store created its client, and so closes it in {@link disconnect}. */
  get ownsClient(): boolean {
    return this.#backend.ownsClient;
  }

  /** Whether operations reject (`true`) or emit `'error'` and answer like an empty cache. */
  get throwOnErrors(): boolean {
    return this.#backend.throwOnErrors;
  }

  /**
   * Connects the client now rather than on the first operation, to fail fast at startup. Rejects
   * with the core's connection errors (`NO_SENTINEL_REACHABLE`, `MASTER_NAME_UNKNOWN`, …).
   */
  connect(): Promise<void> {
    return this.#backend.connect();
  }

  /**
   * The stored string (`GET` on a replica), or `undefined`. Typed as Keyv's contract requires:
   * the value is always the string Keyv serialized, which Keyv then deserializes.
   */
  get<Value = string>(key: string): Promise<StoredData<Value> | undefined> {
    const held = this.#local?.lookup(key);
    if (held !== undefined) {
      countLocalHits(1);
      return Promise.resolve(held as StoredData<Value>);
    }
    const value = countLookup(
      this.#local?.refreshing(key) ?? this.#batched<string | undefined>([key], true),
    );
    const onError = this.#backend.missOnError;
    return (onError ? value.catch(onError) : value) as Promise<StoredData<Value> | undefined>;
  }

  /**
   * The stored strings of `keys`, in order (`undefined` for a miss), with one `MGET` on a
   * replica (shared with the other reads of the same tick).
   */
  getMany<Value = string>(keys: string[]): Promise<StoredData<Value | undefined>[]> {
    if (keys.length === 0) return Promise.resolve([]);
    const local = this.#local;
    if (local !== undefined) {
      const held = keys.map((key) => local.lookup(key));
      const missing = keys.filter((_, i) => held[i] === undefined);
      if (missing.length < keys.length) {
        countLocalHits(keys.length - missing.length);
        if (missing.length === 0) return Promise.resolve(held as StoredData<Value>[]);
        return this.#backend
          .guard(
            countLookup(this.#batched<(string | undefined)[]>(missing, false)),
            missing.map(() => undefined),
          )
          .then((fetched) => {
            let next = 0;
            return held.map((value) => value ?? fetched[next++]);
          }) as Promise<StoredData<Value | undefined>[]>;
      }
    }
    return this.#backend.guard(
      countLookup(this.#batched<(string | undefined)[]>(keys, false)),
      keys.map(() => undefined),
    ) as Promise<StoredData<Value | undefined>[]>;
  }

  /** Whether `key` exists (`EXISTS` on a replica). */
  has(key: string): Promise<boolean> {
    return this.#backend.guard(
      this.#backend.read((node) => node.exists(key)).then((n) => n === 1),
      false,
    );
  }

  /**
   * Whether each of `keys` exists: one pipelined round trip to a replica (on a cluster, one
   * pipeline per node, to a replica of each).
   */
  hasMany(keys: string[]): Promise<boolean[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.#backend.guard(
      this.#backend.read(async (node) => {
        const counts = await pipelineInOrder<number>(node, keys, (p, key) => p.exists(key));
        return counts.map((n) => n === 1);
      }),
      keys.map(() => false),
    );
  }

  /**
   * Stores `value` under `key` on the master: `SET key value PX ttl`, or without `PX` when `ttl`
   * is missing or not positive. A string (Keyv's serialized entry) is stored as is; anything else
   * (Keyv with serialization off) as JSON. The `set`s of one tick (concurrent requests) leave
   * together, as one script running their `SET`s on each master (`setEach`): a lone one is a
   * plain `SET` sent at once, adapting as the reads do (see #batched).
   */
  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    let encoded: string | Buffer;
    try {
      encoded = encode(value);
    } catch (error) {
      return this.#backend.fail(error as Error, false);
    }
    const written = this.#sets.get({ key, value: encoded, px: expiry(ttl) });
    return this.#dropLocally([key], written).then(toTrue, this.#backend.falseOnError);
  }

  /**
   * Stores every entry on the master with one command (`setEach`: on a cluster, one per
   * master, all in flight at once).
   */
  setMany(entries: SentinelKeyvStoreEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    let encoded: SetEntry[];
    try {
      encoded = entries.map((entry) => ({
        key: entry.key,
        value: encode(entry.value),
        px: expiry(entry.ttl),
      }));
    } catch (error) {
      return this.#backend.fail(error as Error, undefined);
    }
    this.#sets.flush();
    const written = this.#backend.write((master) => setEach(master, encoded));
    const keys = encoded.map((entry) => entry.key);
    return this.#backend.guard(this.#dropLocally(keys, written), undefined);
  }

  /** Deletes `key` (`UNLINK` on the master); `true` if it existed. */
  delete(key: string): Promise<boolean> {
    this.#sets.flush();
    const deleted = this.#backend.write((master) => {
      return master.unlink(key);
    });
    return this.#dropLocally([key], deleted).then(isPositive, this.#backend.falseOnError);
  }

  /** Deletes `keys` with one `UNLINK` on the master; `true` if any existed. */
  deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return Promise.resolve(false);
    this.#sets.flush();
    // One UNLINK per slot on a cluster (keys of several slots in one is a CROSSSLOT error).
    const deleted = this.#backend.write((master) => unlinkInSlots(master, keys));
    return this.#dropLocally(keys, deleted).then(isPositive, this.#backend.falseOnError);
  }

  /**
   * Deletes every key of this namespace (`namespace:*`) with `SCAN` + `UNLINK` in batches on the
   * master; other namespaces' keys and unprefixed keys stay. With no namespace it fails with
   * `INVALID_OPTION` unless `clearWithoutNamespace` is set, and then deletes every key of the
   * database the same way. Never `FLUSHDB`.
   */
  clear(): Promise<void> {
    const namespace = this.namespace;
    if (!namespace && !this.#backend.settings.clearWithoutNamespace) {
      return this.#backend.fail(noNamespaceError('clear()'), undefined);
    }
    const pattern = namespace ? `${escapeGlob(namespace)}:*` : '*';
    this.#sets.flush();
    this.#local?.flush('clear');
    return this.#backend.guard(
      this.#backend.deleteMatching(pattern).then(() => undefined),
      undefined,
    );
  }

  /**
   * Every `[key, storedString]` of `namespace` (all keys with none): keys from `SCAN` on the
   * master, values with one `MGET` per batch on a replica. Keys are as Keyv stored them
   * (`namespace:key`); Keyv's own `iterator()` strips the prefix and drops expired entries.
   */
  async *iterator(namespace?: string): AsyncGenerator<[string, string], void> {
    const pattern = namespace ? `${escapeGlob(namespace)}:*` : '*';
    try {
      for await (const keys of this.#backend.scan(pattern)) {
        const values = await this.#backend.read((node) => mgetInOrder(node, keys));
        for (const [i, key] of keys.entries()) {
          const value = values[i];
          // A key deleted or expired since the SCAN, or not yet on this replica.
          if (value !== null && value !== undefined) yield [key, value];
        }
      }
    } catch (error) {
      await this.#backend.fail(error as Error, undefined);
    }
  }

  /**
   * Closes the core client if the store created it (from a location or options). A client you
   * passed in stays open: NestJS calls this on `app.close()` for every cache store, and a client
   * shared with other code must survive that.
   */
  disconnect(): Promise<void> {
    this.#sets.flush();
    this.#local?.close();
    return this.#backend.close();
  }

  /**
   * A write of `keys` by this store: their entries go now (the next read goes to Redis) and again
   * once the write is done, so that a read sent in between, which may have seen the old value,
   * is not kept either.
   */
  #dropLocally<T>(keys: readonly string[], write: Promise<T>): Promise<T> {
    const local = this.#local;
    if (local === undefined) return write;
    local.invalidate(keys);
    const after = () => local.invalidate(keys);
    write.then(after, after);
    return write;
  }

  /**
   * Reads asked for in the same tick (many concurrent requests, a burst of `wrap`s) leave together
   * as one `MGET` to one replica instead of one command each: one command for Redis to run and
   * one reply to parse. They are sent at the end of the tick (`process.nextTick`); a lone `get` is
   * a plain `GET`. Waiting for the end of the tick costs a lone read a little, so it adapts, like
   * the core's corking: after a tick with a single read, the first read of the next tick is sent
   * at once and only the ones that follow it in that tick wait; after a tick with several, they
   * all wait.
   */
  #batched<T>(keys: string[], one: boolean): Promise<T> {
    return this.#reads
      .get(keys)
      .then((values) => (one ? orUndefined(values[0]) : values.map(orUndefined)) as T);
  }

  /** One read for the reads of a batch (a `GET` for a single key); each gets its keys' values. */
  #readAll(reads: string[][]): Promise<(string | null | undefined)[][]> {
    if (reads.length === 1 && this.#local === undefined) {
      // The usual lone read: no batch to split.
      const keys = reads[0] as string[];
      const sent =
        keys.length === 1
          ? this.#backend.read((node) => node.get(keys[0] as string))
          : this.#backend.read((node) => mgetInOrder(node, keys));
      return sent.then((value) => [Array.isArray(value) ? value : [value]]);
    }
    const keys = reads.flat();
    const sent =
      this.#local !== undefined
        ? this.#readThrough(this.#local, keys)
        : keys.length === 1
          ? this.#backend.read((node) => node.get(keys[0] as string)).then((value) => [value])
          : this.#backend.read((node) => mgetInOrder(node, keys));
    return sent.then((values) => {
      let from = 0;
      return reads.map((read) => {
        const to = from + read.length;
        const own = values.slice(from, to);
        from = to;
        return own;
      });
    });
  }

  /**
   * The read of {@link #readAll} with the local tier: placeholders taken before it is sent, each
   * key's `PTTL` read with its value (an entry never outlives the key on the server), and the
   * values kept if no invalidation came in the meantime and the node's link was live throughout.
   * Values and TTLs come in one `EVAL_RO` (one command, however many keys: a `PTTL` per key
   * would cost ioredis as much as the reads it saves); with the client's `keyPrefix`, whose keys
   * ioredis does not prefix inside a script call, one `PTTL` per key beside the `MGET`.
   */
  #readThrough(local: LocalCache, keys: string[]): Promise<(string | null | undefined)[]> {
    const read: LocalRead = local.begin(keys, this.#backend.started());
    let served: ServedRead | undefined;
    return this.#backend
      .read(async (node, servedBy) => {
        const { node: name, token } = local.served(servedBy);
        if (token === undefined) {
          served = { node: name, token, pttls: undefined };
          return keys.length === 1 ? [await node.get(keys[0] as string)] : node.mget(keys);
        }
        if (node.options.keyPrefix) {
          const values = node.mget(keys);
          const pttls = Promise.all(keys.map((key) => node.pttl(key)));
          const [v, p] = await Promise.all([values, pttls]);
          served = { node: name, token, pttls: p };
          return v;
        }
        const reply = (await node.call('EVAL_RO', VALUES_AND_TTLS, keys.length, ...keys)) as (
          | string
          | number
          | null
        )[];
        const values: (string | null)[] = [];
        const pttls: number[] = [];
        for (let i = 0; i < keys.length; i++) {
          const value = reply[2 * i];
          values.push(typeof value === 'string' ? value : null);
          pttls.push(Number(reply[2 * i + 1]));
        }
        served = { node: name, token, pttls };
        return values;
      })
      .then(
        (values) => {
          local.end(read, values, served);
          return values;
        },
        (error: unknown) => {
          local.end(read);
          throw error;
        },
      );
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

function toTrue(): true {
  return true;
}

function isPositive(n: number): boolean {
  return n > 0;
}

function orUndefined(value: string | null | undefined): string | undefined {
  return value ?? undefined;
}

function encode(value: unknown): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  return JSON.stringify(value) ?? 'null';
}
