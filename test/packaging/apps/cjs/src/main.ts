// A CommonJS app's first use of the packages (compiled to require()): its own ioredis types in the
// callbacks, a write and a read-back, an express-session store on the same client, a clean exit.
import { promisify } from 'node:util';
import { createSentinelClient } from '@sentinelkit/core';
import { SentinelStore } from '@sentinelkit/express-session';
import type { SessionData } from 'express-session';
import type { Redis } from 'ioredis';

async function main(): Promise<void> {
  const location = process.env.SENTINEL_LOCATION;
  if (!location) throw new Error('Set SENTINEL_LOCATION (`npx sentinelkit-topology` prints one)');

  const client = createSentinelClient(location);
  await client.connect();
  const wrote = `cjs-${process.pid}`;
  const countVisit = (master: Redis): Promise<number> => master.incr('packaging:cjs:visits');
  const visits = await client.write(countVisit);
  // Both replicas acknowledge the write, so the read below (on a replica) sees it.
  await client.write((master: Redis) => master.set('packaging:cjs:value', wrote), {
    waitReplicas: 2,
  });
  const read = await client.read((replica: Redis) => replica.get('packaging:cjs:value'));

  const store = new SentinelStore({ client, prefix: 'packaging:cjs:sess:' });
  const session = { cookie: { originalMaxAge: 60_000 } } as SessionData;
  await promisify(store.set.bind(store))('sid-1', session);
  await promisify(store.destroy.bind(store))('sid-1');
  await client.close();

  console.log(JSON.stringify({ app: 'cjs', wrote, read, visits, session: 'stored and destroyed' }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
