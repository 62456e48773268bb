import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import {
  makeCertificates,
  nodeHostname,
  type SentinelTopology,
  startSentinelTopology,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionSetupError,
  createSentinelClient,
  isSentinelKitError,
  type SentinelClient,
  type SentinelClientOptions,
} from '../src/index.js';
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

  // "At once" means well within connectTimeout (a bound relative to the budget, not a wall-clock
  // figure a loaded machine can miss): a transient error would be retried until it ran out.
  const CONNECT_TIMEOUT = 5000;
  const AT_ONCE_MS = CONNECT_TIMEOUT / 2;

  /** How `connect()` fails with `change` applied to the right options, and how fast. */
  async function connectFailure(change: Partial<SentinelClientOptions>) {
    const wrong = createSentinelClient({
      ...topology.connectionOptions,
      connectTimeout: CONNECT_TIMEOUT,
      ...change,
    });
    wrong.on('error', () => {});
    const started = Date.now();
    const error = await wrong.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    const ms = Date.now() - started;
    await wrong.close();
    return { error: error as ConnectionSetupError, ms };
  }

  const otherCa = () => makeCertificates(['other'], { hostnameCertificates: false }).client;

  it('a wrong CA for the data nodes fails connect() at once with TLS_FAILED naming tls.ca', async () => {
    const { error, ms } = await connectFailure({ tls: { ...topology.tls, ca: otherCa().ca } });
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error).toBeInstanceOf(ConnectionSetupError);
    expect(error.option).toBe('tls.ca');
    expect(error.message).toMatch(/"tls\.ca".*self-signed certificate in certificate chain/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('a wrong CA for the sentinels fails connect() with TLS_FAILED naming sentinelTls.ca', async () => {
    const { error, ms } = await connectFailure({
      sentinelTls: { ...topology.tls, ca: otherCa().ca },
    });
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error.option).toBe('sentinelTls.ca');
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('mutual TLS without a client certificate fails connect() with TLS_FAILED naming tls.cert', async () => {
    const { error, ms } = await connectFailure({ tls: { ca: topology.tls?.ca } });
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error.option).toBe('tls.cert');
    expect(error.message).toMatch(/mutual TLS/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('a client certificate from another CA fails connect() with TLS_FAILED naming tls.cert', async () => {
    const other = otherCa();
    const { error } = await connectFailure({
      tls: { ca: topology.tls?.ca, cert: other.cert, key: other.key },
    });
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error.option).toBe('tls.cert');
  });

  it('a certificate that does not name the node fails with TLS_FAILED naming tls.servername', async () => {
    const { error, ms } = await connectFailure({
      tls: { ...topology.tls, servername: 'not-this-node.example' },
    });
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error.option).toBe('tls.servername');
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('a plain client against TLS-only sentinels is told to set sentinelTls', async () => {
    const { error } = await connectFailure({ sentinelTls: false });
    expect(isSentinelKitError(error, 'NO_SENTINEL_REACHABLE')).toBe(true);
    expect(error.message).toMatch(/"sentinelTls".*rediss\+sentinel:\/\//);
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
    // Acknowledged by both replicas: a read right after may go to either.
    for (let i = 0; i < 20; i++) {
      await client.write((r) => r.set(`tls:${i}`, String(i)), { waitReplicas: 2 });
    }
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

/**
 * Certificates that name each node by a hostname only (`data-1.sentinelkit.localhost`), not by
 * 127.0.0.1. Those names do not resolve on this machine (no `*.localhost` resolver, and tests may
 * not edit /etc/hosts), so nodes are reached on 127.0.0.1 and each name is checked through
 * `servername` (SNI and the certificate's subjectAltName).
 */
describe('TLS options per data node (certificates naming each node by hostname)', () => {
  let topology: SentinelTopology;
  const clients: SentinelClient[] = [];

  beforeAll(async () => {
    topology = await startSentinelTopology({ tls: { hostnameCertificates: true } });
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await topology?.stop();
  });

  /** Sentinels are one TLS object: accept any sentinel's certificate of this topology. */
  const sentinelTls = () => ({
    ca: topology.tls?.ca,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      topology.sentinelNodes.some(
        (s) => checkServerIdentity(nodeHostname(s.name), cert) === undefined,
      )
        ? undefined
        : new Error(`not a sentinel of this topology: ${cert.subjectaltname}`),
  });
  /** The hostname the certificate of the data node at `port` names. */
  const nameAt = (port: number) =>
    nodeHostname(topology.dataNodes.find((n) => n.port === port)?.name ?? 'unknown');

  it('tls as a function gives each node its own servername: master and both replicas verify', async () => {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      sentinelTls: sentinelTls(),
      tls: ({ port }) => ({ ca: topology.tls?.ca, servername: nameAt(port) }),
    });
    clients.push(client);
    await client.connect();
    await untilReplicaCount(client, 2);
    await client.write((r) => r.set('per-node', 'v'));
    await resetStats(topology);
    for (let i = 0; i < 50; i++) expect(await client.read((r) => r.get('per-node'))).toBe('v');
    const served = await Promise.all(
      (await topology.replicas()).map((n) => commandCount(topology, n, 'get')),
    );
    expect(served.reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('one servername for every node (the ioredis#1832 trap) verifies one node only', async () => {
    const master = await topology.currentMaster();
    const client = createSentinelClient({
      ...topology.connectionOptions,
      sentinelTls: sentinelTls(),
      tls: { ca: topology.tls?.ca, servername: nodeHostname(master.name) },
    });
    clients.push(client);
    const replicaPorts = (await topology.replicas()).map((n) => n.port);
    // Each replica is refused (its certificate names another host), reported as an error event.
    const refusedBoth = new Promise<Error[]>((resolve) => {
      const refused: Error[] = [];
      client.on('error', (e) => {
        refused.push(e);
        const ports = replicaPorts.filter((p) => refused.some((r) => r.message.includes(`:${p}`)));
        if (ports.length === replicaPorts.length) resolve(refused);
      });
    });
    await client.connect();
    await client.write((r) => r.set('trap', 'v'));
    const refused = await refusedBoth;
    expect(refused.map((e) => e.message).join('\n')).toMatch(/altnames/);
    expect(client.topology().replicas).toEqual([]);
  });

  it('without a servername the IP is checked against names only: TLS_FAILED naming tls.servername', async () => {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      sentinelTls: sentinelTls(),
      tls: { ca: topology.tls?.ca },
      connectTimeout: 5000,
    });
    clients.push(client);
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e as ConnectionSetupError,
    );
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error?.option).toBe('tls.servername');
    expect(error?.message).toMatch(/function/);
  });
});
