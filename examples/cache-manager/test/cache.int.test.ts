import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import type { Cache } from 'cache-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPriceCache, lookUpPrice } from '../src/cache.js';

describe('examples/cache-manager', () => {
  let topology: SentinelTopology;
  let cache: Cache;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    cache = createPriceCache(topology.location);
  });

  afterAll(async () => {
    await cache?.disconnect();
    await topology?.stop();
  });

  it('wrap() looks a value up once and serves it from Redis after that', async () => {
    const calls = { count: 0 };
    const prices = [];
    for (let i = 0; i < 3; i++)
      prices.push(await cache.wrap('sku-9', () => lookUpPrice('sku-9', calls)));
    expect(prices).toEqual([500, 500, 500]);
    expect(calls.count).toBe(1);
    expect(await cache.ttl('sku-9')).toBeGreaterThan(Date.now());
  });

  it('wrap() goes on through a master kill without an error', async () => {
    const calls = { count: 0 };
    const switched = topology.waitForSwitch();
    await topology.killMaster();
    let done = false;
    void switched.then(() => {
      done = true;
    });
    let i = 0;
    while (!done) await cache.wrap(`sku-${i++ % 20}`, () => lookUpPrice('x', calls));
    expect(await cache.wrap('after', () => lookUpPrice('after', calls))).toBe(500);
  });
});
