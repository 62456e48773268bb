// An ESM app's first use of the packages: its own ioredis types in the callbacks, a write and a
// read-back, a cache-manager cache on the same client, then a clean exit (nothing left open).
import { createKeyv } from '@sentinelkit/cache-manager';
import { createSentinelClient } from '@sentinelkit/core';
import { createCache } from 'cache-manager';
import type { Redis } from 'ioredis';

const location = process.env.SENTINEL_LOCATION;
if (!location) throw new Error('Set SENTINEL_LOCATION (`npx sentinelkit-topology` prints one)');

// A helper typed with the app's ioredis, handed to write(): TS2345 if core has its own copy.
async function countVisit(master: Redis): Promise<number> {
  return master.incr('packaging:esm:visits');
}

const client = createSentinelClient(location);
await client.connect();
const wrote = `esm-${process.pid}`;
const visits = await client.write(countVisit);
// Both replicas acknowledge the write, so the read below (on a replica) sees it.
await client.write((master: Redis) => master.set('packaging:esm:value', wrote), {
  waitReplicas: 2,
});
const read = await client.read((replica: Redis) => replica.get('packaging:esm:value'));

const cache = createCache({ stores: [createKeyv(client, { namespace: 'packaging-esm' })] });
const cached = await cache.wrap('answer', async () => 42);
await cache.disconnect();
await client.close();

console.log(JSON.stringify({ app: 'esm', wrote, read, visits, cached }));
