import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isTopologyError,
  type SentinelTopology,
  startSentinelTopology,
  untilOnReplicas,
} from '../src/index.js';
import { onNode } from './helpers.js';

/** Hello messages Sentinel tried to PUBLISH on `node` and was refused (`INFO commandstats`). */
async function refusedHellos(
  topology: SentinelTopology,
  node: SentinelTopology['dataNodes'][number],
) {
  const stats = String(await onNode(topology, node, 'INFO', 'commandstats'));
  return Number(/^cmdstat_publish:.*rejected_calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

describe('holdReplication: a replica linked and healthy, but behind its master', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    // With a password: the hold is sent as raw RESP with AUTH pipelined before it.
    topology = await startSentinelTopology({ password: 'hold-secret' });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('stays linked and healthy for every sentinel, serves stale reads, catches up on release', async () => {
    const master = await topology.currentMaster();
    const [replica] = await topology.replicas();
    if (!replica) throw new Error('the topology has replicas');
    const release = await topology.holdReplication(replica);
    try {
      await onNode(topology, master, 'SET', 'held', '1');
      expect(await onNode(topology, replica, 'GET', 'held')).toBeNull();
      expect(await onNode(topology, replica, 'ROLE')).toEqual([
        'slave',
        master.host,
        master.port,
        'connected',
        expect.any(Number),
      ]);
      // Each sentinel publishes a hello on it every 2 s; held by the pause, one would stall the
      // PINGs behind it and the replica would turn s_down 1 s later. Two refused hellos from
      // each sentinel (over 2 s, more than down-after) and it is still healthy.
      const hellos = topology.sentinelNodes.length * 2;
      while ((await refusedHellos(topology, replica)) < hellos) {
        await new Promise<void>((resolve) => setTimeout(resolve, 100));
      }
      for (const sentinel of topology.sentinelNodes) {
        const replicas = (await onNode(
          topology,
          sentinel,
          'SENTINEL',
          'REPLICAS',
          topology.masterName,
        )) as string[][];
        const fields = replicas
          .map((r) => Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))))
          .find((r) => Number(r.port) === replica.announced.port);
        expect(fields).toMatchObject({ flags: 'slave', 'master-link-status': 'ok' });
      }
      expect(await onNode(topology, replica, 'GET', 'held')).toBeNull();
    } finally {
      await release();
    }
    await untilOnReplicas(topology, 'held');
    // Released, it publishes again.
    await onNode(topology, replica, 'PUBLISH', 'c', 'm');
  });

  it('refuses the master (its writes would hang) and sentinels', async () => {
    const master = await topology.currentMaster();
    const refused = await topology.holdReplication(master).catch((e: unknown) => e);
    expect(isTopologyError(refused, 'INVALID_OPTION')).toBe(true);
    expect(String(refused)).toMatch(/is the master/);
    const sentinel = await topology.holdReplication(topology.sentinelNodes[0]!).catch((e) => e);
    expect(isTopologyError(sentinel, 'INVALID_OPTION')).toBe(true);
  });
});
