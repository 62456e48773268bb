// The store weighs a replica's answer by the node read() says it ran on (servedBy), not by
// comparing the connection's options with a topology() snapshot on every miss. The miss on the
// master runs on a real node (SingleNodeClient: standalone.int.test.ts); a miss on a replica
// keeps this stand-in of the contract, because a replica that answers "no such session" while
// the master has it is a lag a real topology gives only by chance.
import { EventEmitter } from 'node:events';
import type { RedisConnection, RoutedClient, ServedBy } from '@sentinelkit/core';
import { describe, expect, it } from 'vitest';
import { SentinelStore } from '../src/index.js';

/** A client of the contract whose reads all run on one node, `servedBy`, holding no session. */
function clientServedBy(servedBy: ServedBy) {
  const emitter = new EventEmitter();
  const seen = { reads: [] as (string | undefined)[], topologyCalls: 0 };
  const node = {
    mget: async (...keys: string[]) => keys.map(() => null),
    get: async () => null,
    pttl: async () => -2,
  } as unknown as RedisConnection;
  const client = {
    status: 'ready',
    on: emitter.on.bind(emitter),
    off: emitter.off.bind(emitter),
    connect: async () => {},
    close: async () => {},
    call: async () => null,
    stats: () => ({}),
    topology: () => {
      seen.topologyCalls++;
      return { status: 'ready', shards: [{ master: undefined, replicas: [] }] };
    },
    read: async <T>(
      fn: (node: RedisConnection, servedBy: ServedBy) => Promise<T>,
      options?: { readFrom?: string },
    ) => {
      seen.reads.push(options?.readFrom);
      return fn(node, servedBy);
    },
    write: async () => {
      throw new Error('no write expected');
    },
    eachMaster: async () => {
      throw new Error('no sweep expected');
    },
  };
  return { client: client as unknown as RoutedClient, seen };
}

const address = { host: '127.0.0.1', port: 6379 };

describe('a miss, weighed by the node read() ran on', () => {
  it('on a replica: re-read on the master', async () => {
    const { client, seen } = clientServedBy({ role: 'replica', address });
    const store = new SentinelStore({ client });
    expect(await store.get('a-session-id-of-some-length')).toBeNull();
    expect(seen.reads).toEqual([undefined, 'master']);
    expect(seen.topologyCalls).toBe(0);
    expect(store.stats()).toMatchObject({ rereads: { miss: 1, stale: 0 } });
  });
});
