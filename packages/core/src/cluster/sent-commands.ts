/**
 * Stops ioredis' `Cluster` from sending again, by itself, a command that was already written.
 *
 * A cluster node's connection never reconnects (`retryStrategy: null`); when it closes (its node
 * died, or the client closed it to leave a frozen master), ioredis fails every command it holds
 * with the same "Connection is closed.": those still in its offline queue (never written) and
 * those in its command queue (written, waiting for their reply). The `Cluster` then sends each
 * of them again after `retryDelayOnFailover`, idempotent or not, and a non-idempotent write whose
 * reply was lost may run twice without anyone knowing.
 *
 * Each node connection's `flushQueue` (the one place ioredis fails its queues) is wrapped here:
 * the offline queue still fails with {@link CONNECTION_CLOSED}, which ioredis retries (nothing
 * ran), and the command queue with {@link SENT_BEFORE_CLOSE}, which it does not: those reach
 * the client, whose rules (failure.ts) run them again only if the caller said idempotent. The
 * same holds for a command that already timed out and still sat in the command queue.
 * `flushQueue` is not in ioredis' public types; test/ioredis-internals.test.ts fails by name if
 * a version changes it.
 */
import type { Redis } from 'ioredis';
import { CONNECTION_CLOSED, SENT_BEFORE_CLOSE } from './failure.js';

interface QueueOptions {
  offlineQueue?: boolean;
  commandQueue?: boolean;
}

interface FlushingConnection {
  flushQueue(error: Error, options?: QueueOptions): void;
  commandQueue: { length: number };
}

const wrapped = new WeakSet<object>();

/**
 * Makes `redis` (a node connection of a `Cluster`) fail the commands it had written, when it
 * closes, with {@link SENT_BEFORE_CLOSE} instead of {@link CONNECTION_CLOSED}. Idempotent: a
 * connection is wrapped once.
 */
export function failWrittenCommandsAsSent(redis: Redis): void {
  const connection = redis as unknown as FlushingConnection;
  const flush = connection.flushQueue;
  if (wrapped.has(connection) || typeof flush !== 'function') return;
  wrapped.add(connection);
  connection.flushQueue = function flushQueue(error, options) {
    const written = options?.commandQueue !== false && this.commandQueue.length > 0;
    if (error?.message !== CONNECTION_CLOSED || !written) {
      flush.call(this, error, options);
      return;
    }
    // In ioredis' own order: the offline queue, then the command queue.
    flush.call(this, error, { ...options, commandQueue: false });
    flush.call(this, new Error(SENT_BEFORE_CLOSE), { offlineQueue: false, commandQueue: true });
  };
}
