import type { Redis } from 'ioredis';
import { TickGate } from './tick-batch.js';

/**
 * Commands that concurrent operations send in one tick leave in one socket write: one syscall
 * for us, one read for Redis, which then answers them together. node-redis does this for every
 * command; ioredis writes each command on its own. Measured on a plain `GET` with 50 in flight,
 * corking the socket until the end of the tick is ~1.8× the throughput.
 *
 * Corking costs a lone command a little (~2 % at one request in flight: its write waits for the
 * end of the tick), so it adapts: a connection that saw one operation in its last tick writes the
 * first operation of the next at once and corks only if a second one comes in the same tick; a
 * connection that saw several corks from the first. The socket is always uncorked before the
 * event loop moves on to I/O (`process.nextTick`), so nothing waits for more than the rest of the
 * tick. Operations started from promise continuations (the usual case: requests resuming after
 * an `await`) all run before that uncork; from a plain I/O or timer callback, the nextTick queue
 * runs before the microtasks, so later continuations miss the batch: a missed batch, never a
 * delay or a reordering.
 */

interface TickState {
  /** The adaptive per-tick rule (tick-batch.ts); uncorks at the end of the tick. */
  gate: TickGate;
  corked: boolean;
}

// `Redis#stream` is the socket ioredis writes every command to: a public, typed member of its
// `Redis` class in every 6.x, and corking is plain Node `Writable` API. ioredis may
// replace the socket on reconnect (6.1's handoffs too), so it is read afresh per operation and the
// state is keyed by socket, never kept on the connection. test/ioredis-internals.test.ts checks
// this against each ioredis 6 that CI runs (.ci/ioredis-range.sh).
type Stream = Redis['stream'];

const states = new WeakMap<Stream, TickState>();

function stateOf(stream: Stream): TickState {
  let state = states.get(stream);
  if (state === undefined) {
    const created: TickState = {
      gate: new TickGate(() => {
        if (!created.corked) return;
        created.corked = false;
        stream.uncork();
      }),
      corked: false,
    };
    states.set(stream, created);
    state = created;
  }
  return state;
}

function cork(stream: Stream, state: TickState): void {
  if (state.corked) return;
  state.corked = true;
  stream.cork();
}

/** Called before an operation sends its commands on `redis`: batches them per tick (see above). */
export function batchCommands(redis: Redis): void {
  const stream = redis.stream;
  if (stream === undefined || stream === null) return;
  const state = stateOf(stream);
  if (state.gate.enter()) return;
  cork(stream, state);
}

/** Corks `redis`'s socket until the end of the tick, whatever the last tick saw. */
export function corkUntilTickEnd(redis: Redis): void {
  const stream = redis.stream;
  if (stream === undefined || stream === null) return;
  const state = stateOf(stream);
  state.gate.enter();
  cork(stream, state);
}
