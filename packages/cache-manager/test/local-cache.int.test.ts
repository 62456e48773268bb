import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  createSentinelClient,
  formatAddress,
  type SentinelClient,
  type ServedBy,
  type TopologyEvent,
} from '@sentinelkit/core';
import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalFlush, SentinelKeyvStore } from '../src/index.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers.js';

const run = promisify(execFile);

/** The local tier's counters of `store`. */
const local = (store: SentinelKeyvStore) => {
  const stats = store.stats().localCache;
  if (stats === undefined) throw new Error('localCache is off');
  return stats;
};

/** `store.get(key)`, and whether the local tier answered it. */
async function read(store: SentinelKeyvStore, key: string) {
  const hits = local(store).hits;
  const value = await store.get(key);
  return { value, local: local(store).hits > hits };
}

/**
 * Reads `key` until the local tier answers it: the first read of a node opens that node's
 * invalidation link, and only reads sent once it is live are kept.
 */
async function untilHeld(store: SentinelKeyvStore, key: string): Promise<unknown> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { value, local: fromMemory } = await read(store, key);
    if (fromMemory) return value;
  }
  throw new Error(`${key} was never kept in the local tier`);
}

/** Resolves with the first `'local-flush'` of `store` that matches. */
function nextFlush(
  store: SentinelKeyvStore,
  match: (flush: LocalFlush) => boolean,
  timeoutMs = 10_000,
): Promise<LocalFlush> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      store.off('local-flush', onFlush);
      reject(new Error(`no matching local-flush within ${timeoutMs} ms`));
    }, timeoutMs);
    const onFlush = (flush: LocalFlush) => {
      if (!match(flush)) return;
      clearTimeout(timer);
      store.off('local-flush', onFlush);
      resolve(flush);
    };
    store.on('local-flush', onFlush);
  });
}

/** A client whose reads say where they ran (`servedBy` of the last one) and can be held. */
function observedClient(client: SentinelClient) {
  const seen: {
    last: ServedBy | undefined;
    reads: number;
    gate: Promise<void> | undefined;
    arrived?: (() => void) | undefined;
  } = { last: undefined, reads: 0, gate: undefined };
  const real = client.read.bind(client);
  Object.assign(client, {
    // Holding a reply the node already sent stands in for a slow network or a large reply:
    // what makes an invalidation overtake a read on a real deployment, made certain here.
    read: (
      fn: Parameters<SentinelClient['read']>[0],
      options?: Parameters<SentinelClient['read']>[1],
    ) =>
      real(async (node, servedBy) => {
        seen.last = servedBy;
        seen.reads++;
        const result = await fn(node, servedBy);
        seen.arrived?.();
        if (seen.gate) await seen.gate;
        return result;
      }, options),
  });
  return seen;
}

describe('the local tier (localCache) on a Sentinel deployment (1 master, 2 replicas, 3 sentinels)', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  let connected: ConnectedTopology<SentinelClient> | undefined;
  let writer: Redis;
  const stores: SentinelKeyvStore[] = [];

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
    ({ topology, client } = connected);
  });

  afterAll(() => connected?.stop());

  beforeEach(async () => {
    await untilReplicaCount(client, 2);
    const master = await topology.currentMaster();
    writer = new Redis({ host: master.host, port: master.port, lazyConnect: true });
    await writer.connect();
  });

  afterEach(async () => {
    writer.disconnect();
    await Promise.all(stores.splice(0).map((store) => store.disconnect()));
  });

  /** A store on `source` with the local tier (namespace `namespace`, as Keyv would set it). */
  const makeStore = (
    namespace: string,
    options: ConstructorParameters<typeof SentinelKeyvStore>[1] = {},
    source: SentinelClient = client,
  ) => {
    const store = new SentinelKeyvStore(source, { localCache: true, ...options });
    store.namespace = namespace;
    stores.push(store);
    return store;
  };

  /** Collects the times each node's invalidation of each key arrived. */
  const invalidationTimes = (store: SentinelKeyvStore) => {
    const times = new Map<string, Map<string, number>>();
    store.on('local-invalidation', (keys, node) => {
      const at = performance.now();
      for (const key of keys) {
        const byNode = times.get(key) ?? new Map<string, number>();
        if (!byNode.has(node)) byNode.set(node, at);
        times.set(key, byNode);
      }
    });
    return times;
  };

  /** Resolves once every node of `nodes` invalidated `key`. */
  const untilInvalidatedBy = async (
    store: SentinelKeyvStore,
    times: Map<string, Map<string, number>>,
    key: string,
    nodes: string[],
  ): Promise<number[]> => {
    const all = () => nodes.every((node) => times.get(key)?.has(node));
    if (!all()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          store.off('local-invalidation', check);
          reject(
            new Error(
              `${key}: invalidations from ${[...(times.get(key)?.keys() ?? [])]} of ${nodes}`,
            ),
          );
        }, 5000);
        const check = () => {
          if (!all()) return;
          clearTimeout(timer);
          store.off('local-invalidation', check);
          resolve();
        };
        store.on('local-invalidation', check);
      });
    }
    return nodes.map((node) => times.get(key)?.get(node) as number);
  };

  it('a value another client writes (ioredis, redis-cli) is not served locally once the node it was read from said so; the window, measured', async () => {
    const own = createSentinelClient(topology.location);
    await own.connect();
    await untilReplicaCount(own, 2);
    try {
      const seen = observedClient(own);
      // Without refresh: here the next read must go to Redis, to show the entry was dropped (with
      // refresh, a key read since it was stored comes back at once: its own test, below).
      const store = makeStore('win', { localCache: { refresh: false } }, own);
      const times = invalidationTimes(store);
      const rounds = 150;
      const keys = Array.from({ length: rounds }, (_, i) => `win:k${i}`);
      await writer.mset(Object.fromEntries(keys.map((key) => [key, 'old'])));
      await writer.wait(2, 2000);

      const windows: number[] = [];
      for (const [i, key] of keys.entries()) {
        expect(await untilHeld(store, key)).toBe('old');
        // The read kept was the last one sent (a fresh key: at least one was): its node fed it.
        const fedBy = formatAddress(seen.last?.address ?? { host: '', port: 0 });
        let acknowledged: number;
        if (i % 15 === 14) {
          // Another process: redis-cli. Acknowledged when it exits, after the server's reply.
          const master = await topology.currentMaster();
          await run('redis-cli', ['-h', master.host, '-p', String(master.port), 'SET', key, 'new']);
          acknowledged = performance.now();
        } else {
          await writer.set(key, 'new');
          acknowledged = performance.now();
        }
        const [arrival = 0] = await untilInvalidatedBy(store, times, key, [fedBy]);
        if (i % 15 !== 14) windows.push(Math.max(0, arrival - acknowledged));
        const after = await read(store, key);
        expect(after.local, key).toBe(false);
        // The node that said so has the write; another replica may still be behind (and then
        // answers 'old' from Redis, with or without the local tier).
        if (formatAddress(seen.last?.address ?? { host: '', port: 0 }) === fedBy) {
          expect(after.value, key).toBe('new');
        }
      }
      windows.sort((a, b) => a - b);
      const p = (q: number) =>
        windows[Math.min(windows.length - 1, Math.floor(q * windows.length))] ?? 0;
      console.info(
        `local tier: write acknowledged → invalidation from the node that fed the entry, ${windows.length} writes: p50 ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms, max ${p(1).toFixed(2)} ms`,
      );
      // The goal is 5 ms p99 on an idle loopback; on a shared machine scheduling stalls reach the
      // tail (p99 3–13 ms, a max of 75 ms seen), so the tail bound only catches a broken path.
      expect(p(0.5)).toBeLessThan(5);
      expect(p(0.99)).toBeLessThan(100);
      expect(local(store).invalidations).toBeGreaterThanOrEqual(rounds);
      expect(local(store).refreshes).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('an invalidation that arrives while a read of the key is in flight keeps that read out of the tier', async () => {
    const own = createSentinelClient(topology.location);
    await own.connect();
    try {
      const seen = observedClient(own);
      const store = makeStore('race', { readFrom: 'master' }, own);
      const invalidated = new Promise<void>((resolve) => {
        store.on('local-invalidation', (keys) => {
          if (keys.includes('race:k')) resolve();
        });
      });
      await writer.set('race:warm', 'x');
      await untilHeld(store, 'race:warm'); // the master's link is live
      await writer.set('race:k', 'v1');

      let release = () => {};
      seen.gate = new Promise((resolve) => {
        release = resolve;
      });
      const arrived = new Promise<void>((resolve) => {
        seen.arrived = resolve;
      });
      const inFlight = store.get('race:k');
      await arrived; // the master answered v1; the reply is not processed yet
      await writer.set('race:k', 'v2');
      await invalidated; // …and the master's invalidation overtook it
      seen.gate = undefined;
      seen.arrived = undefined;
      release();
      expect(await inFlight).toBe('v1'); // right for that read, which was sent before the write

      expect(await read(store, 'race:k')).toEqual({ value: 'v2', local: false });
    } finally {
      await own.close();
    }
  });

  it('an entry never outlives the key on the server (PTTL read with the value)', async () => {
    const store = makeStore('ttl');
    await writer.set('ttl:k', 'short', 'PX', 400);
    await writer.wait(2, 2000);
    expect(await untilHeld(store, 'ttl:k')).toBe('short');
    // Wait on the master's own view: once it says the key is gone, so must the local tier.
    while ((await writer.exists('ttl:k')) === 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await read(store, 'ttl:k')).toEqual({ value: undefined, local: false });
  });

  it('FLUSHALL (a null invalidation), clear() and disconnect() drop every entry before the next read', async () => {
    const store = makeStore('flush', { clearWithoutNamespace: true });
    const keys = ['flush:a', 'flush:b', 'flush:c'];
    await writer.mset(Object.fromEntries(keys.map((key) => [key, 'v'])));
    await writer.wait(2, 2000);
    for (const key of keys) await untilHeld(store, key);
    const serverFlush = nextFlush(store, (f) => f.cause === 'server-flush');
    await writer.flushall();
    await serverFlush;
    for (const key of keys) expect((await read(store, key)).local).toBe(false);

    await writer.mset(Object.fromEntries(keys.map((key) => [key, 'w'])));
    await writer.wait(2, 2000);
    for (const key of keys) await untilHeld(store, key);
    const cleared = nextFlush(store, (f) => f.cause === 'clear');
    const clearing = store.clear();
    expect(local(store).entries).toBe(0); // at once, before the sweep's reply
    expect((await cleared).dropped).toBe(3);
    await clearing;

    await writer.set('flush:a', 'x');
    await writer.wait(2, 2000);
    await untilHeld(store, 'flush:a');
    const closed = nextFlush(store, (f) => f.cause === 'close');
    await store.disconnect();
    expect((await closed).dropped).toBe(1);
    expect(local(store).entries).toBe(0);
    // Each replica's link sent its own null invalidation.
    expect(local(store).flushes['server-flush']).toBeGreaterThanOrEqual(1);
    expect(local(store).flushes).toMatchObject({ clear: 1, close: 1 });
  });

  /** Resolves when `store`'s tier hears that `key` changed. */
  const nextInvalidation = (store: SentinelKeyvStore, key: string) =>
    new Promise<void>((resolve) => {
      const check = (keys: string[]) => {
        if (!keys.includes(key)) return;
        store.off('local-invalidation', check);
        resolve();
      };
      store.on('local-invalidation', check);
    });

  it('refresh: a key looked up from the tier and changed elsewhere is read again at once — lookups join that read, then hit; a key never looked up is only dropped', async () => {
    const own = createSentinelClient(topology.location);
    await own.connect();
    try {
      const seen = observedClient(own);
      const store = makeStore('fresh', { readFrom: 'master' }, own);
      await writer.mset({ 'fresh:hot': 'v1', 'fresh:cold': 'c1' });
      expect(await untilHeld(store, 'fresh:hot')).toBe('v1'); // looked up from the tier
      const entries = local(store).entries;
      expect(await store.get('fresh:cold')).toBe('c1'); // kept (the link is live), never looked up
      expect(local(store).entries).toBe(entries + 1);

      const refreshes = local(store).refreshes;
      const reads = seen.reads;
      const hotChanged = nextInvalidation(store, 'fresh:hot');
      await writer.set('fresh:hot', 'v2');
      await hotChanged;
      expect(local(store).refreshes).toBe(refreshes + 1);
      expect(await Promise.all([store.get('fresh:hot'), store.get('fresh:hot')])).toEqual([
        'v2',
        'v2',
      ]);
      expect(seen.reads - reads).toBe(1); // the refresh, which both lookups joined
      expect(await read(store, 'fresh:hot')).toEqual({ value: 'v2', local: true });

      const coldChanged = nextInvalidation(store, 'fresh:cold');
      await writer.set('fresh:cold', 'c2');
      await coldChanged;
      expect(local(store).refreshes).toBe(refreshes + 1);
      expect(await read(store, 'fresh:cold')).toEqual({ value: 'c2', local: false });
    } finally {
      await own.close();
    }
  });

  it('refresh: a change while a refresh is in flight — lookups join the read sent after it, never the older one', async () => {
    const own = createSentinelClient(topology.location);
    await own.connect();
    try {
      const seen = observedClient(own);
      const store = makeStore('again', { readFrom: 'master' }, own);
      await writer.set('again:k', 'v1');
      expect(await untilHeld(store, 'again:k')).toBe('v1');

      let release = () => {};
      seen.gate = new Promise((resolve) => {
        release = resolve;
      });
      // The first refresh reads v2, and its reply is held back…
      let arrived = new Promise<void>((resolve) => {
        seen.arrived = resolve;
      });
      let changed = nextInvalidation(store, 'again:k');
      await writer.set('again:k', 'v2');
      await changed;
      await arrived;
      // …while the key changes again: a second refresh, which reads v3.
      arrived = new Promise<void>((resolve) => {
        seen.arrived = resolve;
      });
      changed = nextInvalidation(store, 'again:k');
      await writer.set('again:k', 'v3');
      await changed;
      await arrived;
      const afterV3 = store.get('again:k'); // joins the second refresh
      // A third change: the key was not looked up from the tier since, so no more refreshes
      // (REFRESH_CREDIT); a lookup now must not join the second one, which read v3.
      changed = nextInvalidation(store, 'again:k');
      await writer.set('again:k', 'v4');
      await changed;
      expect(local(store).refreshes).toBe(2);
      const afterV4 = store.get('again:k');
      seen.gate = undefined;
      seen.arrived = undefined;
      release();
      expect(await afterV3).toBe('v3');
      expect(await afterV4).toBe('v4');
      expect(await read(store, 'again:k')).toEqual({ value: 'v4', local: true });
    } finally {
      await own.close();
    }
  });

  it('writes through the store drop its own entries at once', async () => {
    const store = makeStore('own');
    await store.set('own:k', 'v1');
    await writer.wait(2, 2000);
    expect(await untilHeld(store, 'own:k')).toBe('v1');
    const setting = store.set('own:k', 'v2');
    expect(local(store).entries).toBe(0);
    await setting;
    await writer.wait(2, 2000);
    expect(await untilHeld(store, 'own:k')).toBe('v2');
    await store.delete('own:k');
    expect(await read(store, 'own:k')).toEqual({ value: undefined, local: false });
  });

  it('a dropped invalidation connection drops what its node fed', async () => {
    const store = makeStore('link', { readFrom: 'master' });
    await writer.set('link:k', 'v');
    await untilHeld(store, 'link:k');
    const master = formatAddress(client.topology().master?.address ?? { host: '', port: 0 });
    // The store's link: the master's one client with tracking on (flag t).
    const list = String(await writer.client('LIST'));
    const link = list.split('\n').find((line) => / flags=\S*t/.test(line));
    const id = /(?:^|\s)id=(\d+)/.exec(link ?? '')?.[1];
    expect(id, list).toBeDefined();
    const lost = nextFlush(store, (f) => f.cause === 'link-lost');
    await writer.client('KILL', 'ID', id as string);
    expect(await lost).toMatchObject({ cause: 'link-lost', node: master, dropped: 1 });
    expect((await read(store, 'link:k')).local).toBe(false);
  });

  /** A client of its own, whose reads say which node served them, with a store on it. */
  const observedStore = async (namespace: string, pingInterval = 1000) => {
    const own = createSentinelClient(topology.location);
    await own.connect();
    await untilReplicaCount(own, 2);
    const seen = observedClient(own);
    const store = makeStore(namespace, { localCache: { pingInterval } }, own);
    const keys = Array.from({ length: 16 }, (_, i) => `${namespace}:k${i}`);
    await writer.mset(Object.fromEntries(keys.map((key) => [key, 'v'])));
    await writer.wait(2, 2000);
    const fedBy = new Map<string, string>();
    for (const key of keys) {
      const reads = seen.reads;
      await untilHeld(store, key);
      // The read kept is the last one sent (one kept before it would have made a hit): its
      // node fed the entry.
      if (seen.reads > reads)
        fedBy.set(key, formatAddress(seen.last?.address ?? { host: '', port: 0 }));
    }
    /** Reads every key: those `node` fed must not come from memory; returns the local hits. */
    const readAll = async (node: string) => {
      let hits = 0;
      for (const key of keys) {
        const { local: fromMemory } = await read(store, key);
        if (fedBy.get(key) === node) expect(fromMemory, key).toBe(false);
        if (fromMemory) hits++;
      }
      return hits;
    };
    return { own, store, fedBy, readAll };
  };

  it('a hung node (its invalidation connection does not answer PING) drops what it fed', async () => {
    const { own, store, fedBy, readAll } = await observedStore('hung', 100);
    try {
      const frozen = await topology.freezeReplica(0);
      const address = formatAddress({ host: frozen.host, port: frozen.port });
      expect([...fedBy.values()]).toContain(address);
      const flush = await nextFlush(store, (f) => f.node === address);
      await topology.thaw(frozen);
      expect(flush.cause).toBe('link-unresponsive');
      await readAll(address);
    } finally {
      await topology.thaw();
      await own.close();
    }
  }, 60_000);

  it('a node leaving the read rotation drops what it fed, and only that', async () => {
    const { own, fedBy, readAll } = await observedStore('gone');
    const victim = own.topology().replicas[0];
    if (victim === undefined) throw new Error('no replica in rotation');
    const address = formatAddress(victim.address);
    const node = topology.dataNodes.find(
      (n) => n.host === victim.address.host && n.port === victim.address.port,
    );
    if (node === undefined) throw new Error(`${address} is not a node of the topology`);
    try {
      const removed = nextTopologyEvent(
        own,
        (e: TopologyEvent) => e.type === 'REPLICA_REMOVE' && formatAddress(e.replica) === address,
      );
      await topology.kill(node);
      await removed;
      const others = [...fedBy.values()].filter((n) => n !== address).length;
      expect(others).toBeGreaterThan(0);
      // Entries the other replica fed stay.
      expect(await readAll(address)).toBeGreaterThanOrEqual(others);
    } finally {
      await own.close();
      await topology.restart(node);
      await untilReplicaCount(client, 2, 30_000);
    }
  }, 60_000);

  it('a failover drops every entry before the next read', async () => {
    const store = makeStore('fo');
    const keys = ['fo:a', 'fo:b', 'fo:c', 'fo:d'];
    await writer.mset(Object.fromEntries(keys.map((key) => [key, 'v'])));
    await writer.wait(2, 2000);
    for (const key of keys) await untilHeld(store, key);
    const flushed = nextFlush(store, (f) => f.cause === 'failover', 30_000);
    const switched = nextTopologyEvent(
      client,
      (e: TopologyEvent) => e.type === 'MASTER_CHANGE',
      30_000,
    );
    await topology.failover();
    await switched;
    expect((await flushed).node).toBeUndefined();
    for (const key of keys) expect((await read(store, key)).local, key).toBe(false);
  }, 60_000);
});
