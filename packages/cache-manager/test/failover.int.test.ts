import type { TopologyEvent } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { type Cache, createCache } from 'cache-manager';
import type { Keyv } from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyv, type SentinelKeyvStore } from '../src/index.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers.js';

interface LoadResult {
  /** Operations that completed. */
  done: number;
  /** Operations completed after the client switched masters. */
  afterSwitch: number;
  /** Errors that reached the caller: must stay empty. */
  callerErrors: unknown[];
  /** `wrap` results that were not the value the function computes for that key. */
  wrongValues: string[];
}

/**
 * A wrap-heavy cache load, as a read-through cache behind an API sees it: `workers` loops, each
 * mostly `wrap`ping keys of a small key space (hits and, through short TTLs and deletes, misses
 * that recompute and write), with a `mget` and a `del` now and then.
 */
function startLoad(
  cache: Cache,
  switched: () => number | undefined,
  storeErrors: readonly Error[],
  workers = 8,
) {
  const result: LoadResult = { done: 0, afterSwitch: 0, callerErrors: [], wrongValues: [] };
  const expected = (key: string) => ({ key, computed: key.length });
  let running = true;
  const worker = async (w: number) => {
    let n = 0;
    while (running) {
      const key = `item:${(w * 7919 + n++) % 300}`;
      try {
        if (n % 25 === 0) {
          await cache.del(key);
        } else if (n % 10 === 0) {
          const values = await cache.mget([key, 'item:0', 'item:1']);
          for (const value of values) {
            if (value !== undefined && (value as { key?: string }).key === undefined) {
              result.wrongValues.push(`mget ${key}`);
            }
          }
        } else {
          const ttl = n % 3 === 0 ? 200 : 60_000;
          const value = await cache.wrap(key, async () => expected(key), ttl);
          if (JSON.stringify(value) !== JSON.stringify(expected(key))) {
            result.wrongValues.push(key);
          }
        }
        result.done++;
        const at = switched();
        if (at !== undefined && Date.now() > at) result.afterSwitch++;
      } catch (error) {
        result.callerErrors.push(error);
      }
      // A failure fails the test anyway: stop early rather than pile up errors.
      if (result.callerErrors.length + storeErrors.length > 100) running = false;
      // Yield to I/O and timers between operations, as a server between requests: an operation
      // answered without I/O (a miss after an error, say) must not starve the client's events.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => worker(w));
  return {
    result,
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** Resolves once the load's counters satisfy `predicate` (polled every 20 ms). */
async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

describe('a failover under a wrap-heavy cache-manager load', () => {
  let topology: SentinelTopology;
  let keyv: Keyv;
  let store: SentinelKeyvStore;
  let cache: Cache;
  const storeErrors: Error[] = [];
  let switchedAt: number | undefined;
  let queuedOrRetried = 0;

  beforeEach(async () => {
    topology = await startSentinelTopology();
    // The store creates and owns its client, as most applications would have it.
    keyv = createKeyv(topology.location, { namespace: 'fo' });
    store = keyv.store as SentinelKeyvStore;
    storeErrors.length = 0;
    switchedAt = undefined;
    queuedOrRetried = 0;
    keyv.on('error', (error: Error) => storeErrors.push(error));
    store.client.on('topology-change', (event: TopologyEvent) => {
      if (event.type === 'MASTER_CHANGE' && event.reason !== 'discovered') {
        switchedAt ??= event.switchedAt;
        queuedOrRetried += (event.timings?.queued ?? 0) + (event.timings?.retried ?? 0);
      }
    });
    await store.connect();
    await untilReplicaCount(store.client, 2);
    cache = createCache({ stores: [keyv] });
  });

  afterEach(async () => {
    await cache?.disconnect();
    await topology?.stop();
  });

  const expectNoHarm = (result: LoadResult) => {
    expect(result.callerErrors).toEqual([]);
    expect(result.wrongValues).toEqual([]);
    expect(result.afterSwitch).toBeGreaterThan(100);
    // The failover did hit the load: operations waited for the new master or ran again there.
    expect(queuedOrRetried).toBeGreaterThan(0);
  };

  it('kill the master: no error reaches the caller, every wrap returns the right value', async () => {
    const load = startLoad(cache, () => switchedAt, storeErrors);
    await until(() => load.result.done > 500, '500 operations before the fault');
    const old = await topology.currentMaster();
    const switched = nextTopologyEvent(
      store.client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    await topology.killMaster();
    await switched;
    await until(() => load.result.afterSwitch > 500, '500 operations after the switch');
    const result = await load.stop();

    expectNoHarm(result);
    expect(store.client.topology().shards[0]?.master?.address.port).not.toBe(old.port);
    // Failed reads are retried by the core, and writes wait for the new master: the store had
    // nothing to report.
    expect(storeErrors).toEqual([]);
  });

  it('freeze the master: no error reaches the caller', async () => {
    const load = startLoad(cache, () => switchedAt, storeErrors);
    await until(() => load.result.done > 500, '500 operations before the fault');
    const switched = nextTopologyEvent(
      store.client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    await topology.freezeMaster();
    await switched;
    await until(() => load.result.afterSwitch > 500, '500 operations after the switch');
    const result = await load.stop();
    await topology.thaw();

    expectNoHarm(result);
    expect(storeErrors).toEqual([]);
  });
});
