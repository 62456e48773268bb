// The session-store compliance suite on a real Redis Cluster (3 masters, 1 replica each; one
// cluster for the file): the same store, made from a cluster client. Session keys spread over
// every shard, so the batched reads of one tick, all(), length(), ids() and clear() cross slots
// and nodes. connect-redis is not run here: its MGET/DEL over keys of many slots fails with
// CROSSSLOT on a cluster (connect-redis#360).
import { type ClusterClient, createClusterClient } from '@sentinelkit/core';
import { SentinelStore } from '@sentinelkit/express-session';
import {
  type ClusterTopology,
  startClusterTopology,
  untilReplicaCount,
} from '@sentinelkit/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  type MasterView,
  type SessionStoreFactory,
  type SuiteStore,
  sessionStoreSuite,
} from './suite.js';

let cluster: ClusterTopology;
let client: ClusterClient;
let raw: Cluster;

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  // A fresh cluster calls its replicas "loading" until their replication offset moves: a write
  // to each shard starts it; then every shard has its replica in the read rotation.
  await Promise.all(
    ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'].map((k) =>
      client.write((m) => m.set(`warm:${k}`, '1'), { idempotent: true }),
    ),
  );
  await untilReplicaCount(client, 3);
  // Straight to each key's master, bypassing the store (ioredis' Cluster reads from masters).
  raw = new Cluster(cluster.startupNodes, { lazyConnect: true });
  await raw.connect();
}, 60_000);

afterAll(async () => {
  raw?.disconnect();
  await client?.close();
  await cluster?.stop();
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

sessionStoreSuite(
  '@sentinelkit/express-session on a cluster (reads from replicas)',
  () => sentinelkit,
  {
    validatesInput: true,
  },
);
sessionStoreSuite(
  "@sentinelkit/express-session on a cluster (readFrom: 'master')",
  () => ({ ...sentinelkit, create: (o) => sentinelkit.create({ readFrom: 'master', ...o }) }),
  { validatesInput: true },
);
