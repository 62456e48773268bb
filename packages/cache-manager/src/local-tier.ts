// The local tier's memory: an LRU of what this process read, the placeholders that keep a read
// racing an invalidation out of it, and its counters. No I/O: invalidation-links.ts and
// local-cache.ts feed it what Redis says.
import { LRUCache } from 'lru-cache';
import type { ResolvedLocalCacheOptions } from './options.js';

/** Why the local tier dropped entries without a key-by-key invalidation. */
export type LocalFlushCause =
  /** A node's invalidation connection closed: the server no longer tells us what changes there. */
  | 'link-lost'
  /** A node's invalidation connection did not answer a `PING` in time (a hung node). */
  | 'link-unresponsive'
  /** A node left the client's read rotation (`REPLICA_REMOVE`). */
  | 'node-removed'
  /** The client moved to a new master or lost its master (a failover). */
  | 'failover'
  /** The server flushed its data (`FLUSHALL`, `FLUSHDB`, a replica's full resync): a null invalidation. */
  | 'server-flush'
  /** `clear()` on this store. */
  | 'clear'
  /** `disconnect()` on this store, or its client was closed and replaced. */
  | 'close';

export const LOCAL_FLUSH_CAUSES: readonly LocalFlushCause[] = Object.freeze([
  'link-lost',
  'link-unresponsive',
  'node-removed',
  'failover',
  'server-flush',
  'clear',
  'close',
]);

/** Counters of the local tier since the store was created. */
export interface LocalCacheStats {
  /** `get`/`getMany` keys answered from memory. */
  hits: number;
  /** Keys looked up in memory and not found there (then read from Redis). */
  misses: number;
  /** Keys the server said changed (each key of each invalidation message, whether held or not). */
  invalidations: number;
  /** Keys read again at once after an invalidation (`refresh`), because this process was reading them. */
  refreshes: number;
  /** Flushes by cause (each drops every entry, or every entry one node fed). */
  flushes: Record<LocalFlushCause, number>;
  /** Entries held now. */
  entries: number;
  /** Bytes held now (UTF-8 bytes of keys and values). */
  bytes: number;
}

interface Entry {
  value: string;
  /** `host:port` of the node the value was read from. */
  node: string;
  /** Lookups that found it. */
  hits: number;
  /** Refreshes it may still get without being looked up (see {@link REFRESH_CREDIT}). */
  credit: number;
}

/**
 * Refreshes a key gets after a lookup found it, before another lookup must find it again. One
 * change reaches this process once per node it has a link to (each replica reports it as it
 * applies it), and each report drops the key, a refresh under way included: 2 lets a key read
 * from two replicas come back after both reports, while a key nobody reads any more stops being
 * refreshed after two changes.
 */
export const REFRESH_CREDIT = 2;

/**
 * Taken for a key before its read is sent; an invalidation of the key (or a flush) while the read
 * is in flight replaces it, and the read's result is then not kept (the value may be older than
 * the change the invalidation announced). What node-redis does with its placeholder entries.
 */
export interface Placeholder {
  readers: number;
}

export class LocalTier {
  readonly #lru: LRUCache<string, Entry>;
  readonly #inflight = new Map<string, Placeholder>();
  /** Keys being refreshed, with the credit their new entry gets. */
  readonly #refreshing = new Map<string, number>();
  readonly #ttl: number;
  hits = 0;
  misses = 0;
  invalidations = 0;
  refreshes = 0;
  readonly flushes: Record<LocalFlushCause, number> = Object.fromEntries(
    LOCAL_FLUSH_CAUSES.map((cause) => [cause, 0]),
  ) as Record<LocalFlushCause, number>;

  constructor(settings: ResolvedLocalCacheOptions) {
    this.#ttl = settings.ttl;
    this.#lru = new LRUCache<string, Entry>({
      max: settings.maxEntries,
      maxSize: settings.maxBytes,
      sizeCalculation: (entry, key) => entrySize(key, entry.value),
      ttl: settings.ttl,
    });
  }

  /** The value held for `key`, counting a hit or a miss. */
  lookup(key: string): string | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.hits++;
    return entry.value;
  }

  /** Placeholders for `keys`, taken before their read is sent. */
  begin(keys: readonly string[]): Placeholder[] {
    return keys.map((key) => {
      let placeholder = this.#inflight.get(key);
      if (placeholder === undefined) {
        placeholder = { readers: 0 };
        this.#inflight.set(key, placeholder);
      }
      placeholder.readers++;
      return placeholder;
    });
  }

  /**
   * Ends the reads of `begin(keys)`. With `result` (the read succeeded, on `node`, under an
   * invalidation connection that stayed up), keeps each value whose placeholder is still in place,
   * for no longer than the key's TTL on the server (`pttls`, counted at some point after
   * `startedAt`, the time the read was sent) or the tier's `ttl`.
   */
  end(
    keys: readonly string[],
    placeholders: readonly Placeholder[],
    result?: {
      values: readonly (string | null | undefined)[];
      pttls: readonly number[];
      node: string;
      startedAt: number;
      now: number;
    },
  ): void {
    for (const [i, key] of keys.entries()) {
      const placeholder = placeholders[i] as Placeholder;
      const current = this.#inflight.get(key) === placeholder;
      if (!current) continue;
      const credit = this.#refreshing.get(key) ?? 0;
      if (--placeholder.readers === 0) {
        this.#inflight.delete(key);
        this.#refreshing.delete(key);
      }
      if (result === undefined) continue;
      const value = result.values[i];
      if (typeof value !== 'string') continue;
      const ttl = entryTtl(result.pttls[i], this.#ttl, result.now - result.startedAt);
      if (ttl > 0) this.#lru.set(key, { value, node: result.node, hits: 0, credit }, { ttl });
    }
  }

  /**
   * Drops `keys` and keeps reads of them now in flight out of the tier. With `refresh` (the
   * server said they changed), returns those worth reading again at once: held and looked up
   * since they were stored, or still within their {@link REFRESH_CREDIT}.
   */
  invalidate(keys: readonly string[], refresh = false): string[] {
    const again: string[] = [];
    for (const key of keys) {
      if (refresh) {
        const entry = this.#lru.peek(key);
        const credit =
          entry === undefined
            ? (this.#refreshing.get(key) ?? 0)
            : entry.hits > 0
              ? REFRESH_CREDIT
              : entry.credit;
        if (credit > 0) {
          again.push(key);
          this.#refreshing.set(key, credit - 1);
        } else {
          this.#refreshing.delete(key);
        }
      } else {
        this.#refreshing.delete(key);
      }
      this.#lru.delete(key);
      this.#inflight.delete(key);
    }
    this.refreshes += again.length;
    return again;
  }

  /** Counts a flush and drops every entry (or those `node` fed), and keeps every read in flight out. */
  flush(cause: LocalFlushCause, node?: string): number {
    this.flushes[cause]++;
    this.#inflight.clear();
    this.#refreshing.clear();
    if (node === undefined) {
      const dropped = this.#lru.size;
      this.#lru.clear();
      return dropped;
    }
    const fed: string[] = [];
    for (const [key, entry] of this.#lru.entries()) if (entry.node === node) fed.push(key);
    for (const key of fed) this.#lru.delete(key);
    return fed.length;
  }

  stats(): LocalCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      invalidations: this.invalidations,
      refreshes: this.refreshes,
      flushes: { ...this.flushes },
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
    };
  }
}

/** UTF-8 bytes of a key and its value. */
export function entrySize(key: string, value: string): number {
  return Math.max(1, Buffer.byteLength(key) + Buffer.byteLength(value));
}

/**
 * How long an entry may live: the tier's `ttl`, cut to the server's `PTTL` less the time the read
 * took (the `PTTL` was counted somewhere within it); 0 (do not keep) for a key that expired or
 * went (`-2`) or a `PTTL` already used up. `-1` (no expiry on the server): the tier's `ttl`.
 */
export function entryTtl(pttl: number | undefined, ttl: number, elapsed: number): number {
  if (pttl === undefined || pttl === -2) return 0;
  if (pttl === -1) return ttl;
  return Math.max(0, Math.min(ttl, pttl - Math.max(0, elapsed)));
}
