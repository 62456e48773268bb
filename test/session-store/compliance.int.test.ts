import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { SentinelStore } from '@sentinelkit/express-session';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import {
  type MasterView,
  type SessionStoreFactory,
  type SuiteStore,
  sessionStoreSuite,
} from './suite.js';

// One topology; both stores write to its master: ours through Sentinel, connect-redis through a
// node-redis client connected to that same master.
let topology: SentinelTopology;
let client: SentinelClient;
let nodeRedis: ReturnType<typeof createClient>;
let raw: Redis;

beforeAll(async () => {
  topology = await startSentinelTopology();
  const master = await topology.currentMaster();
  client = createSentinelClient(topology.location);
  await client.connect();
  nodeRedis = createClient({ url: `redis://${master.host}:${master.port}` });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  raw = new Redis({ host: master.host, port: master.port, lazyConnect: true });
  await raw.connect();
});

afterAll(async () => {
  raw?.disconnect();
  await nodeRedis?.quit().catch(() => undefined);
  await client?.close();
  await topology?.stop();
});

const master: MasterView = {
  get: (key) => raw.get(key),
  set: (key, value) => raw.set(key, value),
  pttl: (key) => raw.pttl(key),
  exists: (key) => raw.exists(key),
};

const sentinelkit: SessionStoreFactory = {
  create: (options) => new SentinelStore({ client, ...options }) as unknown as SuiteStore,
  master,
};

const connectRedis: SessionStoreFactory = {
  create: (options) => new RedisStore({ client: nodeRedis, ...options }) as unknown as SuiteStore,
  master,
};

sessionStoreSuite('@sentinelkit/express-session (reads from replicas)', () => sentinelkit, {
  validatesInput: true,
});
sessionStoreSuite(
  "@sentinelkit/express-session (readFrom: 'master')",
  () => ({ ...sentinelkit, create: (o) => sentinelkit.create({ readFrom: 'master', ...o }) }),
  { validatesInput: true },
);
sessionStoreSuite('connect-redis 9 + node-redis (reference)', () => connectRedis);
