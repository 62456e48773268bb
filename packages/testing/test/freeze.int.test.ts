import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentinelTopology, startSentinelTopology } from '../src/index.js';
import { onNode, roleOf } from './helpers.js';

describe('freeze faults (SIGSTOP)', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology();
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('freeze master: Sentinel promotes a replica; thawed, the old master is demoted', async () => {
    const old = await topology.freezeMaster();
    expect(old.state).toBe('frozen');
    const switched = await topology.waitForSwitch();
    expect(switched.from.port).toBe(old.port);
    expect(switched.master).not.toBe(old);
    await topology.thaw();
    expect(old.state).toBe('running');
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    expect(await roleOf(topology, old)).toBe('slave');
  });

  it('freeze replica: the node stops answering until thawed', async () => {
    const replica = await topology.freezeReplica(1);
    expect(replica.state).toBe('frozen');
    await expect(onNode(topology, replica, 'PING')).rejects.toThrow(/timed out/i);
    await topology.thaw(replica);
    expect(await onNode(topology, replica, 'PING')).toBe('PONG');
  });
});
