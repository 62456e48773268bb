import { createKeyv } from '@sentinelkit/cache-manager';
import { type Cache, createCache } from 'cache-manager';

/**
 * A cache-manager 7 cache on Redis Sentinel: reads from a random healthy
 * replica, writes to the master, failovers absorbed. One line is the whole
 * integration: `createKeyv(location)`.
 */
export function createPriceCache(location: string): Cache {
  return createCache({ stores: [createKeyv(location, { namespace: 'prices' })], ttl: 30_000 });
}

/** A slow lookup worth caching. */
export async function lookUpPrice(sku: string, calls: { count: number }): Promise<number> {
  calls.count++;
  return sku.length * 100;
}
