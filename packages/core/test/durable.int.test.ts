import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelClient, isSentinelKitError, type SentinelClient } from '../src/index.js';
import { untilReplicaCount } from './helpers/topology.js';

describe('durable writes (waitReplicas) on a real topology', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;

  let connected: ConnectedTopology<SentinelClient> | undefined;

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
    ({ topology, client } = connected);
  });

  afterAll(() => connected?.stop());

  beforeEach(async () => {
    await untilReplicaCount(client, 2);
    await topology.resetCommandStats();
  });

  /** The values of `keys` on every replica, read directly. */
  async function onReplicas(keys: string[]): Promise<unknown[]> {
    const replicas = await topology.replicas();
    return Promise.all(replicas.map((replica) => topology.command(replica, 'MGET', ...keys)));
  }

  it('answers once every replica has the write; concurrent writes share one WAIT', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `durable:group:${i}`);
    const results = await Promise.all(
      keys.map((key) => client.write((m) => m.set(key, key), { waitReplicas: 2 })),
    );
    expect(results).toEqual(keys.map(() => 'OK'));
    for (const values of await onReplicas(keys)) expect(values).toEqual(keys);
    const master = await topology.currentMaster();
    expect(await topology.commandCalls(master, 'set')).toBe(50);
    // All 50 were issued in one tick: one round, their SETs and one WAIT in one socket write.
    expect(await topology.commandCalls(master, 'wait')).toBe(1);
  });

  it('waits again for a callback that wrote after an await of its own', async () => {
    const value = await client.write(
      async (m) => {
        await m.set('durable:first', '1');
        await m.set('durable:second', '2');
        return 'done';
      },
      { waitReplicas: 2 },
    );
    expect(value).toBe('done');
    for (const values of await onReplicas(['durable:first', 'durable:second'])) {
      expect(values).toEqual(['1', '2']);
    }
    // The round's WAIT went right behind the first SET; the second SET needed another.
    expect(await topology.commandCalls(await topology.currentMaster(), 'wait')).toBe(2);
  });

  it('a failed callback fails its own write only', async () => {
    await client.write((m) => m.set('durable:not-a-number', 'text'));
    const [bad, good] = await Promise.allSettled([
      client.write((m) => m.incr('durable:not-a-number'), { waitReplicas: 2 }),
      client.write((m) => m.set('durable:good', 'yes'), { waitReplicas: 2 }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/not an integer/);
    expect(good).toEqual({ status: 'fulfilled', value: 'OK' });
  });

  it('rejects with NOT_REPLICATED when a replica does not acknowledge in time', async () => {
    const frozen = await topology.freezeReplica(0);
    try {
      const error = await client
        .write((m) => m.set('durable:short', 'x'), { waitReplicas: 2, waitTimeout: 200 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isSentinelKitError(error, 'NOT_REPLICATED')).toBe(true);
      expect(String(error)).toMatch(/only 1 of 2 replicas acknowledged/);
      // The write ran on the master, and the replica still up has it.
      expect(await topology.command(await topology.currentMaster(), 'GET', 'durable:short')).toBe(
        'x',
      );
      await expect(
        client.write((m) => m.set('durable:one', 'y'), { waitReplicas: 1, waitTimeout: 2000 }),
      ).resolves.toBe('OK');
    } finally {
      await topology.thaw(frozen);
    }
  });
});
