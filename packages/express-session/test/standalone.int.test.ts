// The session store on a second implementation of the contract: @sentinelkit/testing's
// SingleNodeClient over one real redis-server (no Sentinel, no replica). The store's source is
// the same as on SentinelClient: it uses the RoutedClient contract only.
import { type SingleNodeClient, startStandaloneClient } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SentinelStore } from '../src/index.js';
import { sessionData } from './helpers.js';

let client: SingleNodeClient;

beforeAll(async () => {
  client = await startStandaloneClient();
  await client.connect();
});

afterAll(async () => {
  await client?.close();
});

const SID = 'a-session-id-of-some-length';

describe('SentinelStore on a SingleNodeClient', () => {
  it('set, get, touch, length, all, destroy, clear', async () => {
    const store = new SentinelStore({ client, prefix: 'standalone:' });
    await store.set(SID, sessionData({ user: 'ada' }));
    expect(await store.get(SID)).toMatchObject({ user: 'ada' });
    await store.touch(SID, sessionData({ user: 'ada' }, 120_000));
    expect(await store.length()).toBe(1);
    expect(await store.all()).toEqual([expect.objectContaining({ user: 'ada' })]);
    await store.destroy(SID);
    expect(await store.get(SID)).toBeNull();
    await store.set(SID, sessionData());
    await store.clear();
    expect(await store.length()).toBe(0);
  });

  // Moved from served-by.test.ts, where a stand-in answered on the master: here a real node does.
  it('a miss on the master is served as is: one read, and the store never asks for the topology', async () => {
    const topology = vi.spyOn(client, 'topology');
    const store = new SentinelStore({ client, prefix: 'miss:' });
    const reads = client.stats().masterReads;
    expect(await store.get('a-session-id-nobody-has-stored')).toBeNull();
    expect(client.stats().masterReads).toBe(reads + 1);
    expect(topology).not.toHaveBeenCalled();
    expect(store.stats()).toMatchObject({ masterReads: 1, rereads: { miss: 0, stale: 0 } });
    topology.mockRestore();
  });
});
