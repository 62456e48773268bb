import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import { missingOn, startLoad } from './helpers/load.js';
import {
  commandCount,
  nextTopologyEvent,
  onNode,
  resetStats,
  untilReplicaCount,
} from './helpers/topology.js';

describe('a TLS-only topology with mutual TLS (1 master, 2 replicas, 3 sentinels)', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;

  beforeAll(async () => {
    topology = await startSentinelTopology({ tls: { clientCertificates: 'required' } });
    // The CA and the client certificate, for data nodes and sentinels alike.
    client = createSentinelClient(topology.connectionOptions);
    await client.connect();
    await untilReplicaCount(client, 2);
  });

  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  it('discovers the master, both replicas and every sentinel over TLS', async () => {
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

  it('writes land on the master, reads on the replicas', async () => {
    await resetStats(topology);
    for (let i = 0; i < 20; i++) await client.write((r) => r.set(`tls:${i}`, String(i)));
    for (let i = 0; i < 200; i++) expect(await client.read((r) => r.get('tls:7'))).toBe('7');

    const master = await topology.currentMaster();
    expect(await commandCount(topology, master, 'set')).toBe(20);
    expect(await commandCount(topology, master, 'get')).toBe(0);
    const replicas = await topology.replicas();
    const served = await Promise.all(replicas.map((n) => commandCount(topology, n, 'get')));
    expect(served.reduce((a, b) => a + b, 0)).toBe(200);
    for (const count of served) expect(count).toBeGreaterThan(0);
  });

  it('kill master under load: no app-visible error, durable writes survive', async () => {
    const load = await startLoad(client, { prefix: 'tls-kill' });
    const switched = nextTopologyEvent(
      client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    const old = await topology.killMaster();
    await switched;
    const { master } = await topology.waitForSwitch();
    const result = await load.stop();

    expect(result.writeErrors).toEqual([]);
    expect(result.readErrors).toEqual([]);
    expect(result.wrongReads).toBe(0);
    expect(client.topology().master?.address.port).toBe(master.port);
    expect(master.port).not.toBe(old.port);
    const onMaster = async (keys: string[]) =>
      (await onNode(topology, await topology.currentMaster(), 'MGET', ...keys)) as (
        | string
        | null
      )[];
    expect(result.durableAcks.length).toBeGreaterThan(0);
    expect(await missingOn(onMaster, result.durableAcks)).toEqual([]);
  });
});
