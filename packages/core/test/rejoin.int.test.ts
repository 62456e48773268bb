import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers/topology.js';

// A read is checked only for keys acknowledged at least this long before it: far more than an
// in-sync replica's lag on loopback, far less than a rejoining node's catch-up after a full
// resync of SEED_MB.
const READ_AFTER_MS = 100;
// Enough data that the thawed master's full resync takes a while, so the writes made meanwhile
// reach it well after its link says 'connected'.
const SEED_MB = 64;

interface Miss {
  key: string;
  port: number;
  ackedMsBefore: number;
}

describe('a node that rejoins as a replica', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient(topology.location);
    await client.connect();
    await untilReplicaCount(client, 2);
  });

  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  it('serves reads only once it has caught up: a thawed old master never answers null for an acknowledged key', async () => {
    const megabyte = 'x'.repeat(1 << 20);
    for (let i = 0; i < SEED_MB; i++) {
      await client.write((r) => r.set(`rejoin:seed:${i}`, megabyte), { idempotent: true });
    }

    const acks: { key: string; at: number }[] = [];
    const misses: Miss[] = [];
    const writeErrors: unknown[] = [];
    const readErrors: unknown[] = [];
    let running = true;
    const value = 'v'.repeat(10_000);
    const writer = async (w: number) => {
      for (let i = 0; running; i++) {
        const key = `rejoin:${w}:${i}`;
        try {
          await client.write((r) => r.set(key, value), { idempotent: true });
          acks.push({ key, at: Date.now() });
        } catch (error) {
          writeErrors.push(error);
        }
      }
    };
    const reader = async () => {
      while (running) {
        // The newest key acknowledged at least READ_AFTER_MS ago.
        const cutoff = Date.now() - READ_AFTER_MS;
        let i = acks.length - 1;
        while (i >= 0 && acks[i]!.at > cutoff) i--;
        const ack = acks[i];
        if (!ack) {
          await client.read((r) => r.ping());
          continue;
        }
        try {
          const [got, port] = await client.read(async (r) => [
            await r.get(ack.key),
            r.options.port,
          ]);
          if (got !== value) {
            misses.push({ key: ack.key, port: port ?? 0, ackedMsBefore: Date.now() - ack.at });
          }
        } catch (error) {
          readErrors.push(error);
        }
      }
    };
    const load = [0, 1, 2, 3].map(writer).concat([0, 1, 2, 3].map(reader));

    const old = await topology.freezeMaster();
    await nextTopologyEvent(client, (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered');
    await topology.waitForSwitch();
    const rejoined = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_ADD' && e.replica.port === old.port,
      60_000,
    );
    await topology.thaw(old);
    await rejoined;
    // Keep reading until the rejoined node has served a good share of reads.
    const oldAddress = `${old.host}:${old.port}`;
    const readsOnOld = () => client.stats().replicaReads[oldAddress] ?? 0;
    const before = readsOnOld();
    while (
      readsOnOld() < before + 300 &&
      client.topology().replicas.some((n) => n.address.port === old.port)
    ) {
      await client.read((r) => r.ping());
    }
    running = false;
    await Promise.all(load);

    expect(writeErrors).toEqual([]);
    expect(readErrors).toEqual([]);
    expect(readsOnOld()).toBeGreaterThan(before);
    // Per node that answered: how many acknowledged keys it did not have, and the oldest.
    const byNode: Record<string, { misses: number; oldestMs: number }> = {};
    for (const { port, ackedMsBefore } of misses) {
      const seen = byNode[port] ?? { misses: 0, oldestMs: 0 };
      byNode[port] = { misses: seen.misses + 1, oldestMs: Math.max(seen.oldestMs, ackedMsBefore) };
    }
    expect(byNode).toEqual({});
  }, 120_000);
});
