// Faults on one shared cluster: each test leaves it ready again (waitForReady) for the next.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterTopology,
  parseClusterNodesForTest,
  startClusterTopology,
  type TopologyNode,
} from './cluster-helpers.js';
import { isProcessAlive } from './helpers.js';

let cluster: ClusterTopology;
beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
});
afterAll(() => cluster?.stop());

/** Who each running node names as master of `slot`, by node name. */
async function mastersNamed(slot: number): Promise<Set<string>> {
  const named = new Set<string>();
  for (const node of cluster.nodes.filter((n) => n.state === 'running')) {
    const text = String(await cluster.command(node, 'CLUSTER', 'NODES'));
    const address = parseClusterNodesForTest(text, slot);
    named.add(cluster.nodes.find((n) => n.address === address)?.name ?? `unknown ${address}`);
  }
  return named;
}

async function roleOf(node: TopologyNode): Promise<string> {
  return String(((await cluster.command(node, 'ROLE')) as unknown[])[0]);
}

/** Writes through ioredis' Cluster to a key of `slot`'s shard, then reads it back from its master. */
async function writeThroughClient(shard: number): Promise<void> {
  const client = new Cluster(cluster.startupNodes);
  try {
    const key = Array.from({ length: 1000 }, (_, i) => `fault:${i}`).find(
      (k) => cluster.shardIndexOf(cluster.slotOf(k)) === shard,
    ) as string;
    expect(await client.set(key, 'after')).toBe('OK');
    expect(await cluster.command(await cluster.masterForKey(key), 'GET', key)).toBe('after');
  } finally {
    client.disconnect();
  }
}

describe('master faults', () => {
  it('killMaster({ shard }): its replica is promoted on every node; restarted, the old master follows it', async () => {
    const before = await cluster.shard({ shard: 1 });
    const [slot] = before.slots[0]!;
    const killed = await cluster.killMaster({ shard: 1 });
    expect(killed).toBe(before.master);
    expect(isProcessAlive(killed.pid ?? -1)).toBe(false);

    const failover = await cluster.waitForFailover({ shard: 1 });

    expect(failover.from).toBe(killed);
    expect(failover.master).toBe(before.replicas[0]);
    expect(await mastersNamed(slot)).toEqual(new Set([failover.master.name]));
    expect(await roleOf(failover.master)).toBe('master');
    await writeThroughClient(1);

    await cluster.restart(killed);
    await cluster.waitForReady();
    const after = await cluster.shard({ shard: 1 });
    expect(after.master).toBe(failover.master);
    expect(after.replicas).toEqual([killed]);
    expect(await roleOf(killed)).toBe('slave');
  });

  it('freezeMaster({ slot }): a hung master is replaced; thawed, it rejoins as a replica', async () => {
    const slot = 12_000;
    const before = await cluster.shardForSlot(slot);
    const frozen = await cluster.freezeMaster({ slot });
    expect(frozen).toBe(before.master);
    expect(frozen.state).toBe('frozen');
    await expect(cluster.command(frozen, 'PING')).rejects.toThrow(/timed out/i);

    const failover = await cluster.waitForFailover({ slot });

    expect(failover.master).toBe(before.replicas[0]);
    expect(await mastersNamed(slot)).toEqual(new Set([failover.master.name]));

    await cluster.thaw(frozen);
    await cluster.waitForReady();
    expect((await cluster.shardForSlot(slot)).replicas).toEqual([frozen]);
    expect(await roleOf(frozen)).toBe('slave');
  });

  it('failover(): a planned CLUSTER FAILOVER swaps master and replica, nothing killed', async () => {
    const before = await cluster.shard({ shard: 2 });
    const promoted = await cluster.failover({ shard: 2 });
    expect(promoted).toBe(before.replicas[0]);

    const failover = await cluster.waitForFailover({ shard: 2 });

    expect(failover).toMatchObject({ master: promoted, from: before.master });
    await cluster.waitForReady();
    expect((await cluster.shard({ shard: 2 })).replicas).toEqual([before.master]);
    await writeThroughClient(2);
  });

  it('waitForFailover() fails with a typed TIMEOUT when no failover comes', async () => {
    const { master } = await cluster.shard({ shard: 0 });
    await expect(
      cluster.waitForFailover({ shard: 0, from: master, timeoutMs: 200 }),
    ).rejects.toMatchObject({ name: 'TopologyError', code: 'TIMEOUT' });
  });
});

describe('replica faults', () => {
  it('killReplica() and restart(): the shard keeps its master, the replica relinks', async () => {
    const before = await cluster.shard({ shard: 0 });
    const killed = await cluster.killReplica({ shard: 0 });
    expect(killed).toBe(before.replicas[0]);
    expect(killed.state).toBe('killed');
    await expect(cluster.killReplica({ shard: 0 })).rejects.toMatchObject({
      code: 'NO_SUCH_NODE',
    });
    await writeThroughClient(0);

    await cluster.restart(killed);
    await cluster.waitForReady();
    expect(await cluster.shard({ shard: 0 })).toMatchObject({
      master: before.master,
      replicas: [killed],
    });
  });

  it('freezeReplica() and thaw(): the frozen replica answers nothing until thawed', async () => {
    const frozen = await cluster.freezeReplica({ slot: 0 });
    await expect(cluster.command(frozen, 'PING')).rejects.toThrow(/timed out/i);
    await expect(cluster.freeze(frozen)).rejects.toMatchObject({ code: 'NODE_NOT_RUNNING' });
    await cluster.thaw();
    expect(frozen.state).toBe('running');
    await cluster.waitForReady();
    expect(await cluster.command(frozen, 'PING')).toBe('PONG');
  });
});
