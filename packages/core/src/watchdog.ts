import type { Redis } from 'ioredis';

/**
 * `commandTimeout` for the data connections, without a timer per command.
 *
 * ioredis' own `commandTimeout` arms a timer for every command and clears it on the reply:
 * measured here, that is ~4 % of the throughput with one request in flight and ~2.5 % with 50.
 * This looks at each connection's queue of unanswered commands 20 times per timeout instead. It
 * notes when it first saw each command waiting, and a command still unanswered `timeoutMs` after
 * that fails with ioredis' own error (`Command timed out`), as ioredis' timer would fail it, at
 * most a tenth of the timeout later. Like ioredis, it leaves the command in the queue, so a reply
 * that comes after all is still matched to it (and dropped). Commands answered between two looks
 * are never noted: they cost nothing.
 */

/*
 * What this reads of ioredis: `Redis#commandQueue` (a public, typed Denque of `{ command }`,
 * oldest first, an item removed when its reply arrives) and the `isSettled`/`reject` of ioredis'
 * `Command`. Both are unchanged in every 6.x: ioredis' own timeouts and reconnect
 * logic use them the same way. test/ioredis-internals.test.ts fails by name if their shape
 * changes, on each ioredis 6 that CI runs (.ci/ioredis-range.sh).
 */

/** Stops watching. */
export type StopWatching = () => void;

/** Fails commands of `redis` unanswered for `timeoutMs`; stops by itself when `redis` ends. */
export function watchCommandTimeouts(redis: Redis, timeoutMs: number): StopWatching {
  // When each queued command was first seen waiting. Keyed by the queue's items, which ioredis
  // keeps from the write until the reply.
  const firstSeen = new WeakMap<object, number>();
  const check = () => {
    const queue = redis.commandQueue;
    const now = performance.now();
    // New commands are at the back: note them, back to front, until one already noted.
    for (let i = queue.length - 1; i >= 0; i--) {
      const item = queue.get(i);
      if (item === undefined || firstSeen.has(item)) break;
      firstSeen.set(item, now);
    }
    // The oldest are at the front: fail those that waited too long.
    for (let i = 0; i < queue.length; i++) {
      const item = queue.get(i);
      const seen = item === undefined ? undefined : firstSeen.get(item);
      if (item === undefined || seen === undefined || now - seen < timeoutMs) break;
      // ioredis' Command; the queue's type only promises resolve and reject.
      const command = item.command as { isSettled?: boolean; reject(e: Error): void };
      if (command.isSettled !== true) command.reject(new Error('Command timed out'));
    }
  };
  const timer = setInterval(check, Math.max(5, Math.ceil(timeoutMs / 20)));
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    redis.off('end', stop);
  };
  redis.once('end', stop);
  return stop;
}
