// Redis entirely down (every data node killed, the sentinels still up): a cache must miss fast.
// Regression: every get waited the client's failoverTimeout (10 s) and then missed.
import { isSentinelKitError, type RoutedClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyv } from '../src/index.js';
import { untilReplicaCount } from './helpers.js';

let topology: SentinelTopology;

// The defaults the test relies on: a read's budget, and the wait for a master it must not take.
const READ_TIMEOUT_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;

beforeAll(async () => {
  topology = await startSentinelTopology();
});

afterAll(async () => {
  await topology?.stop();
});

describe('every data node down', () => {
  it('get misses within readTimeout (1 s by default) with a TIMEOUT error event', async () => {
    const keyv = createKeyv(topology.location, { namespace: 'down' });
    const errors: Error[] = [];
    keyv.on('error', (error: Error) => errors.push(error));
    try {
      await keyv.set('k', 'v');
      const store = keyv.store as { client: RoutedClient };
      await untilReplicaCount(store.client, 2);
      for (const node of topology.dataNodes) await topology.kill(node);

      const startedAt = Date.now();
      const results = await Promise.all([keyv.get('k'), keyv.get('other'), keyv.has('k')]);
      const elapsed = Date.now() - startedAt;

      expect(results).toEqual([undefined, undefined, false]);
      expect(errors.length).toBeGreaterThanOrEqual(3);
      expect(errors.every((e) => isSentinelKitError(e, 'TIMEOUT'))).toBe(true);
      // Not a fixed figure (a loaded machine delays timers): the calls gave up on their budget,
      // far from the client's failoverTimeout, and none is left waiting for a master.
      expect(elapsed).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(FAILOVER_TIMEOUT_MS / 2);
      expect(store.client.stats().waitingForMaster).toBe(0);
    } finally {
      await keyv.disconnect();
    }
  });
});
