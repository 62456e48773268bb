// The location is the only thing that says which kind of deployment this runs on: a Sentinel one
// or a Redis Cluster, the same code for both. From the argument, or SENTINEL_LOCATION:
//   SENTINEL_LOCATION=mymaster/127.0.0.1:26379,… pnpm start   (`pnpm topology` prints one)
//   pnpm start redis+cluster://127.0.0.1:7000,127.0.0.1:7001  (`pnpm topology --cluster`)
import { createPriceCache, lookUpPrice } from './cache.js';

const location = process.argv[2] ?? process.env.SENTINEL_LOCATION;
if (!location) {
  console.error(
    'Give a location as the argument or in SENTINEL_LOCATION: a Sentinel one or a redis+cluster:// one (the location `pnpm topology` or `pnpm topology --cluster` prints).',
  );
  process.exit(64);
}
const cache = createPriceCache(location);
const calls = { count: 0 };
for (let i = 0; i < 3; i++) {
  const price = await cache.wrap('sku-123', () => lookUpPrice('sku-123', calls));
  console.log(`price ${price} (lookups so far: ${calls.count})`);
}
await cache.disconnect();
