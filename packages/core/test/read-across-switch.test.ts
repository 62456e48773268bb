// A read in flight on the master when the client switches to a new one: the switch closes the
// old master's connection, so the read fails with "Connection is closed." although no node
// failed it. Seen in failover.int.test.ts (SENTINEL FAILOVER five times, under load): a read
// that a replica being reconfigured had failed (Sentinel kills its clients) ran its one retry on
// the master, which the switch a few ms later closed, and the caller got the raw error.
// Fake RESP nodes make that order certain.

import { startFakeRedis } from '@sentinelkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import {
  at,
  count,
  fakeDataNode,
  fakeSentinel,
  fakes,
  MASTER_NAME,
  masterRole,
  replicaEntry,
  replicaRole,
} from './helpers/fake-topology.js';

const clients: SentinelClient[] = [];

afterEach(async () => {
  await Promise.all([
    ...clients.splice(0).map((c) => c.close()),
    ...fakes.splice(0).map((f) => f.close()),
  ]);
});

describe('a read in flight on the master when writes move to a new one', () => {
  it('runs on the new master, though its one retry was used', async () => {
    // The new master, named by the sentinel once the replica has failed the read.
    const next = await fakeDataNode(masterRole, (args) =>
      args[0]?.toUpperCase() === 'GET' ? 'v' : undefined,
    );
    let named = { host: '', port: 0 };
    // The master does not answer the read (it is closed by the switch first).
    const old = await fakeDataNode(masterRole, (args) =>
      args[0]?.toUpperCase() === 'GET' ? 'hang' : undefined,
    );
    named = at(old);
    // The replica drops the read's connection (as Sentinel's CLIENT KILL does), and the sentinel
    // names the new master from then on.
    const replica = await startFakeRedis((args) => {
      switch (args[0]?.toUpperCase()) {
        case 'INFO':
          return '# Server\r\nredis_version:7.0.15\r\nloading:0\r\n';
        case 'ROLE':
          return replicaRole(at(old))();
        case 'GET':
          named = at(next);
          return 'close';
        default:
          return undefined;
      }
    });
    fakes.push(replica);
    const sentinel = await fakeSentinel({
      master: (name) => (name === MASTER_NAME ? [named.host, String(named.port)] : null),
      replicas: () => (named.port === old.port ? [replicaEntry(at(replica), at(old))] : []),
    });
    const client = createSentinelClient({
      masterName: MASTER_NAME,
      sentinels: [at(sentinel)],
      sentinelPollInterval: 20,
    });
    clients.push(client);
    await client.connect();
    expect(client.topology().replicas.map((r) => r.address.port)).toEqual([replica.port]);

    const result = await client
      .read((r) => r.get('k'))
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );

    expect(result).toEqual({ value: 'v' });
    // It ran on the replica, then on the old master (its retry), then on the new one.
    expect([replica, old, next].map((node) => count(node, 'GET'))).toEqual([1, 1, 1]);
    expect(client.topology().master?.address.port).toBe(next.port);
  });
});
