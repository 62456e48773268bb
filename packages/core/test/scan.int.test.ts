import {
  type ConnectedTopology,
  callsByRole,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import { scanMaster, scanNode } from '../src/scan.js';

// The SCAN both stores use (cache-manager's clear() and iterator, express-session's all/ids/
// length/clear), on its own: on the master only, the client's keyPrefix handled once.
describe('scanMaster / scanNode on a real topology', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  let connected: ConnectedTopology<SentinelClient> | undefined;

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) =>
      createSentinelClient(location, { keyPrefix: 'tenant[1]:' }),
    );
    ({ topology, client } = connected);
  });

  afterAll(() => connected?.stop());

  it('finds each key under the pattern once, without the keyPrefix, and never asks a replica', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `scan:${i}`);
    await client.write((master) => master.mset(Object.fromEntries(keys.map((k) => [k, '1']))));
    // Outside the client's keyPrefix: not listed, though it matches the pattern itself.
    await topology.command(await topology.currentMaster(), 'SET', 'scan:outside', '1');
    await topology.resetCommandStats();

    const found = await scanMaster(client, 'scan:*', 10);
    expect(found.sort()).toEqual([...keys].sort());
    const calls = await callsByRole(topology, 'scan');
    expect(calls.master).toBeGreaterThan(1);
    expect(calls.replicas).toEqual(calls.replicas.map(() => 0));
  });

  it('hands out keys a command on the same connection can use as they are', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `sweep:${i}`);
    await client.write((master) => master.mset(Object.fromEntries(keys.map((k) => [k, '1']))));
    await topology.command(await topology.currentMaster(), 'SET', 'sweep:outside', '1');
    const deleted = await client.write(async (master) => {
      let n = 0;
      for await (const batch of scanNode(master, 'sweep:*', 50)) {
        if (batch.length > 0) n += await master.unlink(batch);
      }
      return n;
    });
    expect(deleted).toBe(120);
    expect(await scanMaster(client, 'sweep:*', 10)).toEqual([]);
    const master = await topology.currentMaster();
    expect(await topology.command(master, 'EXISTS', 'sweep:outside')).toBe(1);
  });
});
