import { formatAddress, type ResolvedSentinelClientOptions } from '@sentinelkit/core';
import { parseSentinelEvent, sentinelOptions } from '@sentinelkit/core/internal';
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
      // The client's own sentinel connection (credentials, TLS, timeouts, RESP2)…
      ...sentinelOptions(options, address),
      // …kept up as long as the watch runs, the subscription queued until the sentinel answers.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, 5000),
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
      if (isAboutMaster(type, message, name)) onEvent({ at: new Date(), sentinel, type, message });
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

/**
 * Whether a Sentinel event is about `masterName`, read by the client's own parser of Sentinel's
 * messages (core sentinel-events.ts): the master an instance event is about is the one after
 * `@` (a replica whose host name happens to be our master's name is not ours), `+switch-master`
 * and master events name it first. Events with no master name (`+tilt`, `+new-epoch`) are not.
 */
export function isAboutMaster(type: string, message: string, masterName: string): boolean {
  return parseSentinelEvent(type, message, masterName) !== undefined;
}
