// The cache-manager 5 store, driven by cache-manager 5 itself (installed as cache-manager-v5), as
// NestJS 10 apps on @nestjs/cache-manager 2 use it.
import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { caching, createCache } from 'cache-manager-v5';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLegacyStore } from '../src/index.js';
import { commandStats, keysOnMaster, onMaster, resetStats, untilReplicaCount } from './helpers.js';

describe('legacy cache-manager 5 store on a Sentinel deployment', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;

  let connected: ConnectedTopology<SentinelClient> | undefined;

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
    ({ topology, client } = connected);
  });

  afterAll(() => connected?.stop());

  beforeEach(async () => {
    await untilReplicaCount(client, 2);
  });

  const pttl = (key: string) => onMaster(topology, 'PTTL', key) as Promise<number>;

  it('get, set, del, mset, mget, mdel, keys and ttl through cache-manager 5, TTLs in ms', async () => {
    // Writes wait for both replicas so that reads (on replicas) right after see them.
    const store = createLegacyStore(client, { namespace: 'v5', waitReplicas: 2, ttl: 30_000 });
    const cache = await caching(store);

    await cache.set('a', { n: 1 }, 5000);
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(await pttl('v5:a')).toBeGreaterThan(4000);
    expect(await pttl('v5:a')).toBeLessThanOrEqual(5000);
    const left = await store.ttl('a');
    expect(left).toBeGreaterThan(4000);
    expect(left).toBeLessThanOrEqual(5000);

    // No TTL given: the store's `ttl` option. TTL 0: no expiry.
    await cache.set('default', 'd');
    expect(await pttl('v5:default')).toBeGreaterThan(25_000);
    await cache.set('forever', 'f', 0);
    expect(await pttl('v5:forever')).toBe(-1);
    expect(await store.ttl('forever')).toBe(-1);
    expect(await store.ttl('missing')).toBe(-2);

    await store.mset(
      [
        ['b', 'x'],
        ['c', [1, 2]],
        ['d', null],
      ],
      3000,
    );
    expect(await store.mget('b', 'c', 'd', 'missing')).toEqual(['x', [1, 2], null, undefined]);
    expect(await pttl('v5:c')).toBeGreaterThan(2000);
    expect(await pttl('v5:c')).toBeLessThanOrEqual(3000);
    expect((await store.keys()).sort()).toEqual(['a', 'b', 'c', 'd', 'default', 'forever']);
    expect((await store.keys('d*')).sort()).toEqual(['d', 'default']);

    await cache.del('a');
    expect(await cache.get('a')).toBeUndefined();
    await store.mdel('b', 'c');
    expect(await store.mget('b', 'c')).toEqual([undefined, undefined]);

    let computed = 0;
    const compute = async () => {
      computed++;
      return 'computed';
    };
    expect(await cache.wrap('w', compute, 2000)).toBe('computed');
    expect(await cache.wrap('w', compute, 2000)).toBe('computed');
    expect(computed).toBe(1);
    expect(await pttl('v5:w')).toBeLessThanOrEqual(2000);

    await cache.reset();
    expect(await keysOnMaster(topology, 'v5:*')).toEqual([]);
  });

  it('reset() deletes only its own namespace, never FLUSHDB', async () => {
    const store = createLegacyStore(client, { namespace: 'mine', waitReplicas: 2 });
    const cache = createCache(store);
    const other = createLegacyStore(client, { namespace: 'theirs' });
    await store.mset(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i] as [string, unknown]));
    await other.set('k1', 'theirs');
    const unrelated = ['mine', 'miner:1', 'mine2:k1', 'user:1'];
    for (const key of unrelated) await onMaster(topology, 'SET', key, 'unrelated');
    await resetStats(topology);

    await cache.reset();

    expect(await keysOnMaster(topology, 'mine:*')).toEqual([]);
    expect(await keysOnMaster(topology)).toEqual(['theirs:k1', ...unrelated].sort());
    const master = await topology.currentMaster();
    expect((await commandStats(topology, master, 'flushdb')).calls).toBe(0);
    expect((await commandStats(topology, master, 'flushall')).calls).toBe(0);
    for (const replica of await topology.replicas()) {
      expect((await commandStats(topology, replica, 'scan')).calls).toBe(0);
    }
    await onMaster(topology, 'DEL', 'theirs:k1', ...unrelated);
  });

  it('reads on replicas, writes on the master', async () => {
    const store = createLegacyStore(client, { namespace: 'route', waitReplicas: 2 });
    await store.set('k', 'v');
    await resetStats(topology);
    for (let i = 0; i < 100; i++) expect(await store.get('k')).toBe('v');
    for (let i = 0; i < 20; i++) expect(await store.mget('k', 'k')).toEqual(['v', 'v']);
    expect(await store.ttl('k')).toBe(-1);
    await store.del('k');
    const master = await topology.currentMaster();
    expect((await commandStats(topology, master, 'get')).calls).toBe(0);
    expect((await commandStats(topology, master, 'mget')).calls).toBe(0);
    expect((await commandStats(topology, master, 'pttl')).calls).toBe(0);
    expect((await commandStats(topology, master, 'unlink')).calls).toBe(1);
    let served = 0;
    for (const replica of await topology.replicas()) {
      const gets = (await commandStats(topology, replica, 'get')).calls;
      expect(gets).toBeGreaterThan(20);
      served += gets;
      expect((await commandStats(topology, replica, 'unlink')).rejected).toBe(0);
    }
    expect(served).toBe(100);
  });

  it('a value isCacheable refuses is not stored: error event, or rejection with throwOnErrors', async () => {
    const errors: Error[] = [];
    const quiet = createLegacyStore(client, { namespace: 'nc' });
    quiet.on('error', (error) => errors.push(error));
    await quiet.set('u', undefined);
    expect(errors).toMatchObject([{ code: 'INVALID_OPTION', option: 'isCacheable' }]);
    const loud = createLegacyStore(client, { namespace: 'nc', throwOnErrors: true });
    await expect(loud.set('u', undefined)).rejects.toMatchObject({ option: 'isCacheable' });
    expect(await keysOnMaster(topology, 'nc:*')).toEqual([]);
  });
});
