import { formatAddress, type ResolvedSentinelClientOptions } from '@sentinelkit/core';
import { Redis } from 'ioredis';

/** One event line: when it arrived, from which sentinel, what it says. */
export interface WatchedEvent {
  at: Date;
  sentinel: string;
  type: string;
  message: string;
}

/** A running watch. */
export interface SentinelWatch {
  /** Resolves once every sentinel has acknowledged the subscription, or failed to. */
  ready: Promise<void>;
  /** Stops watching and closes every connection. */
  stop(): Promise<void>;
}

/**
 * Subscribes to every Sentinel event on every sentinel and hands on those
 * about `masterName` (and failovers involving it). Subscriptions come back by
 * themselves after a sentinel restarts.
 */
export function watchSentinelEvents(
  options: ResolvedSentinelClientOptions,
  onEvent: (event: WatchedEvent) => void,
  onProblem: (sentinel: string, message: string) => void,
): SentinelWatch {
  const name = options.masterName;
  const connections = options.sentinels.map((address) => {
    const sentinel = formatAddress(address);
    const redis = new Redis({
      host: address.host,
      port: address.port,
      ...(options.sentinelUsername !== undefined && { username: options.sentinelUsername }),
      ...(options.sentinelPassword !== undefined && { password: options.sentinelPassword }),
      ...(options.sentinelTls !== false && { tls: options.sentinelTls }),
      protocol: 2,
      connectTimeout: options.sentinelTimeout,
      disableClientInfo: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5000),
    });
    let lastProblem = '';
    redis.on('error', (error: Error) => {
      // One line per distinct problem, not one per reconnect attempt.
      if (error.message !== lastProblem) onProblem(sentinel, error.message);
      lastProblem = error.message;
    });
    redis.on('ready', () => {
      lastProblem = '';
    });
    redis.on('pmessage', (_pattern: string, type: string, message: string) => {
      const words = message.split(' ');
      // Instance events name the master after '@'; master events and
      // +switch-master name it first or second.
      const about = words.includes(name) || words[0] === name;
      if (about) onEvent({ at: new Date(), sentinel, type, message });
    });
    // Ready for this sentinel when it acknowledged, or when it first failed
    // (an unreachable sentinel is subscribed later, when it comes back).
    const subscribed = Promise.race([
      redis.psubscribe('*').then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => redis.once('error', () => resolve())),
    ]);
    return { redis, subscribed };
  });
  const stop = async () => {
    await Promise.all(
      connections.map(({ redis }) => {
        if (redis.status === 'end' || redis.status === 'reconnecting' || redis.status === 'wait') {
          redis.disconnect();
          return undefined;
        }
        const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
        redis.disconnect();
        return ended;
      }),
    );
  };
  return { ready: Promise.all(connections.map((c) => c.subscribed)).then(() => undefined), stop };
}
