// SENTINEL_LOCATION=mymaster/127.0.0.1:26379,… pnpm start
import { createPriceCache, lookUpPrice } from './cache.js';

const location = process.env.SENTINEL_LOCATION;
if (!location) {
  console.error('Set SENTINEL_LOCATION (e.g. the location `pnpm topology` prints).');
  process.exit(64);
}
const cache = createPriceCache(location);
const calls = { count: 0 };
for (let i = 0; i < 3; i++) {
  const price = await cache.wrap('sku-123', () => lookUpPrice('sku-123', calls));
  console.log(`price ${price} (lookups so far: ${calls.count})`);
}
await cache.disconnect();
