import { type SentinelTopology, startConnectedTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '../src/index.js';
import { missingOn, startLoad } from './helpers/load.js';
import { nextTopologyEvent, onNode, untilReplicaCount } from './helpers/topology.js';

describe('replica and sentinel faults under load', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  const masterEvents: TopologyEvent[] = [];

  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ topology, client, stop } = await startConnectedTopology((t) => {
      const created = createSentinelClient(t.location);
      created.on('topology-change', (e) => {
        if (e.type === 'MASTER_CHANGE' || e.type === 'MASTER_LOST') masterEvents.push(e);
      });
      return created;
    }));
  });

  afterAll(async () => {
    await stop?.();
  });

  beforeEach(async () => {
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    await untilReplicaCount(client, 2, 30_000);
    masterEvents.length = 0;
  });

  const onMaster = async (keys: string[]) =>
    (await onNode(topology, await topology.currentMaster(), 'MGET', ...keys)) as (string | null)[];

  it('kill a replica: reads go on without an error, the master is untouched', async () => {
    const load = await startLoad(client, { prefix: 'kill-replica' });
    const victim = (await topology.replicas())[0]!;
    const removed = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === victim.port,
    );
    await topology.kill(victim);
    await removed;
    const result = await load.stop();
    expect(result).toMatchObject({ writeErrors: [], readErrors: [], wrongReads: 0 });
    expect(result.reads).toBeGreaterThan(0);
    expect(masterEvents).toEqual([]);
    await topology.restart(victim);
  });

  it('freeze a replica: reads that hit it are retried elsewhere, and it leaves the rotation', async () => {
    const load = await startLoad(client, { prefix: 'freeze-replica' });
    const victim = (await topology.replicas())[1]!;
    const removed = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === victim.port,
    );
    await topology.freeze(victim);
    const event = await removed;
    const result = await load.stop();
    expect(event).toMatchObject({ reason: expect.stringMatching(/read-failed|down/) });
    expect(result).toMatchObject({ writeErrors: [], readErrors: [], wrongReads: 0 });
    expect(masterEvents).toEqual([]);
    await topology.thaw(victim);
  });

  it('kill one sentinel, then two of three: the master keeps serving, no failover, no error', async () => {
    const load = await startLoad(client, { prefix: 'sentinels' });
    await topology.killSentinel(0);
    await topology.killSentinel(1);
    // Traffic through a full poll cycle and more with only one sentinel left.
    const master = await topology.currentMaster();
    await untilPolls(client, 3);
    const result = await load.stop();
    expect(result).toMatchObject({ writeErrors: [], readErrors: [], wrongReads: 0 });
    expect(client.topology().master?.address.port).toBe(master.port);
    expect(masterEvents).toEqual([]);
    expect(await missingOn(onMaster, [...result.acks, ...result.durableAcks])).toEqual([]);
    await topology.restart(topology.sentinelNodes[0]!);
    await topology.restart(topology.sentinelNodes[1]!);
  });

  it('all sentinels down, then restarted: commands go on, subscriptions come back', async () => {
    const errors: Error[] = [];
    const onError = (error: Error) => errors.push(error);
    client.on('error', onError);
    const load = await startLoad(client, { prefix: 'no-sentinels' });
    for (const sentinel of topology.sentinelNodes) await topology.kill(sentinel);
    await untilPolls(client, 2);
    const during = await load.stop();
    expect(client.stats().sentinelQueryFailures).toBeGreaterThan(0);
    expect(during).toMatchObject({ writeErrors: [], readErrors: [], wrongReads: 0 });
    // Sentinel trouble is reported as events, never as failed commands.
    expect(errors.some((e) => /sentinel/i.test(e.message))).toBe(true);

    for (const sentinel of topology.sentinelNodes) await topology.restart(sentinel);
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    await untilWatched(client, 3);
    client.off('error', onError);
    expect(masterEvents).toEqual([]);
  });
});

/** Keeps reading until the client has asked Sentinel `count` more times (it polls every second). */
async function untilPolls(client: SentinelClient, count: number): Promise<void> {
  const target = client.stats().sentinelQueries + count;
  while (client.stats().sentinelQueries < target) await client.read((r) => r.ping());
}

/** Keeps reading until `count` sentinel subscriptions are live again. */
async function untilWatched(client: SentinelClient, count: number): Promise<void> {
  while (client.topology().watchedSentinels < count) await client.read((r) => r.ping());
}
