// The contract the adapters use (RoutedClient), pinned by one suite run against both of its
// implementations: SentinelClient on a real Sentinel topology, and @sentinelkit/testing's
// SingleNodeClient on one real redis-server. What a store may rely on is what passes on both.
import {
  createSentinelClient,
  isRoutedClient,
  isSentinelKitError,
  type RoutedClient,
  type TopologyEvent,
} from '@sentinelkit/core';
import {
  type SentinelTopology,
  startSentinelTopology,
  startStandaloneClient,
} from '@sentinelkit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

interface Implementation {
  name: string;
  /** Once per suite (a topology); returns what the suite's end must undo. */
  setUp(): Promise<() => Promise<void>>;
  /** A new client, not connected. */
  client(): Promise<RoutedClient>;
}

let topology: SentinelTopology | undefined;

const implementations: Implementation[] = [
  {
    name: 'SentinelClient (1 master, 2 replicas, 3 sentinels)',
    async setUp() {
      topology = await startSentinelTopology();
      return () => topology?.stop() ?? Promise.resolve();
    },
    client: async () => createSentinelClient(topology?.location ?? 'unset/127.0.0.1:1'),
  },
  {
    name: 'SingleNodeClient (one redis-server)',
    setUp: async () => async () => {},
    client: () => startStandaloneClient(),
  },
];

/** The error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const readsOf = (client: RoutedClient): number => {
  const stats = client.stats();
  return stats.masterReads + Object.values(stats.replicaReads).reduce((a, b) => a + b, 0);
};

describe.each(implementations)('RoutedClient contract: $name', (implementation) => {
  let tearDown: () => Promise<void>;
  const clients: RoutedClient[] = [];

  beforeAll(async () => {
    tearDown = await implementation.setUp();
  });

  afterAll(async () => {
    await tearDown?.();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  async function newClient(connect = true): Promise<RoutedClient> {
    const client = await implementation.client();
    clients.push(client);
    if (connect) await client.connect();
    return client;
  }

  it('is idle and refuses operations with NOT_CONNECTED until connect()', async () => {
    const client = await newClient(false);
    expect(isRoutedClient(client)).toBe(true);
    expect(client.status).toBe('idle');
    const write = await rejection(client.write((m) => m.set('contract:idle', '1')));
    expect(isSentinelKitError(write, 'NOT_CONNECTED')).toBe(true);
    const call = await rejection(client.call('GET', 'contract:idle'));
    expect(isSentinelKitError(call, 'NOT_CONNECTED')).toBe(true);
  });

  it('connect(): ready, one shard with its master, and a MASTER_CHANGE "discovered"', async () => {
    const client = await newClient(false);
    const events: TopologyEvent[] = [];
    client.on('topology-change', (event) => events.push(event));
    await client.connect();
    expect(client.status).toBe('ready');
    const { status, shards } = client.topology();
    expect(status).toBe('ready');
    expect(shards).toHaveLength(1);
    const master = shards[0]?.master;
    expect(master).toBeDefined();
    const discovered = events.find((e) => e.type === 'MASTER_CHANGE');
    expect(discovered).toMatchObject({
      type: 'MASTER_CHANGE',
      reason: 'discovered',
      previous: undefined,
      current: master?.address,
    });
  });

  it('write(fn) runs on the master; read(fn) tells which node of the shard answered', async () => {
    const client = await newClient();
    const writes = client.stats().writes;
    expect(await client.write((m) => m.set('contract:rw', 'v1'), { idempotent: true })).toBe('OK');
    expect(client.stats().writes).toBe(writes + 1);

    const shard = client.topology().shards[0];
    const onMaster = await client.read(
      async (node, servedBy) => ({ value: await node.get('contract:rw'), servedBy }),
      { readFrom: 'master' },
    );
    expect(onMaster).toEqual({
      value: 'v1',
      servedBy: { role: 'master', address: shard?.master?.address },
    });

    const reads = readsOf(client);
    const servedBy = await client.read(async (node, by) => {
      await node.get('contract:rw');
      return by;
    });
    expect(readsOf(client)).toBe(reads + 1);
    const nodes = [shard?.master, ...(shard?.replicas ?? [])].map((n) => n?.address);
    expect(nodes).toContainEqual(servedBy.address);
    if (servedBy.role === 'master') expect(servedBy.address).toEqual(shard?.master?.address);
  });

  it("readFrom 'replica-only': a replica, or NO_REPLICA_AVAILABLE when the shard has none", async () => {
    const client = await newClient();
    const replicas = client.topology().shards[0]?.replicas ?? [];
    const result = client.read(async (_node, servedBy) => servedBy, { readFrom: 'replica-only' });
    if (replicas.length === 0) {
      expect(isSentinelKitError(await rejection(result), 'NO_REPLICA_AVAILABLE')).toBe(true);
    } else {
      const servedBy = await result;
      expect(servedBy.role).toBe('replica');
      expect(replicas.map((r) => r.address)).toContainEqual(servedBy.address);
    }
  });

  it('call() routes writes as writes and reads as reads', async () => {
    const client = await newClient();
    const writes = client.stats().writes;
    expect(await client.call('SET', 'contract:call', 'x')).toBe('OK');
    expect(client.stats().writes).toBe(writes + 1);
    const reads = readsOf(client);
    await client.call('EXISTS', 'contract:call');
    expect(readsOf(client)).toBe(reads + 1);
    expect(client.stats().writes).toBe(writes + 1);
  });

  it('refuses what would break a shared connection, and writes inside read(), sending nothing', async () => {
    const client = await newClient();
    const select = await rejection(client.call('SELECT', '1'));
    expect(isSentinelKitError(select, 'COMMAND_NOT_ALLOWED')).toBe(true);
    const blocking = await rejection(client.write((m) => m.blpop('contract:list', 1)));
    expect(isSentinelKitError(blocking, 'COMMAND_NOT_ALLOWED')).toBe(true);
    const write = await rejection(client.read((n) => n.set('contract:in-read', 'x')));
    expect(isSentinelKitError(write, 'WRITE_IN_READ')).toBe(true);
    const written = await client.read((n) => n.exists('contract:in-read'), { readFrom: 'master' });
    expect(written).toBe(0);
  });

  it('waitReplicas beyond the replicas: NOT_REPLICATED, after the write ran', async () => {
    const client = await newClient();
    const replicas = client.topology().shards[0]?.replicas.length ?? 0;
    const error = await rejection(
      client.write((m) => m.set('contract:wait', 'ran'), {
        waitReplicas: replicas + 1,
        waitTimeout: 200,
      }),
    );
    expect(isSentinelKitError(error, 'NOT_REPLICATED')).toBe(true);
    expect(await client.read((n) => n.get('contract:wait'), { readFrom: 'master' })).toBe('ran');
  });

  it('a call past its timeout rejects with TIMEOUT', async () => {
    const client = await newClient();
    const never = () => new Promise<never>(() => {});
    const error = await rejection(client.read(never, { timeout: 50 }));
    expect(isSentinelKitError(error, 'TIMEOUT')).toBe(true);
  });

  it('close(): closed, operations and connect() reject with CLIENT_CLOSED, twice is fine', async () => {
    const client = await newClient();
    const listener = () => {};
    expect(client.on('topology-change', listener)).toBe(client);
    expect(client.off('topology-change', listener)).toBe(client);
    await client.close();
    await client.close();
    expect(client.status).toBe('closed');
    const write = await rejection(client.write((m) => m.set('contract:closed', '1')));
    expect(isSentinelKitError(write, 'CLIENT_CLOSED')).toBe(true);
    expect(isSentinelKitError(await rejection(client.connect()), 'CLIENT_CLOSED')).toBe(true);
  });
});
