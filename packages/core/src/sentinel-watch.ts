import { Redis } from 'ioredis';
import { sentinelOptions } from './connections.js';
import { SentinelKitError } from './errors.js';
import type { ResolvedSentinelClientOptions } from './options.js';
import { parseSentinelEvent, type SentinelEvent, WATCHED_CHANNELS } from './sentinel-events.js';
import { formatAddress, type NodeAddress } from './types.js';

// Resubscribe quickly after a sentinel restarts, without hammering a dead one.
const resubscribeDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);

/**
 * Subscribes to Sentinel's events on every known sentinel (spec point 10) and
 * hands on the ones about our master name, stamped with the time they arrived.
 * Each sentinel announces a failover itself, up to a second apart, so listening
 * to all of them gives the earliest news; duplicates are the client's to
 * ignore. A lost subscription is re-established by ioredis (retry with backoff,
 * automatic resubscribe). Push is never the only mechanism: the client polls.
 */
export class SentinelWatch {
  private readonly subscribers = new Map<string, Redis>();
  // Connections whose SUBSCRIBE succeeded: a connection can be up with no subscription.
  private readonly subscribed = new WeakSet<Redis>();
  // Each connection's first subscription attempt, settled or not (see settled()).
  private readonly starting = new Set<Promise<unknown>>();
  // Sentinel id (`SENTINEL MYID`) → the address it is watched at; addresses found to be another
  // name of a sentinel already watched (a hostname given, the IP learnt from its peers).
  private readonly watchedIds = new Map<string, string>();
  private readonly aliases = new Set<string>();
  // Address → since when (clock ms) its connection has not been up; absent while it is up.
  private readonly downSince = new Map<string, number>();
  // Connections closed as aliases, still ending.
  private readonly ending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: ResolvedSentinelClientOptions,
    private readonly onEvent: (event: SentinelEvent, receivedAt: number) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Starts watching every sentinel in `sentinels` not watched yet. */
  watch(sentinels: readonly NodeAddress[]): void {
    if (this.closed) return;
    for (const sentinel of sentinels) {
      const key = formatAddress(sentinel);
      if (this.subscribers.has(key) || this.aliases.has(key)) continue;
      const redis = new Redis({
        ...sentinelOptions(this.options, sentinel),
        // Subscriptions live as long as the client; ioredis restores them.
        retryStrategy: resubscribeDelay,
        autoResubscribe: true,
        // Queue SUBSCRIBE until the sentinel is reachable, however long that takes.
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        // disconnect() between reconnect attempts arms this timer on the socket that already
        // closed, where nothing clears it: let it fire at once instead of holding the process.
        disconnectTimeout: 0,
      });
      redis.on('error', this.onError);
      this.downSince.set(key, this.options.clock());
      redis.on('ready', () => this.downSince.delete(key));
      redis.on('close', () => {
        if (!this.downSince.has(key)) this.downSince.set(key, this.options.clock());
      });
      handleResubscribeFailures(redis);
      redis.on('message', (channel: string, message: string) => {
        const receivedAt = this.options.clock();
        const event = parseSentinelEvent(channel, message, this.options.masterName);
        if (event) this.onEvent(event, receivedAt);
      });
      this.subscribers.set(key, redis);
      // Not on a connection closed meanwhile (an alias, or close()): it has nothing to subscribe.
      const starting = this.identify(key, redis).then((alias) =>
        alias || this.closed || this.subscribers.get(key) !== redis
          ? undefined
          : this.subscribe(key, redis),
      );
      this.starting.add(starting);
      void starting.finally(() => this.starting.delete(starting));
    }
  }

  /**
   * One sentinel, one watch: a sentinel given by hostname is learnt again by IP from its peers'
   * `SENTINEL sentinels`. The connection asks the sentinel's id first; one already watched at
   * another address is closed, and its address not dialled again. A sentinel that does not say
   * (older than 6.2, or the ACL user may not ask) is watched as before.
   */
  private async identify(key: string, redis: Redis): Promise<boolean> {
    const id = await redis.call('SENTINEL', 'MYID').then(String, () => undefined);
    if (id === undefined || this.closed || this.subscribers.get(key) !== redis) return false;
    const owner = this.watchedIds.get(id);
    if (owner === undefined || owner === key) {
      this.watchedIds.set(id, key);
      return false;
    }
    this.subscribers.delete(key);
    this.aliases.add(key);
    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    this.ending.add(ended);
    void ended.then(() => this.ending.delete(ended));
    redis.disconnect();
    return true;
  }

  private subscribe(key: string, redis: Redis): Promise<void> {
    return redis.subscribe(...WATCHED_CHANNELS).then(
      () => {
        this.subscribed.add(redis);
      },
      (error: unknown) => {
        // A refusal by ACL will not pass by retrying: say so. Any other failure is the
        // connection's, and ioredis retries and resubscribes.
        const message = error instanceof Error ? error.message : String(error);
        if (!/NOPERM/i.test(message)) return;
        this.onError(
          new SentinelKitError(
            'PERMISSION_DENIED',
            `sentinel ${key} refused SUBSCRIBE to the sentinel user (sentinelUsername): failovers are followed by polling only: ${message}`,
            { cause: error },
          ),
        );
      },
    );
  }

  /**
   * Milliseconds the connection to `sentinel` has been down (never up since it was opened, or
   * lost since), `undefined` while it is up or not watched.
   */
  downFor(sentinel: NodeAddress): number | undefined {
    const since = this.downSince.get(formatAddress(sentinel));
    return since === undefined ? undefined : this.options.clock() - since;
  }

  /** Stops watching `sentinel` (forgotten: see SentinelSide); resolves once its socket closed. */
  async unwatch(sentinel: NodeAddress): Promise<void> {
    const key = formatAddress(sentinel);
    const redis = this.subscribers.get(key);
    this.subscribers.delete(key);
    this.downSince.delete(key);
    if (redis) await stop(redis);
  }

  /** Resolves once every connection opened so far has subscribed or failed its first attempt. */
  async settled(): Promise<void> {
    while (this.starting.size > 0) await Promise.allSettled([...this.starting]);
  }

  /** Number of sentinels whose subscription is live right now. */
  get live(): number {
    let count = 0;
    for (const redis of this.subscribers.values()) {
      if (redis.status === 'ready' && this.subscribed.has(redis)) count++;
    }
    return count;
  }

  /** Closes every subscription; resolves once their sockets are closed. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.subscribers.values()];
    this.subscribers.clear();
    await Promise.all([...this.ending, ...all.map(stop)]);
  }
}

/** Closes a subscriber for good; resolves once it has ended. */
function stop(redis: Redis): Promise<void> | undefined {
  // Between reconnect attempts there is no socket, and disconnect() only
  // cancels the next attempt without emitting 'end'.
  if (redis.status === 'end') return undefined;
  if (redis.status === 'reconnecting') {
    redis.disconnect();
    // Timers of the same delay fire in order: once this one has, ioredis' has too.
    return new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  redis.disconnect();
  return ended;
}

/**
 * ioredis 6.0.0 resubscribes by itself on every reconnect (`autoResubscribe`) by calling the
 * connection's own `subscribe()` and dropping the promise (6.1.0 adds a handler; the peer range
 * accepts both): when the connection closes before
 * the reply (a sentinel killed or restarted again, or close() at that moment), that promise
 * rejects "Connection is closed." with no handler, an unhandled rejection that ends a Node
 * process by default. Every promise `subscribe()` returns gets a handler here; the failure
 * itself is the connection's, already reported by its 'error' event and retried by ioredis.
 */
export function handleResubscribeFailures(redis: Redis): void {
  const subscribe = redis.subscribe.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  (redis as unknown as { subscribe: typeof subscribe }).subscribe = (...args) => {
    const subscribing = subscribe(...args);
    subscribing.catch(() => undefined);
    return subscribing;
  };
}
