import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient } from '../src/index.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers/topology.js';

describe('commandTimeout on a real topology', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology();
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('reads on a frozen replica fail at commandTimeout and are served by the other replica', async () => {
    // Well under Sentinel's down-after (1000 ms): the client, not Sentinel, notices first.
    const client = createSentinelClient(topology.location, { commandTimeout: 300 });
    await client.connect();
    const victim = (await topology.replicas())[0]!;
    try {
      await untilReplicaCount(client, 2);
      await client.write((m) => m.set('timeouts:key', 'value'), { waitReplicas: 2 });
      const removed = nextTopologyEvent(
        client,
        (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === victim.port,
      );
      await topology.freeze(victim);
      // Each read picks a replica at random: some of these 20 go to the frozen one.
      const values = await Promise.all(
        Array.from({ length: 20 }, () => client.read((r) => r.get('timeouts:key'))),
      );
      expect(values).toEqual(Array.from({ length: 20 }, () => 'value'));
      expect(client.stats().readRetries).toBeGreaterThan(0);
      expect(await removed).toMatchObject({ reason: 'read-failed' });
    } finally {
      await topology.thaw(victim);
      await client.close();
    }
  });
});
