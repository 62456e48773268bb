// `sentinelkit status` on a real Redis Cluster (3 masters, 1 replica each): healthy, then, after
// a master kill and its replica's promotion, degraded (that shard has no replica, the dead node
// is failing); the JSON names shards, links and coverage.
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';

let cluster: ClusterTopology;

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[]) {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await main(args, {}), out };
  } finally {
    write.mockRestore();
    error.mockRestore();
  }
}

it('status shows shards, masters, replicas, links and coverage, through a master kill', async () => {
  const healthy = await run(['status', cluster.location]);
  expect(healthy.code).toBe(0);
  const shards = await cluster.shards();
  for (const shard of shards) {
    expect(healthy.out).toContain(`  master   ${shard.master.address} (link connected)`);
    for (const r of shard.replicas)
      expect(healthy.out).toContain(`  replica  ${r.address} (link connected)`);
  }
  expect(healthy.out).toContain('cluster: HEALTHY');
  expect(healthy.out).toContain('slots covered 16384/16384');

  const killed = await cluster.killMaster({ shard: 0 });
  const { master } = await cluster.waitForFailover({ shard: 0 });
  // The promoted replica serves shard 0, which has no replica left; the dead node is failing.
  await vi.waitFor(
    async () => {
      const after = await run(['status', '--json', cluster.location]);
      const json = JSON.parse(after.out);
      expect(after.code).toBe(1);
      expect(json).toMatchObject({ verdict: 'degraded', clusterState: 'ok', slotsCovered: 16384 });
      expect(json.shards[0].master.address).toBe(master.address);
      expect(json.problems).toContain('shard 0-5460 has no healthy replica');
      expect(json.problems.some((p: string) => p.startsWith(`${killed.address} is fail`))).toBe(
        true,
      );
    },
    { timeout: 15_000, interval: 100 },
  );
}, 60_000);
