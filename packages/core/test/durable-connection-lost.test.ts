// A durable write (waitReplicas) whose node drops the connection it is about to run on, while
// that connection opens: a fake RESP master closing it during its ready check, as a data node
// does at a failover (Sentinel sends `CLIENT KILL TYPE normal` to every node it reconfigures).
// Seen once in failover.int.test.ts under load: the write failed with CONNECTION_FAILED
// ("Connection is closed.") instead of running again.

import { startFakeRedis } from '@sentinelkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '../src/index.js';
import { at, count, fakes, knows, MASTER_NAME, masterRole } from './helpers/fake-topology.js';

const clients: SentinelClient[] = [];

afterEach(async () => {
  await Promise.all([
    ...clients.splice(0).map((c) => c.close()),
    ...fakes.splice(0).map((f) => f.close()),
  ]);
});

/** A connected client on a fake master that drops the first durable connection as it opens. */
async function masterDroppingDurableConnection() {
  let infos = 0;
  // INFO is each connection's ready check: the 1st is the master's shared connection (dialled
  // and verified by connect()), the 2nd the durable connection the first durable write opens.
  const master = await startFakeRedis((args) => {
    switch (args[0]?.toUpperCase()) {
      case 'INFO':
        return ++infos === 2 ? 'close' : '# Server\r\nredis_version:7.0.15\r\nloading:0\r\n';
      case 'ROLE':
        return masterRole();
      case 'SET':
        return { simple: 'OK' };
      case 'WAIT':
        return 1;
      default:
        return undefined;
    }
  });
  fakes.push(master);
  const sentinel = await knows(at(master));
  const client = createSentinelClient({
    masterName: MASTER_NAME,
    sentinels: [at(sentinel)],
    sentinelPollInterval: 60_000,
  });
  clients.push(client);
  const events: TopologyEvent[] = [];
  client.on('topology-change', (e) => events.push(e));
  await client.connect();
  return { master, client, events };
}

describe('a durable write whose connection the master drops while it opens', () => {
  for (const idempotent of [true, false]) {
    it(`${idempotent ? 'an idempotent' : 'a non-idempotent'} write (nothing was sent) runs again instead of failing with the connection error`, async () => {
      const { master, client, events } = await masterDroppingDurableConnection();

      const result = await client
        .write((r) => r.set('k', 'v'), { idempotent, waitReplicas: 1 })
        .then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );

      expect(result).toEqual({ value: 'OK' });
      expect(count(master, 'SET')).toBe(1);
      // The node that dropped the connection was left and verified again before the rerun.
      expect(events.map((e) => e.type)).toContain('MASTER_LOST');
      expect(client.stats().writeRetries).toBe(1);
    });
  }
});
