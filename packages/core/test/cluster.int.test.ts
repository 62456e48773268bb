// The cluster client on a real Redis Cluster (3 masters, 2 replicas each; one shared cluster for
// the file, no test breaks it): where writes, reads and SCANs go, what the contract's helpers
// do across slots, and what close() leaves.

import type { Socket } from 'node:net';
import {
  type ClusterTopology,
  startClusterTopology,
  type TopologyNode,
  untilReplicaCount,
} from '@sentinelkit/testing';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ClusterClient, createClusterClient } from '../src/cluster/client.js';
import { mgetInOrder, setEach } from '../src/cluster/keys.js';
import type { ServedBy } from '../src/index.js';
import { isSentinelKitError } from '../src/index.js';
import { scanMaster } from '../src/scan.js';
import { recordTimers } from './helpers/live-timers.js';

let cluster: ClusterTopology;
let client: ClusterClient;

/** Calls of `command` each node has answered since its start (INFO commandstats). */
async function calls(node: TopologyNode, command: string): Promise<number> {
  const info = String(await cluster.command(node, 'INFO', 'commandstats'));
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

/** Waits (on the client's events) until every shard has `n` replicas in rotation. */
function untilReplicas(n: number): Promise<void> {
  return untilReplicaCount(client, 3 * n);
}

/**
 * Sets two slots of the first shard MIGRATING to the second (IMPORTING there), with a key of
 * each: `absent` not on the source (so redirected with ASK), `present` on it with `value`.
 * `end()` sets both slots STABLE again.
 */
async function migrateTwoSlots(tagBase: string, value: string) {
  const [source, target] = await cluster.shards();
  if (source === undefined || target === undefined) throw new Error('the cluster has 3 shards');
  const tags: string[] = [];
  for (let n = 0; tags.length < 2; n++) {
    const tag = `${tagBase}${n}`;
    if (cluster.shardIndexOf(cluster.slotOf(tag)) === source.index) tags.push(tag);
  }
  const [absent, present] = [`{${tags[0]}}absent`, `{${tags[1]}}present`];
  await client.write((m) => m.del(absent).then(() => m.set(present, value)), {
    idempotent: true,
  });
  const slots = [cluster.slotOf(absent), cluster.slotOf(present)];
  const [sourceId, targetId] = [cluster.nodeId(source.master), cluster.nodeId(target.master)];
  const setSlots = (node: TopologyNode, ...state: string[]) =>
    Promise.all(slots.map((slot) => cluster.command(node, 'CLUSTER', 'SETSLOT', slot, ...state)));
  await setSlots(target.master, 'IMPORTING', sourceId);
  await setSlots(source.master, 'MIGRATING', targetId);
  const end = async () => {
    await setSlots(source.master, 'STABLE');
    await setSlots(target.master, 'STABLE');
  };
  return { absent, present, source, target, end };
}

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 2 });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  // A fresh cluster calls its replicas "loading" until their replication offset moves: a write
  // to each shard starts it.
  await Promise.all(
    ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'].map((k) =>
      client.write((m) => m.set(`warm:${k}`, '1'), { idempotent: true }),
    ),
  );
  await untilReplicas(2);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

describe('ClusterClient on a real cluster', () => {
  it('writes on the masters, reads each key from a random replica of its slot', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `user:${i}`);
    const shards = await cluster.shards();
    const masters = shards.map((s) => s.master);
    const replicas = shards.flatMap((s) => s.replicas);
    const getsBefore = await Promise.all(replicas.map((n) => calls(n, 'get')));
    const masterGetsBefore = await Promise.all(masters.map((n) => calls(n, 'get')));

    for (const key of keys) {
      await client.write((m) => m.set(key, `v:${key}`), { idempotent: true });
    }
    const served = new Map<string, ServedBy>();
    for (const key of keys) {
      const value = await client.read(async (node, servedBy) => {
        const v = await node.get(key);
        served.set(key, { ...servedBy, address: { ...servedBy.address } });
        return v;
      });
      expect(value).toBe(`v:${key}`);
    }
    // Each read went to a replica of its key's shard, and each replica got some.
    const perReplica = new Map<string, number>();
    for (const key of keys) {
      const shard = await cluster.shardForSlot(cluster.slotOf(key));
      const by = served.get(key)!;
      expect(by.role).toBe('replica');
      const address = `${by.address.host}:${by.address.port}`;
      expect(shard.replicas.map((n) => n.address)).toContain(address);
      perReplica.set(address, (perReplica.get(address) ?? 0) + 1);
    }
    expect([...perReplica.keys()].sort()).toEqual(replicas.map((n) => n.address).sort());
    // What the nodes counted agrees: no GET on a master, 300 on the replicas.
    const getsAfter = await Promise.all(replicas.map((n) => calls(n, 'get')));
    const masterGetsAfter = await Promise.all(masters.map((n) => calls(n, 'get')));
    expect(masterGetsAfter).toEqual(masterGetsBefore);
    expect(getsAfter.reduce((a, b) => a + b, 0) - getsBefore.reduce((a, b) => a + b, 0)).toBe(300);
  });

  it("reads a key written in the same write() from its slot's master", async () => {
    const value = await client.write(async (m) => {
      await m.set('ryw', 'now');
      return m.get('ryw');
    });
    expect(value).toBe('now');
    const byMaster = await client.read(
      async (node, servedBy) => [await node.get('ryw'), servedBy.role],
      {
        readFrom: 'master',
      },
    );
    expect(byMaster).toEqual(['now', 'master']);
  });

  it('scans every master, never a replica, each key once', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `sweep:${i}`);
    await client.write((m) => Promise.all(keys.map((k) => m.set(k, '1'))), { idempotent: true });
    const replicas = (await cluster.shards()).flatMap((s) => s.replicas);
    const before = await Promise.all(replicas.map((n) => calls(n, 'scan')));
    const found = await scanMaster(client, 'sweep:*', 10);
    expect(found.sort()).toEqual([...keys].sort());
    expect(await Promise.all(replicas.map((n) => calls(n, 'scan')))).toEqual(before);
    expect(await client.eachMaster(async (m) => m.options.port)).toHaveLength(3);
  });

  it('gets many keys of many slots in order, one command per node (no CROSSSLOT)', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `many:${i}`);
    await client.write((m) => Promise.all(keys.map((k) => m.set(k, k))), { idempotent: true });
    const asked = [...keys.slice(0, 20), 'many:missing', ...keys.slice(20)];
    const replicas = (await cluster.shards()).flatMap((s) => s.replicas);
    const count = async (command: string, nodes: readonly TopologyNode[] = cluster.nodes) =>
      (await Promise.all(nodes.map((n) => calls(n, command)))).reduce((a, b) => a + b);
    const [scriptsBefore, mgetsBefore] = [await count('eval_ro', replicas), await count('mget')];
    const values = await client.read((node) => mgetInOrder(node, asked));
    expect(values).toEqual(asked.map((k) => (k === 'many:missing' ? null : k)));
    // 41 keys of 41 slots on 3 shards: one script per shard, on its replica, no MGET.
    expect((await count('eval_ro', replicas)) - scriptsBefore).toBe(3);
    expect((await count('mget')) - mgetsBefore).toBe(0);
    // A node's keys of a single slot: one MGET.
    const tagged = ['{one}:a', '{one}:b', '{one}:missing'];
    await client.write((m) => m.set('{one}:a', 'A').then(() => m.set('{one}:b', 'B')));
    await cluster.waitForReplication();
    expect(await client.read((node) => mgetInOrder(node, tagged))).toEqual(['A', 'B', null]);
    const plain = await client.read((node) => node.mget(...keys).catch((e: Error) => e.message));
    expect(String(plain)).toMatch(/CROSSSLOT/); // what mgetInOrder spares the stores
  });

  it("never answers a node's keys from the node a slot migrates to, where they are not yet", async () => {
    // Two slots of one shard migrating to another (CLUSTER SETSLOT … MIGRATING/IMPORTING): a key
    // absent from the source is redirected with ASK, a key still there is served by the source.
    // The script reads every slot's keys on the node its first key leads to: followed to the
    // target with ASKING, it read the present key, still on the source only, as missing.
    const { absent, present, end } = await migrateTwoSlots('t', 'P');
    try {
      const values = await client.read((node) => mgetInOrder(node, [absent, present]), {
        readFrom: 'master',
      });
      expect(values).toEqual([null, 'P']);
    } finally {
      await end();
    }
  });

  it('never writes a key on the node its slot migrates to while the key is still on the source', async () => {
    // As above, with setEach's script: followed to the target under ASKING, its SET of a key
    // still on the source made a second copy there (the source's, older, kept and served).
    const { absent, present, source, target, end } = await migrateTwoSlots('w', 'old');
    try {
      const entries = [absent, present].map((key) => ({ key, value: 'new', px: undefined }));
      await client.write((m) => setEach(m, entries));
      expect(await cluster.command(source.master, 'GET', present)).toBe('new');
    } finally {
      await end();
      // A copy the target may have made (before the fix) of a slot it does not serve.
      await cluster.command(target.master, 'FLUSHALL');
    }
  });

  it('routes call() by kind and refuses a write inside read()', async () => {
    await client.call('SET', 'called', 'x');
    await cluster.waitForReplication();
    const replicas = (await cluster.shard({ slot: cluster.slotOf('called') })).replicas;
    const gets = async () => (await Promise.all(replicas.map((n) => calls(n, 'get')))).join();
    const before = await gets();
    expect(await client.call('GET', 'called')).toBe('x');
    // On a replica, though ioredis' command table knows only `get` in lower case.
    expect(await gets()).not.toBe(before);
    const error = await client.read((node) => node.set('nope', '1')).catch((e: unknown) => e);
    expect(isSentinelKitError(error, 'WRITE_IN_READ')).toBe(true);
  });

  it('reports one shard view per shard and counts reads per replica', () => {
    const { status, shards } = client.topology();
    expect(status).toBe('ready');
    expect(shards.every((s) => s.master !== undefined && s.replicas.length === 2)).toBe(true);
    const stats = client.stats();
    expect(Object.values(stats.replicaReads).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
      300,
    );
  });

  // The adaptive rule itself (a lone command after a quiet tick goes at once) is tick.test.ts'.
  it("sends a tick's commands to one node in one socket write", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `{tick}:${i}`);
    await client.write((m) => m.get(keys[0]!)); // the master's connection is open
    const port = (await cluster.masterForKey('{tick}')).port;
    const master = await client.write(async (m) =>
      (m as unknown as Cluster).nodes('master').find((n) => n.options.port === port),
    );
    const socket = master?.stream as Socket | undefined;
    if (socket === undefined) throw new Error(`no connection to the master on port ${port}`);
    // What reaches the socket's writes: one chunk (`_write`) or several at once (`_writev`).
    const single = vi.spyOn(socket, '_write');
    const many = vi.spyOn(socket, '_writev');
    try {
      await Promise.all(keys.map((k) => client.write((m) => m.set(k, '1'), { idempotent: true })));
      // The first went at once (the tick before was quiet), the other 19 together.
      expect(single).toHaveBeenCalledTimes(1);
      expect(many).toHaveBeenCalledTimes(1);
      expect(many.mock.calls[0]?.[0]).toHaveLength(19);
    } finally {
      single.mockRestore();
      many.mockRestore();
    }
  });

  it('fails a command a node leaves unanswered after commandTimeout', async () => {
    const quick = createClusterClient(cluster.location, {
      commandTimeout: 300,
      stallTimeout: 60_000,
    });
    await quick.connect();
    const master = await cluster.masterForKey('paused');
    try {
      await quick.write((m) => m.get('paused')); // the master's connection is open
      // Every client of that master waits 1 s, ours included.
      await cluster.command(master, 'CLIENT', 'PAUSE', '1000', 'ALL');
      const error = await quick
        .read((node) => node.get('paused'), { readFrom: 'master' })
        .catch((e: unknown) => e);
      expect(String(error)).toMatch(/Command timed out/);
    } finally {
      await quick.close();
      await cluster.command(master, 'PING'); // answered once the pause is over
    }
  });

  it('close() leaves no socket and no timer', async () => {
    // The file's client first (this is the last test), so its polls are not counted here.
    await client.close();
    const timers = recordTimers();
    const sockets = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const other = createClusterClient(cluster.location, { healthPollInterval: 50 });
    await other.connect();
    await other.read((node) => node.get('user:1'));
    expect(sockets()).toBeGreaterThan(before);
    await other.close();
    timers.stop();
    expect(timers.pending(), timers.origins()).toEqual([]);
    expect(sockets()).toBe(before);
  });
});

describe('write() with waitReplicas on a cluster', () => {
  // A client of its own: the one above is closed by the close() test.
  let durable: ClusterClient;
  beforeAll(async () => {
    durable = createClusterClient(cluster.location);
    await durable.connect();
  });
  afterAll(() => durable?.close());

  it("WAITs on every master after the write, resolving once each shard's replicas acknowledged it", async () => {
    const shards = await cluster.shards();
    const before = await Promise.all(shards.map((s) => calls(s.master, 'wait')));
    const keys = Array.from({ length: 30 }, (_, i) => `durable:${i}`);
    expect(new Set(keys.map((k) => cluster.shardIndexOf(cluster.slotOf(k)))).size).toBe(3);
    await durable.write((m) => Promise.all(keys.map((k) => m.set(k, 'v'))), {
      idempotent: true,
      waitReplicas: 2,
    });
    const after = await Promise.all(shards.map((s) => calls(s.master, 'wait')));
    for (const [i, n] of after.entries()) expect(n).toBeGreaterThan(before[i]!);
  });

  it('rejects with NOT_REPLICATED when a shard has fewer replicas acknowledging than asked', async () => {
    const error = await durable
      .write((m) => m.set('durable:short', 'v'), { waitReplicas: 3, waitTimeout: 100 })
      .catch((e: unknown) => e);
    expect(isSentinelKitError(error, 'NOT_REPLICATED')).toBe(true);
    expect(String((error as Error).message)).toMatch(/2 of 3 replicas/);
  });
});
