// The session store on a real Redis Cluster (3 masters, 1 replica each; one cluster for the
// file): batched reads of sessions of every shard, each shard's own heartbeat, and the
// read-your-writes rule across processes when one shard's replica is cut off from its master.
import { type ClusterClient, createClusterClient } from '@sentinelkit/core';
import {
  type ClusterTopology,
  startClusterTopology,
  type TopologyNode,
  untilReplicaCount,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelStore } from '../src/index.js';
import { sessionData, until } from './helpers.js';

let cluster: ClusterTopology;
let client: ClusterClient;

const sid = () => `s${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;

/**
 * `count` session ids whose keys (with `prefix`) fall on every shard, a third on each: random
 * ids alone miss a shard now and then (12 of them, about 2 % of the time).
 */
function idsOnEveryShard(prefix: string, count: number): string[] {
  const perShard = new Map<number, string[]>([
    [0, []],
    [1, []],
    [2, []],
  ]);
  const wanted = Math.ceil(count / 3);
  while ([...perShard.values()].some((ids) => ids.length < wanted)) {
    const id = sid();
    const ids = perShard.get(cluster.shardIndexOf(cluster.slotOf(`${prefix}${id}`)));
    if (ids !== undefined && ids.length < wanted) ids.push(id);
  }
  return [...perShard.values()].flat().slice(0, count);
}
let prefixes = 0;
const prefix = () => `cs${++prefixes}:`;

/** Waits (on `c`'s own view) until every shard has its replica in the read rotation. */
async function untilReplicasInRotation(c: ClusterClient): Promise<void> {
  await untilReplicaCount(c, 3);
}

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  // A fresh cluster calls its replicas "loading" until their replication offset moves.
  await Promise.all(
    ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'].map((k) =>
      client.write((m) => m.set(`warm:${k}`, '1'), { idempotent: true }),
    ),
  );
  await untilReplicasInRotation(client);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

describe('the session store on a Redis Cluster', () => {
  it("reads sessions of every shard in one tick from the replicas, each with its shard's heartbeat", async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    const ids = idsOnEveryShard(store.prefix, 30);
    const shardOf = (id: string) => cluster.shardIndexOf(cluster.slotOf(`${store.prefix}${id}`));
    expect(new Set(ids.map(shardOf)).size).toBe(3);
    await Promise.all(ids.map((id, i) => store.set(id, sessionData({ i }))));
    await cluster.waitForReplication();

    // A heartbeat key per shard, hash-tagged into a slot of that shard, on every master.
    const heartbeats = await Promise.all(
      (await cluster.shards()).map((s) =>
        cluster.command(s.master, 'KEYS', 'sentinelkit:heartbeat*'),
      ),
    );
    for (const [index, keys] of heartbeats.entries()) {
      expect(keys).toHaveLength(1);
      expect(cluster.shardIndexOf(cluster.slotOf((keys as string[])[0]!))).toBe(index);
    }

    const sessions = await Promise.all(ids.map((id) => store.get(id)));
    expect(sessions.map((s) => (s as unknown as { i: number }).i)).toEqual(ids.map((_, i) => i));
    // Every one from a replica: none re-read for want of its shard's heartbeat.
    expect(store.stats()).toMatchObject({ replicaReads: 30, rereads: { miss: 0, stale: 0 } });
    // The same with touchAfter (the session's PTTL read with it, in one pipeline per session).
    const withTtl = new SentinelStore({ client, prefix: store.prefix, touchAfter: 60 });
    const again = await Promise.all(ids.map((id) => withTtl.get(id)));
    expect(again.map((s) => (s as unknown as { i: number }).i)).toEqual(ids.map((_, i) => i));
    expect(withTtl.stats()).toMatchObject({ replicaReads: 30, rereads: { miss: 0, stale: 0 } });
  });

  it('all, length, ids, touch and clear cover every shard', async () => {
    const store = new SentinelStore({ client, prefix: prefix(), scanCount: 7 });
    const other = new SentinelStore({ client, prefix: prefix() });
    const ids = Array.from({ length: 25 }, sid);
    await Promise.all(ids.map((id, i) => store.set(id, sessionData({ i }))));
    await other.set('kept', sessionData({ kept: true }));
    expect(await store.length()).toBe(25);
    expect((await store.ids()).sort()).toEqual([...ids].sort());
    const all = await store.all();
    expect(all.map((s) => s.id).sort()).toEqual([...ids].sort());
    // The touches of one tick span slots: one script would be CROSSSLOT; plain EXPIREs instead.
    await Promise.all(ids.map((id) => store.touch(id, sessionData({}, 3_600_000))));
    for (const id of ids.slice(0, 5)) {
      const pttl = Number(
        await cluster.command(
          await cluster.masterForKey(`${store.prefix}${id}`),
          'PTTL',
          `${store.prefix}${id}`,
        ),
      );
      expect(pttl).toBeGreaterThan(3_000_000);
    }
    await store.clear();
    expect(await store.length()).toBe(0);
    expect(await other.get('kept')).toMatchObject({ kept: true });
  });

  it("keeps read-your-writes across processes when one shard's replica is cut off from its master", async () => {
    const writer = new SentinelStore({ client, prefix: prefix() });
    // Another process: a client that reads the cluster's view once a minute, so the cut-off
    // replica stays in its rotation; its reads must meet the rule.
    const otherClient = createClusterClient(cluster.location, { healthPollInterval: 60_000 });
    await otherClient.connect();
    await untilReplicasInRotation(otherClient);
    const reader = new SentinelStore({ client: otherClient, prefix: writer.prefix });
    const ids = idsOnEveryShard(writer.prefix, 12);
    const shardOf = (id: string) => cluster.shardIndexOf(cluster.slotOf(`${writer.prefix}${id}`));
    expect(new Set(ids.map(shardOf)).size).toBe(3);
    await Promise.all(ids.map((id) => writer.set(id, sessionData({ v: 1 }))));
    const cutShard = shardOf(ids[0]!);
    const lagging = (await cluster.shard({ shard: cutShard })).replicas[0]!;
    const mend = await cutReplicationLink(lagging);
    try {
      const started = Date.now();
      await Promise.all(ids.map((id) => writer.set(id, sessionData({ v: 2 }))));
      const took = Date.now() - started;
      // The cut-off replica did not acknowledge: the writes waited until its shard's heartbeat
      // had expired (1000 ms + 250 ms skew), or the replica left the writer's rotation first.
      expect(writer.stats().shortfallWaits).toBeGreaterThan(0);
      expect(took).toBeLessThan(1000 + 250 + 1000);
      // It really lags: its replication offset is behind its master's (a cluster replica
      // answers a GET with MOVED to a connection that did not say READONLY).
      const offset = async (node: TopologyNode, field: string) =>
        Number(
          new RegExp(`^${field}:(\\d+)`, 'm').exec(
            String(await cluster.command(node, 'INFO', 'replication')),
          )?.[1],
        );
      const shardMaster = (await cluster.shard({ shard: cutShard })).master;
      expect(await offset(lagging, 'slave_repl_offset')).toBeLessThan(
        await offset(shardMaster, 'master_repl_offset'),
      );
      // Every read answers v2: on the cut-off replica none is served (its heartbeat expired),
      // on the others' replicas they are.
      let rounds = 0;
      await until('reads on the cut-off replica to be re-read from the master', async () => {
        const seen = await Promise.all(ids.map((id) => reader.get(id)));
        for (const s of seen) expect(s).toMatchObject({ v: 2 });
        return ++rounds >= 3 && reader.stats().rereads.stale > 0;
      });
      expect(reader.stats().replicaReads).toBeGreaterThan(0);
      expect(
        otherClient
          .topology()
          .shards.some((s) => s.replicas.some((r) => r.address.port === lagging.port)),
      ).toBe(true);
    } finally {
      await mend();
      await otherClient.close();
    }
  });
});

/** Cuts `node`'s replication link (a wrong masterauth, its link killed); returns the mend. */
async function cutReplicationLink(node: TopologyNode): Promise<() => Promise<void>> {
  await cluster.command(node, 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await cluster.command(node, 'CLIENT', 'KILL', 'TYPE', 'master');
  await until('the replica to report its link down', async () => {
    const role = (await cluster.command(node, 'ROLE')) as unknown[];
    return role[3] !== 'connected';
  });
  return async () => {
    await cluster.command(node, 'CONFIG', 'SET', 'masterauth', '');
    await until('the replica to report its link up', async () => {
      const role = (await cluster.command(node, 'ROLE')) as unknown[];
      return role[3] === 'connected';
    });
  };
}
