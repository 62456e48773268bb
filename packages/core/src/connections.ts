import { Redis, type RedisOptions } from 'ioredis';
import {
  ConnectionSetupError,
  type ConnectionSide,
  classifyConnectionError,
  closedBeforeReplyHint,
} from './connection-errors.js';
import { redactSecrets, SentinelConfigError, SentinelKitError } from './errors.js';
import { tlsForNode } from './node-tls.js';
import type { ResolvedSentinelClientOptions } from './options.js';
import { formatAddress, type NodeAddress } from './types.js';

/**
 * How sentinelkit opens its ioredis connections. Every connection is created
 * with `retryStrategy: null` and no offline queue: the client alone decides
 * when to reconnect and to which node (after asking Sentinel), and a command is
 * never parked inside ioredis waiting for a node that may no longer be master.
 */

/**
 * Options of a connection: replies mapped as ioredis always did (RESP2). ioredis' `RedisOptions`
 * alone is not accepted by its constructor under `exactOptionalPropertyTypes`.
 */
export type DataNodeOptions = RedisOptions & { replyMapping?: 'legacy' };

/**
 * Options for a connection to a data node (master or replica). No `db` and no
 * `connectionName`: ioredis would send `SELECT` and `CLIENT SETNAME` itself, and when
 * either fails it only emits an `'error'` and serves commands anyway (in db 0, say).
 * {@link openConnection} runs them instead ({@link connectionSetup}).
 */
export function dataNodeOptions(
  options: ResolvedSentinelClientOptions,
  address: NodeAddress,
  announced: NodeAddress = address,
): DataNodeOptions {
  const tls = tlsForNode(options.tls, announced);
  const { connectionName: _runByOpenConnection, ...redisOptions } = options.redisOptions;
  return {
    ...redisOptions,
    host: address.host,
    port: address.port,
    ...(options.username !== undefined && { username: options.username }),
    ...(options.password !== undefined && { password: options.password }),
    ...(tls !== false && { tls }),
    ...(options.keyPrefix !== '' && { keyPrefix: options.keyPrefix }),
    connectTimeout: options.connectTimeout,
    // No ioredis commandTimeout: it arms a timer per command; the client watches each
    // connection's queue instead (watchdog.ts), with the same effect.
    // RESP2: the same replies from every Redis and Sentinel version.
    protocol: 2,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
    reconnectOnError: null,
  };
}

/** Options for a connection to a sentinel. */
export function sentinelOptions(
  options: ResolvedSentinelClientOptions,
  address: NodeAddress,
): DataNodeOptions {
  return {
    host: address.host,
    port: address.port,
    ...(options.sentinelUsername !== undefined && { username: options.sentinelUsername }),
    ...(options.sentinelPassword !== undefined && { password: options.sentinelPassword }),
    ...(options.sentinelTls !== false && { tls: options.sentinelTls }),
    connectTimeout: options.sentinelTimeout,
    commandTimeout: options.sentinelTimeout,
    protocol: 2,
    lazyConnect: true,
    enableReadyCheck: false,
    disableClientInfo: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
  };
}

/** Setup steps {@link openConnection} runs on a data-node connection, each of which must succeed. */
export interface ConnectionSetup {
  /** Database to `SELECT` (not sent for 0, the server's default). */
  db: number;
  /** Name to set with `CLIENT SETNAME`. */
  connectionName?: string | undefined;
  /** The client's clock (`clock` option): what is left of the budget after the socket opened. */
  clock: () => number;
}

/** The setup of every data-node connection of a client. */
export function connectionSetup(options: ResolvedSentinelClientOptions): ConnectionSetup {
  return {
    db: options.db,
    connectionName: options.redisOptions.connectionName,
    clock: options.clock,
  };
}

/**
 * Runs `setup` on a connection that just opened; a refused step (a database out of range, an
 * ACL user without `SELECT`) rejects with the option to change, and the connection serves nothing.
 */
async function runSetup(
  redis: Redis,
  address: NodeAddress,
  setup: ConnectionSetup,
  ms: number,
  secrets: readonly (string | undefined)[],
): Promise<void> {
  const at = formatAddress(address);
  const steps: [option: string, expected: string, value: string, command: string[]][] = [];
  if (setup.db !== 0) {
    const db = String(setup.db);
    steps.push(['db', `a database index ${at} has and the user may SELECT`, db, ['SELECT', db]]);
  }
  if (setup.connectionName !== undefined) {
    const name = setup.connectionName;
    steps.push([
      'redisOptions.connectionName',
      `a name the user may set on ${at} (CLIENT SETNAME)`,
      JSON.stringify(name),
      ['CLIENT', 'SETNAME', name],
    ]);
  }
  for (const [option, expected, value, [command = '', ...args]] of steps) {
    try {
      await withTimeout(redis.call(command, ...args), ms, `${command} on ${at}`);
    } catch (error) {
      if (error instanceof SentinelKitError) throw error;
      const message = messageOf(error, secrets);
      throw new SentinelConfigError({
        option,
        expected,
        received: value,
        hint: `It answered ${[command, ...args.slice(0, 1)].join(' ')} with: ${message}`,
        cause: new Error(message),
      });
    }
  }
}

// The one list of the options' secrets lives with redactOptions (options.ts).
export { secretsOf } from './options.js';

/** Rejects with a `TIMEOUT` error when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SentinelKitError('TIMEOUT', `${what} did not answer within ${ms} ms`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens `redis` within `ms`. ioredis reports why a handshake failed (a wrong
 * password, say) only as an `'error'` event and then rejects with "Connection
 * is closed"; the first error seen is kept so the caller learns the real cause.
 * On failure the connection is closed, so nothing is left trying. A failure
 * retrying will not cure (TLS, credentials, ACL) is a {@link ConnectionSetupError}
 * naming the option to change.
 */
export async function openConnection(
  redis: Redis,
  address: NodeAddress,
  ms: number,
  secrets: readonly (string | undefined)[],
  side: ConnectionSide = 'data',
  setup?: ConnectionSetup,
): Promise<void> {
  let firstError: Error | undefined;
  const onError = (error: Error) => {
    firstError ??= error;
  };
  // ioredis emits 'connect' once the socket is up: with TLS, after the client's
  // side of the handshake (`secureConnect`). A reset before it is not mutual TLS.
  let handshakeCompleted = false;
  const onConnect = () => {
    handshakeCompleted = true;
  };
  redis.on('error', onError);
  redis.once('connect', onConnect);
  const startedAt = setup?.clock();
  try {
    await withTimeout(redis.connect(), ms, formatAddress(address));
  } catch (error) {
    closeNow(redis);
    const cause = firstError ?? (error as Error);
    const message = redactSecrets(cause.message, secrets);
    const tls = redis.options.tls;
    const context = {
      side,
      tls: tls !== undefined,
      clientCertificate: tls?.cert !== undefined || tls?.pfx !== undefined,
      handshakeCompleted,
    };
    const problem = classifyConnectionError(cause, context);
    if (problem) {
      throw new ConnectionSetupError({
        problem,
        address: formatAddress(address),
        side,
        detail: message,
      });
    }
    if (error instanceof SentinelKitError) throw error;
    const hint = closedBeforeReplyHint(cause, context);
    throw new SentinelKitError(
      'CONNECTION_FAILED',
      `could not connect to ${formatAddress(address)}: ${message.trim()}${hint ? ` (${hint})` : ''}`,
      { cause: new Error(message) },
    );
  } finally {
    redis.off('error', onError);
    redis.off('connect', onConnect);
  }
  if (setup === undefined || startedAt === undefined) return;
  try {
    const left = Math.max(1, startedAt + ms - setup.clock());
    await runSetup(redis, address, setup, left, secrets);
  } catch (error) {
    closeNow(redis);
    throw error;
  }
}

/**
 * Closes `redis` at once and leaves nothing behind. ioredis' `disconnect()` ends the socket
 * gracefully and arms a `disconnectTimeout` timer (2 s) cleared by the socket's `'close'`; on a
 * socket that already closed (a refused connection, a lost one) that never comes, so the timer
 * outlives the client and holds the process. An ended connection is left alone, and any other
 * socket is destroyed, which closes it now and clears the timer.
 */
export function closeNow(redis: Redis): void {
  if (redis.status === 'end') return;
  redis.disconnect();
  redis.stream?.destroy();
}

/**
 * Connections closed and not ended yet. ioredis ends a closed connection on a later turn of the
 * event loop, its disconnect timer and its commands' timers running until then: whoever closes
 * them here waits in {@link ClosingConnections.ended} (the client's `close()`), so that no socket
 * or timer outlives it, also of a connection cut short at a deadline and forgotten.
 */
export class ClosingConnections {
  readonly #open = new Set<Redis>();

  /** Closes `redis` now (see {@link closeNow}); {@link ended} waits for it. */
  close(redis: Redis): void {
    closeNow(redis);
    if (redis.status === 'end' || this.#open.has(redis)) return;
    this.#open.add(redis);
    redis.once('end', () => this.#open.delete(redis));
  }

  /** Resolves once every connection closed here, before or while waiting, has ended. */
  async ended(): Promise<void> {
    while (this.#open.size > 0) {
      await Promise.all(
        [...this.#open].map((redis) => new Promise((resolve) => redis.once('end', resolve))),
      );
    }
  }
}

/**
 * `error` from a command a connection needs to be usable (the master check's
 * `ROLE`) as a {@link ConnectionSetupError} when it will not go away (an ACL
 * user without the command), else `error` itself.
 */
export function setupErrorOf(
  error: unknown,
  redis: Redis,
  address: NodeAddress,
  secrets: readonly (string | undefined)[],
  side: ConnectionSide = 'data',
): unknown {
  const problem = classifyConnectionError(error, { side, tls: redis.options.tls !== undefined });
  if (!problem) return error;
  return new ConnectionSetupError({
    problem,
    address: formatAddress(address),
    side,
    detail: messageOf(error, secrets),
  });
}

/** A short, secret-free message for any thrown value. */
export function messageOf(error: unknown, secrets: readonly (string | undefined)[]): string {
  const text = error instanceof Error ? error.message : String(error);
  return redactSecrets(text, secrets);
}

export { Redis };
