import type { Redis } from 'ioredis';

// Sockets corked until the end of the current tick.
const corked = new WeakSet<object>();

/**
 * Corks `redis`'s socket until the end of the current tick (once per tick and socket), so the
 * commands that concurrent operations send in one tick leave in one write: one syscall for us,
 * one read for Redis, which then answers them together. This is what node-redis does for every
 * command, and what ioredis does not (it writes each command on its own); measured on a plain
 * `GET` with 50 in flight it is ~1.8× the throughput. A lone command waits for nothing: the
 * socket is uncorked before the event loop moves on (`process.nextTick` runs after the current
 * callback and its microtasks, before any I/O).
 */
export function corkUntilTickEnd(redis: Redis): void {
  const stream = redis.stream;
  if (stream === undefined || stream === null || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  process.nextTick(uncork, stream);
}

function uncork(stream: Redis['stream']): void {
  corked.delete(stream);
  stream.uncork();
}
