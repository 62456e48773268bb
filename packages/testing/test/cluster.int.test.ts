import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendNode, NodeBackend } from '../src/index.js';
import {
  CLUSTER_SLOTS,
  type ClusterTopology,
  createProcessBackend,
  startClusterTopology,
} from '../src/index.js';
import { isPortFree } from '../src/ports.js';
import { isProcessAlive } from './helpers.js';

const infoField = (text: unknown, field: string) =>
  new RegExp(`^${field}:(\\S+)`, 'm').exec(String(text))?.[1];

describe('startClusterTopology() (one shared cluster: nothing here breaks it)', () => {
  let cluster: ClusterTopology;
  beforeAll(async () => {
    cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
  });
  afterAll(() => cluster?.stop());

  it('every node says all 16384 slots are covered; every replica is linked', async () => {
    expect(cluster.nodes).toHaveLength(6);
    for (const node of cluster.nodes) {
      const info = await cluster.command(node, 'CLUSTER', 'INFO');
      expect(infoField(info, 'cluster_state'), String(node)).toBe('ok');
      expect(infoField(info, 'cluster_slots_ok'), String(node)).toBe(String(CLUSTER_SLOTS));
      expect(infoField(info, 'cluster_known_nodes'), String(node)).toBe('6');
    }
    const described = await cluster.describe();
    const replicas = described.filter((d) => d.role === 'replica');
    expect(replicas).toHaveLength(3);
    for (const { node } of replicas) {
      const replication = await cluster.command(node, 'INFO', 'replication');
      expect(infoField(replication, 'master_link_status'), String(node)).toBe('up');
    }
  });

  it('describes three shards, each a master with its slots and one replica following it', async () => {
    const shards = await cluster.shards();
    expect(shards.map((s) => s.slots)).toEqual([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    expect(shards.map((s) => s.master)).toEqual(cluster.nodes.slice(0, 3));
    expect(shards.map((s) => s.replicas)).toEqual(cluster.nodes.slice(3).map((n) => [n]));
    const described = await cluster.describe();
    expect(described.map((d) => [d.node.name, d.role, d.master?.name])).toEqual([
      ['data-0', 'master', undefined],
      ['data-1', 'master', undefined],
      ['data-2', 'master', undefined],
      ['data-3', 'replica', 'data-0'],
      ['data-4', 'replica', 'data-1'],
      ['data-5', 'replica', 'data-2'],
    ]);
    expect(described.map((d) => d.id)).toEqual(cluster.nodes.map((n) => cluster.nodeId(n)));
    expect((await cluster.shardForSlot(5461)).index).toBe(1);
  });

  it('masterForKey() names the master ioredis Cluster writes the key to', async () => {
    const client = new Cluster(cluster.startupNodes, { enableOfflineQueue: true });
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `cluster-routing:${i}`);
      for (const key of keys) await client.set(key, key);
      const owners = new Set<string>();
      for (const key of keys) {
        const master = await cluster.masterForKey(key);
        owners.add(master.name);
        expect(cluster.slotOf(key)).toBe(
          Number(await cluster.command(master, 'CLUSTER', 'KEYSLOT', key)),
        );
        expect(await cluster.command(master, 'GET', key), key).toBe(key);
        // Every other master refuses it: the key lives in one shard only.
        for (const other of (await cluster.shards()).map((s) => s.master)) {
          if (other === master) continue;
          await expect(cluster.command(other, 'GET', key)).rejects.toThrow(/MOVED/);
        }
      }
      expect(owners.size).toBe(3);
    } finally {
      client.disconnect();
    }
  });

  it('waitForReplication() resolves once every replica holds what its master held when called', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `cluster-replicated:${i}`);
    for (const key of keys) await cluster.command(await cluster.masterForKey(key), 'SET', key, 'x');
    await cluster.waitForReplication();
    for (const shard of await cluster.shards()) {
      const keysOn = async (node: (typeof shard)['master']) =>
        infoField(await cluster.command(node, 'INFO', 'keyspace'), 'db0');
      const onMaster = await keysOn(shard.master);
      for (const replica of shard.replicas) expect(await keysOn(replica)).toBe(onMaster);
    }
  });

  it('commandCalls() counts the commands each node ran since resetCommandStats()', async () => {
    const client = new Cluster(cluster.startupNodes);
    try {
      await client.get('cluster-stats'); // ioredis has its slot map before the counts are reset
      await cluster.resetCommandStats();
      expect(await client.get('cluster-stats')).toBeNull();
      const master = await cluster.masterForKey('cluster-stats');
      expect(await cluster.commandCalls(master, 'get')).toBe(1);
      for (const other of cluster.nodes.filter((n) => n !== master)) {
        expect(await cluster.commandCalls(other, 'get'), String(other)).toBe(0);
      }
    } finally {
      client.disconnect();
    }
  });

  it('gives a client what it needs to connect', () => {
    expect(cluster.connectionOptions).toEqual({ startupNodes: cluster.startupNodes });
    expect(cluster.location).toBe(
      `redis+cluster://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    );
  });

  it('rejects a slot out of range and a shard that does not exist, with typed errors', async () => {
    expect(() => cluster.shardIndexOf(CLUSTER_SLOTS)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    await expect(cluster.killMaster({ shard: 3 })).rejects.toMatchObject({ code: 'NO_SUCH_NODE' });
    await expect(cluster.waitForFailover({ shard: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});

/** A process backend that remembers every node it made (their pids and ports), for the checks below. */
async function recordingBackend() {
  const real = await createProcessBackend();
  const made: { node: BackendNode; ports: number[] }[] = [];
  const backend: NodeBackend = {
    name: real.name,
    workDir: real.workDir,
    createNode: (spec) => {
      const node = real.createNode(spec);
      const busPort = Number(/^cluster-port (\d+)$/m.exec(spec.config)?.[1]);
      made.push({ node, ports: [spec.port, busPort] });
      return node;
    },
    dispose: () => real.dispose(),
  };
  const pids = () => made.flatMap(({ node }) => (node.pid === undefined ? [] : [node.pid]));
  const ports = () => made.flatMap((m) => m.ports);
  return { backend, pids, ports, workDir: real.workDir as string };
}

async function expectNothingLeft(left: { pids: number[]; ports: number[]; workDir: string }) {
  expect(left.pids.filter(isProcessAlive)).toEqual([]);
  for (const port of left.ports) {
    expect(await isPortFree(port)).toBe(true);
    // Nor the claim on it (see ports.ts).
    expect(existsSync(join(tmpdir(), 'sentinelkit-ports', String(port)))).toBe(false);
  }
  expect(existsSync(left.workDir)).toBe(false);
}

describe('stop()', () => {
  it('leaves no process, port, port claim or file behind, even with a frozen node', async () => {
    const recorded = await recordingBackend();
    const cluster = await startClusterTopology({
      masters: 3,
      replicasPerMaster: 0,
      backend: recorded.backend,
    });
    expect(recorded.pids()).toHaveLength(3);
    expect(existsSync(recorded.workDir)).toBe(true);
    await cluster.freeze(cluster.nodes[1]!);

    await cluster.stop();

    await expectNothingLeft({ ...recorded, pids: recorded.pids(), ports: recorded.ports() });
    await expect(cluster.killMaster()).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('a start that fails (not ready in time) stops what it started', async () => {
    const recorded = await recordingBackend();
    const failed = startClusterTopology({
      masters: 3,
      replicasPerMaster: 1,
      readyTimeoutMs: 1,
      backend: recorded.backend,
    });
    await expect(failed).rejects.toMatchObject({ name: 'TopologyError', code: 'NOT_READY' });
    expect(recorded.pids()).toHaveLength(6);
    await expectNothingLeft({ ...recorded, pids: recorded.pids(), ports: recorded.ports() });
  });
});
