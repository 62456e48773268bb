// The cluster client through faults on a real cluster (3 masters, 1 replica each;
// cluster-require-full-coverage no, so the other shards keep serving while one has no master).
// Each test breaks the cluster, so each starts its own.
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClusterClient, createClusterClient } from '../src/cluster/client.js';
import type { TopologyEvent } from '../src/index.js';

let cluster: ClusterTopology | undefined;
let client: ClusterClient | undefined;

afterEach(async () => {
  await client?.close();
  await cluster?.stop();
  client = undefined;
  cluster = undefined;
});

async function start(): Promise<{ cluster: ClusterTopology; client: ClusterClient }> {
  cluster = await startClusterTopology({
    masters: 3,
    replicasPerMaster: 1,
    requireFullCoverage: false,
  });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  return { cluster, client };
}

describe('ClusterClient through a failover', () => {
  it('a killed master: 0 failed idempotent writes, the other shards not held', {
    timeout: 60_000,
  }, async () => {
    const { cluster, client } = await start();
    const killedSlot = cluster.slotOf('{victim}');
    const changes: TopologyEvent[] = [];
    client.on('topology-change', (event) => changes.push(event));

    // Writers over every shard: each key records its last acknowledged value.
    // Keys of the other shards only; the failed shard's are the same keys under `{victim}`.
    const killedShard = cluster.shardIndexOf(killedSlot);
    const keys = Array.from({ length: 90 }, (_, i) => `load:${i}`).filter(
      (key) => cluster.shardIndexOf(cluster.slotOf(key)) !== killedShard,
    );
    const acknowledged = new Map<string, number>();
    const failures: string[] = [];
    const heldOther: number[] = []; // latencies of writes to other shards during the failover
    let killedAt: number | undefined;
    let promotedAt: number | undefined;
    let stop = false;
    // Writers of the failed shard and writers of the others, apart: a writer waiting on the
    // failed shard would otherwise hold its next write to another shard.
    const writer = async (offset: number, victim: boolean) => {
      for (let n = 0; !stop && client.status !== 'closed'; n++) {
        const key = keys[(offset + n) % keys.length] as string;
        const target = victim ? `{victim}:${key}` : key;
        const started = Date.now();
        try {
          await client.write((m) => m.set(target, String(n)), { idempotent: true });
          acknowledged.set(target, n);
          const inWindow = killedAt !== undefined && promotedAt === undefined;
          if (!victim && inWindow) {
            heldOther.push(Date.now() - started);
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const writers = [
      writer(0, true),
      writer(31, true),
      writer(7, false),
      writer(13, false),
      writer(29, false),
    ];
    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThan(40), { timeout: 10_000 });

    const old = await cluster.killMaster({ slot: killedSlot });
    killedAt = Date.now();
    const { master } = await cluster.waitForFailover({ slot: killedSlot });
    promotedAt = Date.now();
    // The client saw the new master (its poll, or ioredis' MOVED), and writes to the shard go on.
    await vi.waitFor(
      () => {
        const moved = changes.some(
          (e) => e.type === 'MASTER_CHANGE' && e.current.port === master.port,
        );
        expect(moved).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    await client.write((m) => m.set('{victim}:after', '1'), { idempotent: true });
    stop = true;
    await Promise.all(writers);

    expect(failures).toEqual([]);
    expect(old.address).not.toBe(master.address);
    // The other shards kept going while the failed one had no master, none held for long.
    expect(heldOther.length).toBeGreaterThan(10);
    expect(Math.max(...heldOther)).toBeLessThan(1000);
    // Every acknowledged write is there, read from the masters.
    for (const [key, value] of acknowledged) {
      const stored = await client.read((node) => node.get(key), { readFrom: 'master' });
      expect(Number(stored)).toBeGreaterThanOrEqual(value);
    }
    expect(client.stats().writeRetries).toBeGreaterThan(0);
  });
});
