// The stores on a real Redis Cluster (3 masters, 1 replica each), made from its location: the
// same store code as on Sentinel, through the contract (createClient picks the cluster client).
// Keys of a namespace spread over every slot, so each multi-key operation crosses slots. Not yet
// cluster-ready, so not here (docs/cluster.md): setMany, hasMany and the legacy store's mset,
// which send one pipeline over keys of several nodes.
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyv } from '../src/index.js';

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
