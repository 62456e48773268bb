import { randomBytes } from 'node:crypto';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '@sentinelkit/core';
import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SentinelStore } from '../src/index.js';
import {
  breakReplicationLink,
  commandCount,
  onNode,
  resetStats,
  sessionData,
  until,
  untilReplicaCount,
} from './helpers.js';

const sid = () => randomBytes(18).toString('base64url');
const prefix = () => `s${randomBytes(4).toString('hex')}:`;

describe('SentinelStore on a real topology (1 master, 2 replicas, 3 sentinels)', () => {
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

  it('by default, sessions are read from the replicas, and each write waits for both', async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    const ids = Array.from({ length: 40 }, sid);
    for (const id of ids) await store.set(id, sessionData({ id }));
    for (const id of ids) expect(await store.get(id)).toMatchObject({ id });

    const master = await topology.currentMaster();
    const replicas = await topology.replicas();
    const served = await Promise.all(replicas.map((n) => commandCount(topology, n, 'mget')));
    expect(served.reduce((a, b) => a + b, 0)).toBe(40);
    for (const count of served) expect(count).toBeGreaterThan(0);
    expect(await commandCount(topology, master, 'get')).toBe(0);
    expect(await commandCount(topology, master, 'mget')).toBe(0);
    expect(await commandCount(topology, master, 'wait')).toBeGreaterThan(0);
    expect(store.stats()).toMatchObject({ replicaReads: 40, masterReads: 0, shortfallWaits: 0 });
  });

  it('the gets of one tick share one MGET, each answered with its own session', async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    const ids = Array.from({ length: 30 }, sid);
    await Promise.all(ids.map((id) => store.set(id, sessionData({ id }))));
    const missing = sid();
    const replicaMgets = async () => {
      const replicas = await topology.replicas();
      const served = await Promise.all(replicas.map((n) => commandCount(topology, n, 'mget')));
      return served.reduce((a, b) => a + b, 0);
    };
    for (const round of [1, 2]) {
      await resetStats(topology);
      const sessions = await Promise.all([...ids, missing].map((id) => store.get(id)));
      expect(sessions.slice(0, -1).map((s) => (s as { id?: string } | null)?.id)).toEqual(ids);
      expect(sessions.at(-1)).toBeNull();
      // The store's first tick of reads follows a quiet one: its first get goes at once, the
      // other 30 wait for the end of the tick. From then on the whole tick is one MGET.
      expect(await replicaMgets()).toBe(round === 1 ? 2 : 1);
      // The miss alone is read again from the master.
      expect(await commandCount(topology, await topology.currentMaster(), 'get')).toBe(1);
    }
    expect(store.stats()).toMatchObject({ replicaReads: 60, rereads: { miss: 2, stale: 0 } });
  });

  it("readFrom: 'master' reads from the master only and does not WAIT", async () => {
    const store = new SentinelStore({ client, prefix: prefix(), readFrom: 'master' });
    const id = sid();
    await store.set(id, sessionData({ v: 1 }));
    for (let i = 0; i < 20; i++) expect(await store.get(id)).toMatchObject({ v: 1 });
    // One at a time: a GET each (a tick's worth of gets would be one MGET).
    expect(await commandCount(topology, await topology.currentMaster(), 'get')).toBe(20);
    expect(await commandCount(topology, await topology.currentMaster(), 'wait')).toBe(0);
    for (const replica of await topology.replicas()) {
      expect(await commandCount(topology, replica, 'get')).toBe(0);
      expect(await commandCount(topology, replica, 'mget')).toBe(0);
    }
  });

  it('all, ids, length and clear SCAN the master only', async () => {
    const store = new SentinelStore({ client, prefix: prefix(), scanCount: 5 });
    for (let i = 0; i < 12; i++) await store.set(sid(), sessionData({ i }));
    expect(await store.length()).toBe(12);
    expect(await store.ids()).toHaveLength(12);
    expect(await store.all()).toHaveLength(12);
    await store.clear();
    expect(await store.length()).toBe(0);
    expect(await commandCount(topology, await topology.currentMaster(), 'scan')).toBeGreaterThan(4);
    for (const replica of await topology.replicas()) {
      expect(await commandCount(topology, replica, 'scan')).toBe(0);
    }
  });

  it('a prefix with glob characters lists only its own sessions', async () => {
    const base = prefix();
    const store = new SentinelStore({ client, prefix: `${base}[a]*:` });
    const neighbour = new SentinelStore({ client, prefix: `${base}a:` });
    await store.set(sid(), sessionData());
    await neighbour.set(sid(), sessionData());
    expect(await store.length()).toBe(1);
    await store.clear();
    expect(await neighbour.length()).toBe(1);
  });

  it('touchAfter skips a touch that would move the expiry by less, and does touch otherwise', async () => {
    const store = new SentinelStore({ client, prefix: prefix(), touchAfter: 60 });
    const master = await topology.currentMaster();
    const id = sid();
    await store.set(id, sessionData({}, 3_600_000));
    // The same request's get then touch, as express-session does: an hour left, an hour asked.
    await store.get(id);
    await store.touch(id, sessionData({}, 3_600_000));
    expect(await commandCount(topology, master, 'expire')).toBe(0);
    expect(store.stats().skippedTouches).toBe(1);
    // Two hours asked: the expiry moves by an hour, more than touchAfter.
    await store.get(id);
    await store.touch(id, sessionData({}, 7_200_000));
    expect(await commandCount(topology, master, 'expire')).toBe(1);
    const pttl = Number(await onNode(topology, master, 'PTTL', `${store.prefix}${id}`));
    expect(pttl).toBeGreaterThan(7_000_000);
    // Off by default: every touch writes.
    const plain = new SentinelStore({ client, prefix: prefix() });
    await plain.set(id, sessionData({}, 3_600_000));
    await plain.get(id);
    await plain.touch(id, sessionData({}, 3_600_000));
    expect(await commandCount(topology, master, 'expire')).toBe(2);
  });

  it('the touches of one tick are one script call on the master, each key getting its own TTL', async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    const ids = Array.from({ length: 20 }, sid);
    await Promise.all(ids.map((id) => store.set(id, sessionData({ id }))));
    await resetStats(topology);
    await Promise.all(ids.map((id, i) => store.touch(id, sessionData({}, (i + 1) * 3_600_000))));
    const master = await topology.currentMaster();
    expect(await commandCount(topology, master, 'eval')).toBe(1);
    expect(await commandCount(topology, master, 'expire')).toBe(20); // run by the script
    for (const [i, id] of ids.entries()) {
      const ttl = Number(await onNode(topology, master, 'TTL', store.prefix + id));
      expect(ttl).toBeGreaterThan((i + 1) * 3600 - 10);
      expect(ttl).toBeLessThanOrEqual((i + 1) * 3600);
    }
    // A lone touch is a plain EXPIRE.
    await resetStats(topology);
    await store.touch(ids[0]!, sessionData({}, 60_000));
    expect(await commandCount(topology, master, 'eval')).toBe(0);
    expect(await commandCount(topology, master, 'expire')).toBe(1);
  });

  it('touches still work for an ACL user refused scripts: plain EXPIREs from then on', async () => {
    const nodes = [await topology.currentMaster(), ...(await topology.replicas())];
    for (const node of nodes) {
      await onNode(
        topology,
        node,
        'ACL',
        'SETUSER',
        'noscripts',
        'on',
        '>noscripts-pw',
        '~*',
        '&*',
        '+@all',
        '-@scripting',
      );
    }
    const restricted = createSentinelClient(topology.location, {
      username: 'noscripts',
      password: 'noscripts-pw',
    });
    try {
      await restricted.connect();
      const store = new SentinelStore({ client: restricted, prefix: prefix() });
      const ids = Array.from({ length: 5 }, sid);
      await Promise.all(ids.map((id) => store.set(id, sessionData({ id }))));
      for (let round = 0; round < 2; round++) {
        await Promise.all(ids.map((id) => store.touch(id, sessionData({}, 7_200_000))));
      }
      const master = await topology.currentMaster();
      for (const id of ids) {
        expect(Number(await onNode(topology, master, 'TTL', store.prefix + id))).toBeGreaterThan(
          7000,
        );
      }
      // The first round's script was refused and replaced; the second round sent none.
      expect(await commandCount(topology, master, 'expire')).toBe(10);
    } finally {
      await restricted.close();
      for (const node of nodes) await onNode(topology, node, 'ACL', 'DELUSER', 'noscripts');
    }
  });

  it('a replica without a live heartbeat serves nothing; the heartbeat comes back as stores are used', async () => {
    const options = { client, prefix: prefix(), maxReplicaLag: 60_000, heartbeatKey: 'hb:idle' };
    const store = new SentinelStore(options);
    const id = sid();
    // set() renews the heartbeat; with maxReplicaLag 60 s this store renews it again in 15 s.
    await store.set(id, sessionData({ v: 1 }));
    await onNode(topology, await topology.currentMaster(), 'DEL', 'hb:idle');
    const replicas = await topology.replicas();
    await until('the heartbeat to be gone from both replicas', async () => {
      const left = await Promise.all(replicas.map((r) => onNode(topology, r, 'EXISTS', 'hb:idle')));
      return left.every((n) => Number(n) === 0);
    });
    expect(await store.get(id)).toMatchObject({ v: 1 });
    expect(store.stats()).toMatchObject({ replicaReads: 0, masterReads: 1 });
    expect(store.stats().rereads.stale).toBe(1);
    // Another store (another process) renews the heartbeat on its first use.
    await new SentinelStore(options).get(id);
    await until('the heartbeat on both replicas', async () => {
      const held = await Promise.all(replicas.map((r) => onNode(topology, r, 'EXISTS', 'hb:idle')));
      return held.every((n) => Number(n) === 1);
    });
    expect(await store.get(id)).toMatchObject({ v: 1 });
    expect(store.stats().replicaReads).toBe(1);
  });

  it('a miss on a replica is read again from the master', async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    expect(await store.get(sid())).toBeNull();
    expect(store.stats().rereads.miss).toBe(1);
    expect(store.stats().masterReads).toBe(1);
  });

  it('a replica cut off from the master stops serving within maxReplicaLag, and writes wait at most that', async () => {
    const writer = new SentinelStore({ client, prefix: prefix() });
    // A second client and store: another process. It polls Sentinel once a minute, so the
    // cut-off replica stays in its rotation (Sentinel reports the broken link within ~10 s, and a
    // client polling every second would stop reading from it): its reads must meet the rule.
    const otherClient = createSentinelClient(topology.location, { sentinelPollInterval: 60_000 });
    await otherClient.connect();
    try {
      await untilReplicaCount(otherClient, 2);
      const reader = new SentinelStore({ client: otherClient, prefix: writer.prefix });
      const id = sid();
      await writer.set(id, sessionData({ v: 1 }));
      const lagging = (await topology.replicas())[0]!;
      const mend = await breakReplicationLink(topology, lagging);
      try {
        const started = Date.now();
        await writer.set(id, sessionData({ v: 2 }));
        const took = Date.now() - started;
        // The cut-off replica did not acknowledge: the write waited until its heartbeat had
        // expired (1000 ms + 250 ms skew), unless the replica left this client's rotation first.
        expect(writer.stats().shortfallWaits).toBeGreaterThan(0);
        expect(took).toBeLessThan(1000 + 250 + 500);
        // It really lags: it still holds v1.
        const onLagging = await onNode(topology, lagging, 'GET', `${writer.prefix}${id}`);
        expect(JSON.parse(String(onLagging))).toMatchObject({ v: 1 });
        expect(await onNode(topology, lagging, 'EXISTS', 'sentinelkit:heartbeat')).toBe(0);
        // Reads go on (30 at least) until one has landed on the cut-off replica, found no
        // heartbeat there and been re-read from the master; every one answers v2.
        let reads = 0;
        await until('a read to land on the cut-off replica and be re-read', async () => {
          expect(await reader.get(id)).toMatchObject({ v: 2 });
          return ++reads >= 30 && reader.stats().rereads.stale > 0;
        });
        expect(reader.stats().masterReads + reader.stats().replicaReads).toBe(reads);
        expect(otherClient.topology().replicas.some((r) => r.address.port === lagging.port)).toBe(
          true,
        );
      } finally {
        await mend();
      }
    } finally {
      await otherClient.close();
    }
  });

  it('a write a frozen replica does not acknowledge waits until its heartbeat expired or it left the rotation', async () => {
    const store = new SentinelStore({ client, prefix: prefix() });
    const id = sid();
    await store.set(id, sessionData({ v: 1 }));
    const frozen = (await topology.replicas())[0]!;
    // When the client took the frozen replica out of its rotation, if it did.
    let removedAt: number | undefined;
    const onChange = (event: TopologyEvent) => {
      if (event.type === 'REPLICA_REMOVE' && event.replica.port === frozen.port) {
        removedAt ??= Date.now();
      }
    };
    client.on('topology-change', onChange);
    await topology.freeze(frozen);
    try {
      const started = Date.now();
      await store.set(id, sessionData({ v: 2 }));
      const ended = Date.now();
      const took = ended - started;
      // The write waited for one of its two reasons, whichever came first: the frozen
      // replica's heartbeat expired (1000 + 250 ms), or the client took it out of the rotation.
      expect(store.stats().stalledWrites).toBe(1);
      expect(took).toBeGreaterThanOrEqual(100);
      expect(took).toBeLessThan(1000 + 250 + 500);
      const heartbeatExpired = took >= 1000 + 250 - 50;
      const leftRotation = removedAt !== undefined && removedAt <= ended;
      expect(
        heartbeatExpired || leftRotation,
        `took ${took} ms; left the rotation ${removedAt === undefined ? 'never' : `after ${removedAt - started} ms`}`,
      ).toBe(true);
      expect(await store.get(id)).toMatchObject({ v: 2 });
    } finally {
      client.off('topology-change', onChange);
      await topology.thaw(frozen);
    }
  });
});
