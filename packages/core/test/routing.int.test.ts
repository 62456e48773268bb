import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
  type TopologyNode,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import {
  commandCount,
  nextTopologyEvent,
  resetStats,
  untilReplicaCount,
} from './helpers/topology.js';

describe('routing on a real topology (1 master, 2 replicas, 3 sentinels)', () => {
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
    await resetStats(topology);
  });

  it('discovers the master and both replicas', async () => {
    const master = await topology.currentMaster();
    const snapshot = client.topology();
    expect(snapshot.status).toBe('ready');
    expect(snapshot.master?.address).toEqual({ host: '127.0.0.1', port: master.port });
    const replicaPorts = (await topology.replicas()).map((n) => n.port).sort();
    expect(snapshot.replicas.map((r) => r.address.port).sort()).toEqual(replicaPorts);
    expect(snapshot.sentinels.map((s) => s.port).sort()).toEqual(
      topology.sentinels.map((s) => s.port).sort(),
    );
  });

  it('read() tells its callback which node answered: the role and the address it ran on', async () => {
    const master = await topology.currentMaster();
    const replicaPorts = (await topology.replicas()).map((n) => n.port);
    // The node's own port (INFO server), not the client's view: the callback must be told the truth.
    const portOf = async (node: Parameters<Parameters<SentinelClient['read']>[0]>[0]) =>
      Number(/tcp_port:(\d+)/.exec(await node.info('server'))?.[1]);
    const onMaster = await client.read(
      async (node, servedBy) => ({ servedBy, port: await portOf(node) }),
      { readFrom: 'master' },
    );
    expect(onMaster.servedBy).toEqual({
      role: 'master',
      address: { host: '127.0.0.1', port: master.port },
    });
    expect(onMaster.port).toBe(master.port);
    for (let i = 0; i < 10; i++) {
      const onReplica = await client.read(
        async (node, servedBy) => ({ servedBy, port: await portOf(node) }),
        { readFrom: 'replica-only' },
      );
      expect(onReplica.servedBy.role).toBe('replica');
      expect(replicaPorts).toContain(onReplica.servedBy.address.port);
      expect(onReplica.port).toBe(onReplica.servedBy.address.port);
    }
  });

  it('writes, scripts, transactions and SCAN land on the master only', async () => {
    for (let i = 0; i < 50; i++) await client.write((r) => r.set(`w:${i}`, String(i)));
    await client.write((r) => r.multi().set('w:tx', '1').incr('w:counter').exec());
    await client.write((r) =>
      r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, 'w:lua', 'x'),
    );
    await client.call('SET', 'w:call', '1');
    await client.call('SCAN', '0', 'MATCH', 'w:*');
    await client.call('KEYS', 'w:*');

    const master = await topology.currentMaster();
    // 50 + the transaction's + the script's redis.call('SET') + call('SET').
    expect(await commandCount(topology, master, 'set')).toBe(53);
    expect(await commandCount(topology, master, 'scan')).toBe(1);
    expect(await commandCount(topology, master, 'keys')).toBe(1);
    for (const replica of await topology.replicas()) {
      // Replicas apply the master's stream, but clients never write or scan there:
      // replicated commands do not count as calls of the client-facing command.
      expect(await commandCount(topology, replica, 'scan')).toBe(0);
      expect(await commandCount(topology, replica, 'keys')).toBe(0);
      expect(await commandCount(topology, replica, 'eval')).toBe(0);
    }
  });

  it('spreads 1000 reads over both replicas, each between 40% and 60%, none on the master', async () => {
    await client.write((r) => r.set('spread', 'v'));
    const before = client.stats();
    for (let i = 0; i < 1000; i++) expect(await client.read((r) => r.get('spread'))).toBe('v');

    const replicas = await topology.replicas();
    const served = await Promise.all(replicas.map((n) => commandCount(topology, n, 'get')));
    expect(served.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const count of served) {
      expect(count).toBeGreaterThanOrEqual(400);
      expect(count).toBeLessThanOrEqual(600);
    }
    expect(await commandCount(topology, await topology.currentMaster(), 'get')).toBe(0);
    expect(client.stats().masterReads).toBe(before.masterReads);
  });

  it('routes call() by command kind: GET to a replica, SET to the master', async () => {
    await client.call('SET', 'kind', 'v');
    expect(await client.call('GET', 'kind')).toBe('v');
    const master = await topology.currentMaster();
    expect(await commandCount(topology, master, 'get')).toBe(0);
    expect(await commandCount(topology, master, 'set')).toBe(1);
  });

  it("readFrom 'master' per call reads from the master", async () => {
    await client.write((r) => r.set('fresh', '1'));
    expect(await client.read((r) => r.get('fresh'), { readFrom: 'master' })).toBe('1');
    expect(await commandCount(topology, await topology.currentMaster(), 'get')).toBe(1);
  });

  it('a killed replica stops receiving reads and comes back when restarted', async () => {
    const victim = (await topology.replicas())[0]!;
    // Listen before the fault: the connection may close before kill() returns.
    const removed = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === victim.port,
    );
    await topology.kill(victim);
    expect(await removed).toMatchObject({ reason: expect.stringMatching(/connection-lost|down/) });
    for (let i = 0; i < 100; i++) await client.read((r) => r.get('spread'));
    const survivor = (await topology.replicas()).find((n) => n !== victim)!;
    expect(await commandCount(topology, survivor, 'get')).toBe(100);

    const added = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_ADD' && e.replica.port === victim.port,
      30_000,
    );
    await topology.restart(victim);
    await added;
  });

  it('a frozen replica is taken out of rotation once Sentinel flags it down', async () => {
    const victim = (await topology.replicas())[1]!;
    const removed = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === victim.port,
    );
    await topology.freeze(victim);
    expect(await removed).toMatchObject({ reason: 'down' });
    expect(client.topology().replicas.map((r) => r.address.port)).not.toContain(victim.port);
    const reads = await Promise.all(
      Array.from({ length: 100 }, () => client.read((r) => r.get('spread'))),
    );
    expect(reads.every((v) => v === 'v')).toBe(true);
    const added = nextTopologyEvent(
      client,
      (e) => e.type === 'REPLICA_ADD' && e.replica.port === victim.port,
      30_000,
    );
    await topology.thaw(victim);
    await added;
  });

  it('with both replicas down reads go to the master, and back to replicas when they return', async () => {
    const [a, b] = await topology.replicas();
    const killedAt = Date.now();
    await topology.kill(a!);
    await topology.kill(b!);
    await untilReplicaCount(client, 0);
    // Every sentinel flags both down before they come back: a +sdown still on its way when they
    // are back would take them out of the rotation again after the wait for two replicas below.
    const flaggedDown = (node: TopologyNode) =>
      new Set(
        topology.events
          .filter(
            (e) =>
              e.type === '+sdown' &&
              e.at >= killedAt &&
              e.message.startsWith(`slave ${node.address} `),
          )
          .map((e) => e.sentinel.name),
      ).size;
    const sentinels = topology.sentinelNodes.length;
    const deadline = Date.now() + 15_000;
    while (flaggedDown(a!) < sentinels || flaggedDown(b!) < sentinels) {
      if (Date.now() > deadline) throw new Error('the sentinels did not flag both replicas down');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const before = client.stats().masterReads;
    for (let i = 0; i < 50; i++) expect(await client.read((r) => r.get('spread'))).toBe('v');
    expect(client.stats().masterReads - before).toBe(50);
    await expect(
      client.read((r) => r.get('spread'), { readFrom: 'replica-only' }),
    ).rejects.toMatchObject({
      code: 'NO_REPLICA_AVAILABLE',
    });

    await topology.restart(a!);
    await topology.restart(b!);
    await untilReplicaCount(client, 2, 30_000);
    await resetStats(topology);
    for (let i = 0; i < 100; i++) await client.read((r) => r.get('spread'));
    expect(await commandCount(topology, await topology.currentMaster(), 'get')).toBe(0);
  });
});
