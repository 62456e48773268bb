import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
  startSentinelTopology,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '../src/index.js';
import { startLoad } from './helpers/load.js';
import { onNode } from './helpers/topology.js';

describe('events that are not ours, and replicas that are not ready', () => {
  let topology: SentinelTopology;
  let other: SentinelTopology;
  let client: SentinelClient;
  const events: TopologyEvent[] = [];

  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    let connected: ConnectedTopology<SentinelClient>;
    [connected, other] = await Promise.all([
      startConnectedTopology((t) => {
        const created = createSentinelClient(t.location);
        created.on('topology-change', (e) => events.push(e));
        return created;
      }),
      startSentinelTopology({ replicas: 1, sentinels: 1, masterName: 'elsewhere' }),
    ]);
    ({ topology, client, stop } = connected);
  });

  afterAll(async () => {
    await Promise.all([stop?.(), other?.stop()]);
  });

  it('a failover of another master name on the same sentinels does not touch our connections', async () => {
    // Our three sentinels also monitor a second deployment, as shared sentinels often do.
    const otherMaster = await other.currentMaster();
    for (const sentinel of topology.sentinelNodes) {
      await onNode(
        topology,
        sentinel,
        'SENTINEL',
        'MONITOR',
        'second',
        '127.0.0.1',
        otherMaster.port,
        2,
      );
      await onNode(
        topology,
        sentinel,
        'SENTINEL',
        'SET',
        'second',
        'down-after-milliseconds',
        1000,
      );
    }
    const before = client.topology().master!;
    events.length = 0;
    const load = await startLoad(client, { prefix: 'isolation' });
    const switched = new Promise<void>((resolve) => {
      const check = () => {
        if (
          topology.events.some(
            (e) => e.type === '+switch-master' && e.message.startsWith('second '),
          )
        ) {
          resolve();
        } else setImmediate(check);
      };
      check();
    });
    await failoverOther(topology);
    await switched;
    // A full poll after the other switch, to see that nothing follows it late either.
    const target = client.stats().sentinelQueries + 2;
    while (client.stats().sentinelQueries < target) await client.read((r) => r.ping());
    const result = await load.stop();

    expect(result).toMatchObject({ writeErrors: [], readErrors: [], wrongReads: 0 });
    expect(events.filter((e) => e.type === 'MASTER_CHANGE' || e.type === 'MASTER_LOST')).toEqual(
      [],
    );
    expect(client.topology().master?.address).toEqual(before.address);
  });

  it('a replica restarted empty is not read from until it has synced', async () => {
    // Enough data that a full resync takes a noticeable while.
    const keys = Array.from({ length: 20_000 }, (_, i) => `bulk:${i}`);
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await client.write((r) => r.mset(...chunk.flatMap((k) => [k, 'x'.repeat(200)])), {
        idempotent: true,
        waitReplicas: 2,
        waitTimeout: 3000,
      });
    }
    const victim = (await topology.replicas())[0]!;
    const returned = new Promise<void>((resolve) => {
      const onEvent = (e: TopologyEvent) => {
        if (e.type === 'REPLICA_ADD' && e.replica.port === victim.port) {
          client.off('topology-change', onEvent);
          resolve();
        }
      };
      client.on('topology-change', onEvent);
    });
    await topology.kill(victim);
    await topology.restart(victim);
    // Read every key while the replica is empty, loading and syncing, until it is back.
    let empty = 0;
    let reads = 0;
    let back = false;
    void returned.then(() => {
      back = true;
    });
    while (!back) {
      const key = keys[reads++ % keys.length]!;
      if ((await client.read((r) => r.get(key))) === null) empty++;
    }
    expect(reads).toBeGreaterThan(0);
    expect(empty).toBe(0);
  });
});

async function failoverOther(topology: SentinelTopology): Promise<void> {
  const sentinel = topology.sentinelNodes[0]!;
  for (;;) {
    try {
      await onNode(topology, sentinel, 'SENTINEL', 'FAILOVER', 'second');
      return;
    } catch (error) {
      // Sentinel has not yet seen the second master's replica: its real state.
      if (!/NOGOODSLAVE|INPROG/.test((error as Error).message)) throw error;
      await onNode(topology, sentinel, 'PING');
    }
  }
}
