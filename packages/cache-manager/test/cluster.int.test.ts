// The stores on a real Redis Cluster (3 masters, 1 replica each), made from its location: the
// same store code as on Sentinel, through the contract (createClient picks the cluster client).
// Keys of a namespace spread over every slot, so each multi-key operation crosses slots (and
// nodes: a pipeline over keys of several nodes is refused by ioredis' Cluster).
import {
  type ClusterTopology,
  startClusterTopology,
  untilReplicaCount,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyv, createLegacyStore, type SentinelKeyvStore } from '../src/index.js';

let cluster: ClusterTopology;

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
}, 60_000);

afterAll(() => cluster?.stop());

describe('on a Redis Cluster, from a redis+cluster:// location', () => {
  it('Keyv: get of many keys in order, delete of many, iterator and clear over every shard', async () => {
    const keyv = createKeyv(cluster.location, { namespace: 'c', throwOnErrors: true });
    const other = createKeyv(cluster.location, { namespace: 'other' });
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    for (const key of keys) await keyv.set(key, { key });
    await other.set('k1', 'kept');
    const slots = new Set(keys.map((k) => cluster.shardIndexOf(cluster.slotOf(`c:${k}`))));
    expect(slots.size).toBe(3); // the namespace spans every shard

    const asked = [...keys.slice(0, 30), 'missing', ...keys.slice(30)];
    const values = await keyv.get(asked);
    expect(values).toEqual(asked.map((k) => (k === 'missing' ? undefined : { key: k })));

    const listed: string[] = [];
    for await (const [key] of keyv.iterator!(undefined)) listed.push(String(key));
    expect(listed.sort()).toEqual([...keys].sort());

    expect(await keyv.delete(keys.slice(0, 10))).toBe(true);
    expect(await keyv.get(keys.slice(0, 10))).toEqual(keys.slice(0, 10).map(() => undefined));

    await keyv.clear();
    expect((await keyv.get(keys)).every((v) => v === undefined)).toBe(true);
    expect(await other.get('k1')).toBe('kept');
    await keyv.disconnect();
    await other.disconnect();
  });
});

describe('multi-key writes and lookups across shards', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `m${i}`);
  const shardsOf = (stored: string[]) =>
    new Set(stored.map((k) => cluster.shardIndexOf(cluster.slotOf(k)))).size;

  it('Keyv setMany and hasMany over keys of every shard, answers in the order asked, hasMany on replicas', async () => {
    const keyv = createKeyv(cluster.location, { namespace: 'sm', throwOnErrors: true });
    expect(shardsOf(keys.map((k) => `sm:${k}`))).toBe(3);
    await keyv.setMany(keys.map((key, i) => ({ key, value: i, ttl: 60_000 })));
    await cluster.waitForReplication();
    // The store's own client calls a replica readable once its poll (every second) has seen it
    // past loading: on this fresh cluster, maybe not yet.
    const client = (keyv.store as SentinelKeyvStore).client;
    await untilReplicaCount(client, 3);
    expect(await keyv.get(keys)).toEqual(keys.map((_, i) => i));
    const asked = [...keys.slice(0, 20), 'absent1', ...keys.slice(20), 'absent2'];
    const before = client.stats().replicaReads;
    expect(await keyv.hasMany(asked)).toEqual(asked.map((k) => !k.startsWith('absent')));
    const after = client.stats().replicaReads;
    const sum = (reads: Record<string, number>) => Object.values(reads).reduce((a, b) => a + b, 0);
    expect(sum(after)).toBeGreaterThan(sum(before)); // on replicas, not the masters
    await keyv.disconnect();
  });

  it('Keyv: concurrent sets of one tick as one script per master, values and TTLs as asked', async () => {
    const keyv = createKeyv(cluster.location, { namespace: 'ts', throwOnErrors: true });
    expect(shardsOf(keys.map((k) => `ts:${k}`))).toBe(3);
    await keyv.set('warm', 0); // connected; the next tick's first set goes at once
    const masters = (await cluster.shards()).map((s) => s.master);
    const evals = async () =>
      (await Promise.all(masters.map((m) => cluster.commandCalls(m, 'eval')))).reduce(
        (a, b) => a + b,
      );
    const before = await evals();
    await Promise.all(keys.map((key, i) => keyv.set(key, i, i % 2 ? 60_000 : undefined)));
    // The first went at once; the other 39, over 3 masters, as one script on each.
    expect((await evals()) - before).toBe(3);
    expect(await keyv.get(keys)).toEqual(keys.map((_, i) => i));
    for (const [i, key] of keys.slice(0, 4).entries()) {
      const pttl = Number(
        await cluster.command(await cluster.masterForKey(`ts:${key}`), 'PTTL', `ts:${key}`),
      );
      if (i % 2) expect(pttl).toBeGreaterThan(59_000);
      else expect(pttl).toBe(-1);
    }
    await keyv.disconnect();
  });

  it("legacy store's mset across shards, read back with mget in order", async () => {
    const store = createLegacyStore(cluster.location, {
      namespace: 'lm',
      throwOnErrors: true,
      ttl: 60_000,
    });
    expect(shardsOf(keys.map((k) => `lm:${k}`))).toBe(3);
    await store.mset(keys.map((key, i) => [key, { i }]));
    await cluster.waitForReplication();
    expect(await store.mget(...keys, 'absent')).toEqual([
      ...keys.map((_, i) => ({ i })),
      undefined,
    ]);
    await store.mdel(...keys);
    await cluster.waitForReplication();
    expect(await store.mget(...keys)).toEqual(keys.map(() => undefined));
    await store.disconnect();
  });
});
