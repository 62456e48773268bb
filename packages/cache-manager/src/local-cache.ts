// The local tier of the Keyv store (`localCache`): what this process read from Redis, served from
// memory until Redis says it changed. Ties the tier's memory (local-tier.ts) to the invalidation
// links (invalidation-links.ts) and to the client's topology: any doubt about what a node would
// tell us drops what it fed. docs/cache-manager.md#local-tier says what it guarantees.
import type { NodeAddress, RoutedClient, ServedBy, TopologyEvent } from '@sentinelkit/core';
import { formatAddress, SentinelConfigError } from '@sentinelkit/core';
import { canOpenNodeConnections, openNodeConnection } from '@sentinelkit/core/internal';
import { InvalidationLinks, type LinkToken } from './invalidation-links.js';
import {
  type LocalCacheStats,
  type LocalFlushCause,
  LocalTier,
  type Placeholder,
} from './local-tier.js';
import type { ResolvedLocalCacheOptions } from './options.js';

/** What the local tier tells the store (emitted as its events). */
export interface LocalCacheEvents {
  invalidation(keys: string[], node: string): void;
  flush(cause: LocalFlushCause, node: string | undefined, dropped: number): void;
  error(error: Error): void;
  /**
   * Reads `keys` again now (`refresh`: this process was reading them when they changed), through
   * the store's own reads (which keep the values in the tier); resolves with their values.
   */
  refresh(keys: string[]): Promise<readonly (string | null | undefined)[]>;
}

/** A read of keys under way: taken before it is sent, ended with its result. */
export interface LocalRead {
  readonly keys: readonly string[];
  readonly placeholders: readonly Placeholder[];
  readonly startedAt: number;
}

/** What a read callback learnt, beyond the values: where it ran and under which link. */
export interface ServedRead {
  node: string;
  token: LinkToken | undefined;
  pttls: readonly number[] | undefined;
}

export class LocalCache {
  readonly #tier: LocalTier;
  readonly #links: InvalidationLinks;
  readonly #events: LocalCacheEvents;
  #client: RoutedClient | undefined;
  readonly #prefix: () => string;
  /** The prefix the links track (`namespace:`), set by the first read. */
  #tracked: string | undefined;
  readonly #onTopology = (event: TopologyEvent) => this.#topologyChanged(event);
  /**
   * Refreshes under way, by key: a lookup that misses joins one instead of sending its own read.
   * Each was sent after every invalidation of its key so far; a later one removes it.
   */
  readonly #refreshing = new Map<string, Promise<string | undefined>>();

  constructor(
    settings: ResolvedLocalCacheOptions,
    prefix: () => string,
    events: LocalCacheEvents,
    client: () => RoutedClient,
  ) {
    this.#tier = new LocalTier(settings);
    this.#events = events;
    this.#prefix = prefix;
    this.#links = new InvalidationLinks(
      (address) => openNodeConnection(client(), address),
      () => this.#tracked ?? prefix(),
      settings.pingInterval,
      {
        invalidate: (node, keys) => {
          if (keys === null) {
            this.flush('server-flush');
            return;
          }
          this.#tier.invalidations += keys.length;
          const again = this.#tier.invalidate(keys, settings.refresh);
          for (const key of keys) this.#refreshing.delete(key);
          this.#events.invalidation(keys, node);
          if (again.length > 0) this.#refresh(again);
        },
        lost: (node, cause) => this.flush(cause, node),
        failed: (_node, error) => this.#events.error(error),
      },
    );
  }

  /** Throws `INVALID_OPTION` for a client whose nodes the store cannot dial (not a SentinelClient). */
  static check(client: RoutedClient): void {
    if (canOpenNodeConnections(client)) return;
    throw new SentinelConfigError({
      option: 'localCache',
      expected: 'a SentinelClient of @sentinelkit/core (or a location) with localCache',
      received: String(client),
      hint: 'The local tier opens invalidation connections to the nodes with the client’s options; pass a SentinelClient, or turn localCache off',
    });
  }

  /** The value held for `key` (counted as a hit or a miss). */
  lookup(key: string): string | undefined {
    return this.#tier.lookup(key);
  }

  /** The refresh of `key` under way, if any (see {@link LocalCacheOptions.refresh}). */
  refreshing(key: string): Promise<string | undefined> | undefined {
    return this.#refreshing.get(key);
  }

  /** Placeholders for a read of `keys`, and on the first read the client's topology events. */
  begin(keys: readonly string[], client: RoutedClient): LocalRead {
    this.#follow(client);
    const prefix = this.#prefix();
    if (this.#tracked !== prefix) {
      // Keyv's namespace changed (or this is the first read): links track the new prefix.
      if (this.#tracked !== undefined) {
        this.#links.closeAll();
        this.flush('close');
      }
      this.#tracked = prefix;
    }
    return { keys, placeholders: this.#tier.begin(keys), startedAt: Date.now() };
  }

  /**
   * In the read's callback, before its command is sent: the node it runs on and its link's token
   * (`undefined` while the link is not live: the result will not be kept).
   */
  served(servedBy: ServedBy): { node: string; token: LinkToken | undefined } {
    return { node: formatAddress(servedBy.address), token: this.#links.tokenFor(servedBy.address) };
  }

  /** Ends a read: keeps its values if it succeeded under a link that stayed live. */
  end(read: LocalRead, values?: readonly (string | null | undefined)[], served?: ServedRead): void {
    if (values === undefined || served?.token?.live !== true || served.pttls === undefined) {
      this.#tier.end(read.keys, read.placeholders);
      return;
    }
    const prefix = this.#tracked ?? '';
    // A key outside the tracked prefix (Keyv's useKeyPrefix off) would get no invalidation.
    const covered =
      prefix === ''
        ? values
        : values.map((value, i) => (read.keys[i]?.startsWith(prefix) ? value : undefined));
    this.#tier.end(read.keys, read.placeholders, {
      values: covered,
      pttls: served.pttls,
      node: served.node,
      startedAt: read.startedAt,
      now: Date.now(),
    });
  }

  /** This store wrote or deleted `keys`: drop them, and keep reads of them in flight out. */
  invalidate(keys: readonly string[]): void {
    this.#tier.invalidate(keys);
    for (const key of keys) this.#refreshing.delete(key);
  }

  /** Drops every entry (or those `node` fed) and keeps every read in flight out. */
  flush(cause: LocalFlushCause, node?: string): void {
    const dropped = this.#tier.flush(cause, node);
    this.#refreshing.clear();
    this.#events.flush(cause, node, dropped);
  }

  /** Reads `keys` again; lookups of them join that read until it ends or a key changes again. */
  #refresh(keys: string[]): void {
    const read = this.#events.refresh(keys);
    for (const [i, key] of keys.entries()) {
      // A failed refresh fails the lookups that joined it, as their own read would have; with
      // none, nobody asked, and the handler below keeps the rejection from going unhandled.
      const value = read.then((values) => values[i] ?? undefined);
      this.#refreshing.set(key, value);
      const done = () => {
        if (this.#refreshing.get(key) === value) this.#refreshing.delete(key);
      };
      value.then(done, done);
    }
  }

  stats(): LocalCacheStats {
    return this.#tier.stats();
  }

  /** Flushes, closes the links and stops following the client (`disconnect()`). */
  close(): void {
    this.flush('close');
    this.#links.closeAll();
    this.#client?.off('topology-change', this.#onTopology);
    this.#client = undefined;
  }

  /** Follows `client`'s topology; a new client (the store reopened its own) starts afresh. */
  #follow(client: RoutedClient): void {
    if (this.#client === client) return;
    if (this.#client !== undefined) {
      this.#client.off('topology-change', this.#onTopology);
      this.#links.closeAll();
      this.flush('close');
    }
    this.#client = client;
    client.on('topology-change', this.#onTopology);
  }

  #topologyChanged(event: TopologyEvent): void {
    switch (event.type) {
      case 'REPLICA_REMOVE':
        this.#dropNode(event.replica, 'node-removed');
        return;
      case 'MASTER_LOST':
        this.#dropNode(event.previous, 'failover', true);
        return;
      case 'MASTER_CHANGE':
        if (event.previous !== undefined) this.#dropNode(event.previous, 'failover', true);
        return;
      default:
        return;
    }
  }

  /**
   * A node left: its link goes, and what it fed (everything, after a failover: the other nodes
   * resynchronise from a new master, and some writes acknowledged by the old one are lost).
   */
  #dropNode(address: NodeAddress, cause: LocalFlushCause, all = false): void {
    const node = formatAddress(address);
    this.#links.drop(node);
    this.flush(cause, all ? undefined : node);
  }
}
