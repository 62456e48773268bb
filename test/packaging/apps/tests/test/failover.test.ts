// A user's own failover test: the app's client, made as the app makes it, follows a master kill.
import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

let topology: SentinelTopology;
let client: SentinelClient;
beforeAll(async () => {
  topology = await startSentinelTopology();
  client = createSentinelClient(topology.location);
  await client.connect();
}, 60_000);
afterAll(async () => {
  await client?.close();
  await topology?.stop();
});

// A helper typed with the app's own ioredis, as app code is.
const remember = (value: string) => (master: Redis) => master.set('suite:value', value);

it("the app's client follows a master kill", async () => {
  await client.write(remember('before'), { idempotent: true });
  const old = await topology.killMaster();
  const { master } = await topology.waitForSwitch();
  expect(master.port).not.toBe(old.port);

  // The next write reaches the new master, read back there directly, not through the client.
  await client.write(remember('after'), { idempotent: true });
  expect(await topology.command(master, 'GET', 'suite:value')).toBe('after');
  expect(client.topology().master?.address).toEqual({ host: master.host, port: master.port });
}, 60_000);
