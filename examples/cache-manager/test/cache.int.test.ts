// The example's own code on both kinds of deployment, unchanged: a Sentinel topology and a Redis
// Cluster (3 masters, 1 replica each), only the location differs. On each: wrap() looks up once,
// and goes on without an error through a master kill (on the cluster, the master of the shard
// serving the loop's first key, while the loop also touches the other shards).
import {
  type ClusterTopology,
  type SentinelTopology,
  startClusterTopology,
  startSentinelTopology,
} from '@sentinelkit/testing';
import type { Cache } from 'cache-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPriceCache, lookUpPrice } from '../src/cache.js';

/** A running deployment: its location, a master kill that resolves once a replica took over. */
interface Deployment {
  location: string;
  /** Kills a master; `promoted` resolves once a replica has taken its place. */
  killMaster(): Promise<{ promoted: Promise<unknown> }>;
  stop(): Promise<void>;
}

const DEPLOYMENTS: [string, () => Promise<Deployment>][] = [
  [
    'Sentinel',
    async () => {
      const topology: SentinelTopology = await startSentinelTopology();
      return {
        location: topology.location,
        killMaster: async () => {
          const promoted = topology.waitForSwitch();
          await topology.killMaster();
          return { promoted };
        },
        stop: () => topology.stop(),
      };
    },
  ],
  [
    'Redis Cluster',
    async () => {
      const cluster: ClusterTopology = await startClusterTopology({
        masters: 3,
        replicasPerMaster: 1,
      });
      return {
        location: cluster.location,
        // The shard of the first key the loop below touches (cache-manager keys under the
        // store's namespace), so the loop keeps running into the failed shard.
        killMaster: async () => {
          const shard = { slot: cluster.slotOf('prices:sku-0') };
          await cluster.killMaster(shard);
          return { promoted: cluster.waitForFailover(shard) };
        },
        stop: () => cluster.stop(),
      };
    },
  ],
];

describe.each(DEPLOYMENTS)('examples/cache-manager on %s', (kind, start) => {
  let deployment: Deployment;
  let cache: Cache;

  beforeAll(async () => {
    deployment = await start();
    cache = createPriceCache(deployment.location);
  });

  afterAll(async () => {
    await cache?.disconnect();
    await deployment?.stop();
  });

  it('takes the location it was given', () => {
    expect(deployment.location.startsWith('redis+cluster://')).toBe(kind === 'Redis Cluster');
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
    const { promoted } = await deployment.killMaster();
    let done = false;
    void promoted.then(() => {
      done = true;
    });
    let i = 0;
    // Twenty keys: on the cluster they fall in every shard, the failed one included.
    while (!done) await cache.wrap(`sku-${i++ % 20}`, () => lookUpPrice('x', calls));
    expect(await cache.wrap('after', () => lookUpPrice('after', calls))).toBe(500);
  });
});
