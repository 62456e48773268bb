// One invalidation connection per data node the store reads from: `CLIENT TRACKING on BCAST
// PREFIX <namespace>: REDIRECT <its own id>` and `SUBSCRIBE __redis__:invalidate` on the same
// connection, RESP2. Why this shape (docs/cache-manager.md#local-tier):
// - RESP2 with REDIRECT, not RESP3 push: ioredis 6 decodes RESP3 push frames but drops every one
//   that is not pub/sub (DataHandler.returnPush), so an `invalidate` push never reaches us.
// - Redirected to itself: the tracking state and its subscriber are one connection, so neither
//   can outlive the other (redis/redis#11767: a REDIRECT target stops getting invalidations once
//   the tracked connection is gone, silently). Its 'close' is the one signal to watch.
// - BCAST on a connection of our own, not tracking on the client's shared read connections: those
//   are lent to every caller (CLIENT TRACKING is refused there), and BCAST keeps no per-key state
//   on the server.
// - PINGed every `pingInterval`: a hung node sends no invalidation and closes nothing.
import { formatAddress, type NodeAddress, type RedisConnection } from '@sentinelkit/core';
import { closeNow } from '@sentinelkit/core/internal';

const CHANNEL = '__redis__:invalidate';
// After a link could not be opened (a node refusing CLIENT TRACKING to the user, a Redis before
// 7.0), the next attempt on that node waits this long: one 'error' per node per period, not one
// per read. Its reads are answered meanwhile, from Redis.
const RETRY_AFTER_FAILURE_MS = 5000;

/** What a live link tells its owner. */
export interface LinkEvents {
  /** The node says `keys` changed (without the client's `keyPrefix`); `null`: it flushed everything. */
  invalidate(node: string, keys: string[] | null): void;
  /** The link is gone (closed, or no answer to a `PING`): nothing more will be heard from `node`. */
  lost(node: string, cause: 'link-lost' | 'link-unresponsive'): void;
  /** The link could not be opened (reported as the store's `'error'`). */
  failed(node: string, error: Error): void;
}

/**
 * Proof, taken in a read's callback before its command is sent, that the node's link was live:
 * still `live` when the reply is in, nothing was missed in between.
 */
export interface LinkToken {
  live: boolean;
}

class Link {
  readonly token: LinkToken = { live: false };
  redis: RedisConnection | undefined;
  timer: NodeJS.Timeout | undefined;
  closed = false;
}

export class InvalidationLinks {
  readonly #links = new Map<string, Link>();
  /** Nodes whose last link failed to open, with when to try again. */
  readonly #retryAt = new Map<string, number>();
  readonly #open: (address: NodeAddress) => Promise<RedisConnection>;
  readonly #prefix: () => string;
  readonly #pingInterval: number;
  readonly #events: LinkEvents;

  constructor(
    open: (address: NodeAddress) => Promise<RedisConnection>,
    prefix: () => string,
    pingInterval: number,
    events: LinkEvents,
  ) {
    this.#open = open;
    this.#prefix = prefix;
    this.#pingInterval = pingInterval;
    this.#events = events;
  }

  /**
   * The token of `address`'s live link, or `undefined` while there is none (one is then opened:
   * the reads of that node are kept once it is live).
   */
  tokenFor(address: NodeAddress): LinkToken | undefined {
    const node = formatAddress(address);
    const link = this.#links.get(node);
    if (link !== undefined) return link.token.live ? link.token : undefined;
    const retryAt = this.#retryAt.get(node);
    if (retryAt !== undefined && Date.now() < retryAt) return undefined;
    const fresh = new Link();
    this.#links.set(node, fresh);
    this.#start(fresh, node, { ...address });
    return undefined;
  }

  /** Closes `node`'s link, if any (the node left the rotation). */
  drop(node: string): void {
    const link = this.#links.get(node);
    if (link !== undefined) this.#close(node, link);
  }

  /** Closes every link. */
  closeAll(): void {
    for (const [node, link] of this.#links) this.#close(node, link);
  }

  get size(): number {
    return this.#links.size;
  }

  async #start(link: Link, node: string, address: NodeAddress): Promise<void> {
    try {
      const redis = await this.#open(address);
      if (link.closed) {
        closeNow(redis);
        return;
      }
      link.redis = redis;
      // A user without INFO is let through: EVAL_RO will say so on the first read if need be.
      const info = await redis.info('server').catch(() => '');
      const version = /redis_version:(\S+)/.exec(String(info))?.[1];
      if (version !== undefined && Number.parseInt(version, 10) < 7) {
        throw new Error(
          `localCache needs Redis 7.0 or later (EVAL_RO, CLIENT TRACKING); ${node} runs ${version}`,
        );
      }
      redis.once('close', () => this.#lose(node, link, 'link-lost'));
      const keyPrefix = redis.options.keyPrefix ?? '';
      redis.on('messageBuffer', (channel: Buffer, message: unknown) => {
        if (link.closed || String(channel) !== CHANNEL) return;
        this.#events.invalidate(node, keysOf(message, keyPrefix));
      });
      const id = await redis.client('ID');
      const prefix = `${keyPrefix}${this.#prefix()}`;
      await redis.call(
        'CLIENT',
        'TRACKING',
        'on',
        'REDIRECT',
        String(id),
        'BCAST',
        ...(prefix === '' ? [] : ['PREFIX', prefix]),
      );
      await redis.subscribe(CHANNEL);
      if (link.closed) return;
      this.#retryAt.delete(node);
      // Live only now: the server tracks for us from here on, so a read sent after this may be kept.
      link.token.live = true;
      this.#watch(node, link, redis);
    } catch (error) {
      if (link.closed) return;
      this.#close(node, link);
      this.#retryAt.set(node, Date.now() + RETRY_AFTER_FAILURE_MS);
      this.#events.failed(node, error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** PINGs the link; a PING still unanswered at the next tick means a hung node. */
  #watch(node: string, link: Link, redis: RedisConnection): void {
    let waiting = false;
    link.timer = setInterval(() => {
      if (waiting) {
        this.#lose(node, link, 'link-unresponsive');
        return;
      }
      waiting = true;
      redis.ping().then(
        () => {
          waiting = false;
        },
        // A failed PING comes with the connection's 'close'.
        () => {},
      );
    }, this.#pingInterval);
    link.timer.unref();
  }

  #lose(node: string, link: Link, cause: 'link-lost' | 'link-unresponsive'): void {
    if (link.closed) return;
    const wasLive = link.token.live;
    this.#close(node, link);
    if (wasLive) this.#events.lost(node, cause);
  }

  #close(node: string, link: Link): void {
    link.closed = true;
    link.token.live = false;
    clearInterval(link.timer);
    if (this.#links.get(node) === link) this.#links.delete(node);
    if (link.redis !== undefined) closeNow(link.redis);
  }
}

/** The keys of an invalidation message (`null`: a flush), without the client's `keyPrefix`. */
export function keysOf(message: unknown, keyPrefix: string): string[] | null {
  if (message === null || message === undefined) return null;
  const raw = Array.isArray(message) ? message : [message];
  return raw.map((key) => {
    const text = String(key);
    return keyPrefix !== '' && text.startsWith(keyPrefix) ? text.slice(keyPrefix.length) : text;
  });
}
