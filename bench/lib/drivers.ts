/** The two Redis clients by themselves, for the adapter benchmarks' reference rows. */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Case } from './compare.js';

export interface RawDrivers {
  /** ioredis with the options the core uses for data nodes (no offline queue, no retries). */
  ioredis: Redis;
  /** node-redis with its defaults, as connect-redis and @keyv/redis get it. */
  nodeRedis: ReturnType<typeof createClient>;
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Both clients on `node` (not connected yet). */
export function rawDrivers(node: { host: string; port: number }): RawDrivers {
  const ioredis = new Redis({
    host: node.host,
    port: node.port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  const nodeRedis = createClient({ url: `redis://${node.host}:${node.port}` });
  nodeRedis.on('error', (error: unknown) => console.error(`node-redis: ${String(error)}`));
  return {
    ioredis,
    nodeRedis,
    connect: async () => {
      await Promise.all([ioredis.connect(), nodeRedis.connect()]);
    },
    close: async () => {
      await nodeRedis.quit().catch(() => undefined);
      ioredis.disconnect();
    },
  };
}

/** The reference row: the same `GET` of `key` from raw ioredis and raw node-redis. */
export function referenceGet(drivers: RawDrivers, inFlight: number, key: string): Case {
  return {
    operation: 'reference: raw ioredis `GET` against raw node-redis `GET`',
    inFlight,
    base: () => drivers.nodeRedis.get(key),
    kit: () => drivers.ioredis.get(key),
    reference: true,
  };
}
