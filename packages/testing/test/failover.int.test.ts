import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SentinelTopology, startSentinelTopology } from '../src/index.js';
import { backendLabel, isNodeGone, onNode, roleOf } from './helpers.js';

describe(`startSentinelTopology (${backendLabel}): start, kill, restart, failover`, () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology();
  });

  afterAll(async () => {
    await topology?.stop();
  });

  // Each test starts from every node running and the sentinels agreeing, whatever the one before
  // it left behind (a killed master, a replica still resyncing).
  beforeEach(async () => {
    if (!topology) return;
    await topology.thaw();
    for (const node of [...topology.dataNodes, ...topology.sentinelNodes]) {
      if (node.state === 'killed') await topology.restart(node);
    }
    await topology.waitForHealthy({ timeoutMs: 30_000 });
  });

  it('starts 1 master, 2 replicas and 3 sentinels that agree', async () => {
    expect(topology.dataNodes).toHaveLength(3);
    expect(topology.sentinelNodes).toHaveLength(3);
    const ports = [...topology.dataNodes, ...topology.sentinelNodes].map((n) => n.port);
    expect(new Set(ports).size).toBe(6);
    expect(topology.location).toBe(
      `mymaster/${topology.sentinelNodes.map((n) => `127.0.0.1:${n.port}`).join(',')}/0`,
    );
    const master = await topology.currentMaster();
    expect(master.name).toBe('data-0');
    expect(await roleOf(topology, master)).toBe('master');
    for (const replica of await topology.replicas()) {
      const role = (await onNode(topology, replica, 'ROLE')) as unknown[];
      expect(role.slice(0, 3)).toEqual(['slave', '127.0.0.1', master.port]);
    }
  });

  it('kill master: Sentinel promotes a replica and waitForSwitch reports it', async () => {
    const old = await topology.killMaster();
    expect(old.state).toBe('killed');
    expect(await isNodeGone(old)).toBe(true);
    const switched = await topology.waitForSwitch();
    expect(switched.from).toEqual({ host: '127.0.0.1', port: old.port });
    expect(switched.master).not.toBe(old);
    expect(switched.at).toBeGreaterThan(0);
    expect(await roleOf(topology, switched.master)).toBe('master');
    expect(await topology.waitForHealthy()).toBe(switched.master);
  });

  it('restart: a killed old master rejoins as a replica of the new one', async () => {
    const old = await topology.killMaster();
    const switched = await topology.waitForSwitch();
    expect(switched.master).not.toBe(old);
    await topology.restart(old);
    expect(old.state).toBe('running');
    // waitForHealthy only passes once every running data node follows the master.
    const master = await topology.waitForHealthy({ timeoutMs: 30_000 });
    expect(master).not.toBe(old);
    expect(await roleOf(topology, old)).toBe('slave');
  });

  it('failover(): SENTINEL FAILOVER moves the master gracefully', async () => {
    const before = await topology.currentMaster();
    await topology.failover();
    const switched = await topology.waitForSwitch();
    expect(switched.from.port).toBe(before.port);
    expect(switched.master).not.toBe(before);
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    expect(await roleOf(topology, before)).toBe('slave');
  });

  it('killReplica / killSentinel / restart bring nodes down and back', async () => {
    const replica = await topology.killReplica(0);
    expect(replica.state).toBe('killed');
    // replicas() lists what serves: a killed replica is not in it, so killReplica(0) would now
    // name the other one, and killing a killed node is a typed error, not a silent no-op.
    expect(await topology.replicas()).not.toContain(replica);
    expect(await topology.replicas()).toHaveLength(1);
    await expect(topology.kill(replica)).rejects.toMatchObject({
      name: 'TopologyError',
      code: 'NODE_NOT_RUNNING',
    });
    await expect(topology.freeze(replica)).rejects.toMatchObject({ code: 'NODE_NOT_RUNNING' });
    const sentinel = await topology.killSentinel(2);
    expect(await isNodeGone(sentinel)).toBe(true);
    // The two remaining sentinels still agree on the master.
    await topology.waitForHealthy();
    await topology.restart(sentinel);
    await topology.restart(replica);
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    expect(await roleOf(topology, replica)).toBe('slave');
    expect(await topology.replicas()).toContain(replica);
  });
});
