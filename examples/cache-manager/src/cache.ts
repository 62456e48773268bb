import { createKeyv } from '@sentinelkit/cache-manager';
import { type Cache, createCache } from 'cache-manager';

/**
 * A cache-manager 7 cache on Redis Sentinel or Redis Cluster: reads from a
 * random healthy replica (of the key's slot, on a cluster), writes to the
 * master, failovers absorbed. One line is the whole integration:
 * `createKeyv(location)`; moving from Sentinel to a cluster changes the
 * location (`mymaster/host:26379,…` → `redis+cluster://host:port,…`), nothing else.
 */
export function createPriceCache(location: string): Cache {
  return createCache({ stores: [createKeyv(location, { namespace: 'prices' })], ttl: 30_000 });
}

/** A slow lookup worth caching. */
export async function lookUpPrice(sku: string, calls: { count: number }): Promise<number> {
  calls.count++;
  return sku.length * 100;
}
