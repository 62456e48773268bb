// The official Keyv compliance suite (@keyv/test-suite 2.x, the line for Keyv 5), run against a
// real Sentinel deployment (1 master, 2 replicas, 3 sentinels), then against a real Redis Cluster
// (3 masters, 1 replica each), one after the other.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  createClusterClient,
  createSentinelClient,
  type RoutedClient,
  type SentinelClient,
} from '@sentinelkit/core';
import {
  type ClusterTopology,
  type ConnectedTopology,
  startClusterTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import Keyv from 'keyv';
import * as vitest from 'vitest';
import { SentinelKeyvStore } from '../src/index.js';

const { afterAll, beforeAll, describe, expect, it, vi } = vitest;

// The suite's BigInt test serializes with json-bigint, a CommonJS module that requires
// bignumber.js. When vitest.config.ts hands the `import` condition to Node (as `--conditions`), that
// require() resolves bignumber.js to its ESM build and gets a namespace object instead of the
// constructor ("Right-hand side of 'instanceof' is not callable"). Then point that one require at
// bignumber.js's CommonJS build; nothing of the store is involved, and with a config that leaves
// `import` out of the SSR conditions this does nothing.
{
  const require = createRequire(import.meta.url);
  const fromJsonBigint = createRequire(
    createRequire(require.resolve('@keyv/test-suite')).resolve('json-bigint'),
  );
  const resolved = fromJsonBigint.resolve('bignumber.js');
  if (resolved.endsWith('.mjs')) {
    const commonJs = join(dirname(resolved), 'bignumber.js');
    fromJsonBigint(commonJs);
    require.cache[resolved] = require.cache[commonJs];
  }
}
// Imported only now: it loads json-bigint as it loads.
const { default: keyvTestSuite, keyvIteratorTests } = await import('@keyv/test-suite');

describe('@keyv/test-suite on a Sentinel deployment', () => {
  let client: SentinelClient;
  const errors: Error[] = [];

  let connected: ConnectedTopology<SentinelClient> | undefined;

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
    ({ client } = connected);
  });

  afterAll(() => connected?.stop());

  // The suite builds a new Keyv (which sets the store's namespace) for each call of `store()`, so
  // each call gets a store of its own, all sharing one core client. Reads go to replicas; the suite
  // reads right after it writes, so every write waits until both replicas have it (WAIT 2):
  // without that a read may reach a replica a fraction of a millisecond before the write does.
  const store = () => {
    const s = new SentinelKeyvStore(client, { waitReplicas: 2 });
    s.on('error', (error) => errors.push(error));
    return s;
  };

  keyvTestSuite(vitest, Keyv, store);
  keyvIteratorTests(vitest, Keyv, store);

  it('served the suite from replicas and reported no store error', () => {
    const reads = Object.values(client.stats().replicaReads);
    expect(reads).toHaveLength(2);
    for (const count of reads) expect(count).toBeGreaterThan(10);
    expect(errors).toEqual([]);
  });
});

describe('@keyv/test-suite on a Redis Cluster', () => {
  let cluster: ClusterTopology | undefined;
  let client: RoutedClient;
  const errors: Error[] = [];

  beforeAll(async () => {
    cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
    client = createClusterClient(cluster.location, { healthPollInterval: 200 });
    await client.connect();
    // A fresh cluster calls its replicas "loading" until their replication offset moves: a
    // write to each shard starts it; then every shard has its replica in the read rotation.
    await Promise.all(
      ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'].map((k) =>
        client.write((m) => m.set(`warm:${k}`, '1'), { idempotent: true }),
      ),
    );
    await vi.waitFor(
      () => {
        const shards = client.topology().shards;
        expect(shards).toHaveLength(3);
        for (const shard of shards) expect(shard.replicas).toHaveLength(1);
      },
      { timeout: 15_000, interval: 50 },
    );
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  // As above: each write waits until its shard's replica has it (WAIT 1 on every master), so
  // that the suite's reads right after its writes, on replicas, see them. The suite's keys and
  // namespaces spread over every shard: getMany, setMany, hasMany, deleteMany, clear() and the
  // iterator cross slots and nodes.
  const store = () => {
    const s = new SentinelKeyvStore(client, { waitReplicas: 1 });
    s.on('error', (error) => errors.push(error));
    return s;
  };

  keyvTestSuite(vitest, Keyv, store);
  keyvIteratorTests(vitest, Keyv, store);

  it('served the suite from the replicas of every shard and reported no store error', () => {
    const reads = Object.values(client.stats().replicaReads);
    expect(reads).toHaveLength(3);
    for (const count of reads) expect(count).toBeGreaterThan(3);
    expect(errors).toEqual([]);
  });
});
