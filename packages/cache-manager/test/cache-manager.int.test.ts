import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
} from '@sentinelkit/testing';
import { createCache } from 'cache-manager';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeyv, SentinelKeyvStore } from '../src/index.js';
import { commandStats, keysOnMaster, onMaster, resetStats, untilReplicaCount } from './helpers.js';

describe('cache-manager 7 on a Sentinel deployment (1 master, 2 replicas, 3 sentinels)', () => {
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
  });

  /** A cache whose writes wait for both replicas, so that a read right after a write sees it. */
  const consistentCache = (namespace: string) => {
    const keyv = createKeyv(client, { namespace, waitReplicas: 2, throwOnErrors: true });
    return { keyv, cache: createCache({ stores: [keyv] }) };
  };

  const pttl = (key: string) => onMaster(topology, 'PTTL', key) as Promise<number>;

  it('get, set, mget, mset, del, mdel, ttl, wrap and clear end to end, TTLs in milliseconds', async () => {
    const { cache } = consistentCache('e2e');

    const before = Date.now();
    expect(await cache.set('a', 1, 5000)).toBe(1);
    expect(await cache.get('a')).toBe(1);
    const left = await pttl('e2e:a');
    expect(left).toBeGreaterThan(4000);
    expect(left).toBeLessThanOrEqual(5000);
    // cache-manager's ttl() is the absolute expiry time Keyv stored, in ms.
    const expires = await cache.ttl('a');
    expect(expires).toBeGreaterThanOrEqual(before + 5000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 5000);

    await cache.mset<unknown>([
      { key: 'b', value: 'x', ttl: 3000 },
      { key: 'c', value: { n: 1 } },
    ]);
    expect(await cache.mget(['b', 'c', 'missing'])).toEqual(['x', { n: 1 }, undefined]);
    expect(await pttl('e2e:b')).toBeGreaterThan(2000);
    expect(await pttl('e2e:b')).toBeLessThanOrEqual(3000);
    expect(await pttl('e2e:c')).toBe(-1);
    expect(await cache.ttl('c')).toBeUndefined();

    expect(await cache.del('a')).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.mdel(['b', 'c'])).toBe(true);
    expect(await cache.mget(['b', 'c'])).toEqual([undefined, undefined]);

    let computed = 0;
    const compute = async () => {
      computed++;
      return { computed: true };
    };
    expect(await cache.wrap('w', compute, 2000)).toEqual({ computed: true });
    expect(await cache.wrap('w', compute, 2000)).toEqual({ computed: true });
    expect(computed).toBe(1);
    expect(await pttl('e2e:w')).toBeGreaterThan(1000);
    expect(await pttl('e2e:w')).toBeLessThanOrEqual(2000);

    await cache.set('d', 'stays until clear');
    expect(await keysOnMaster(topology, 'e2e:*')).toEqual(['e2e:d', 'e2e:w']);
    expect(await cache.clear()).toBe(true);
    expect(await keysOnMaster(topology, 'e2e:*')).toEqual([]);
    expect(await cache.get('d')).toBeUndefined();
  });

  it('round-trips every JSON type and Buffers', async () => {
    const { cache } = consistentCache('types');
    const values: [string, unknown][] = [
      ['string', 'hello'],
      ['empty string', ''],
      ['unicode', 'héllo ✓ 日本 🎉'],
      ['quotes', '"\'`\\'],
      ['zero', 0],
      ['negative', -42],
      ['float', -1.5e-7],
      ['large', Number.MAX_SAFE_INTEGER],
      ['true', true],
      ['false', false],
      ['null', null],
      ['empty array', []],
      ['array', [1, 'two', null, false, { three: [3] }]],
      ['empty object', {}],
      ['object', { a: 1, b: { c: [true, null, 'x'] }, 'key:with:colons': 'v' }],
      ['buffer', Buffer.from([0, 1, 2, 253, 254, 255])],
      ['object with buffer', { data: Buffer.from('bytes'), n: 1 }],
    ];
    for (const [name, value] of values) {
      await cache.set(name, value, 10_000);
      const back = await cache.get(name);
      expect(back, name).toEqual(value);
      if (Buffer.isBuffer(value)) expect(Buffer.isBuffer(back), name).toBe(true);
    }
    await cache.mset(values.map(([key, value]) => ({ key: `m:${key}`, value })));
    expect(await cache.mget(values.map(([key]) => `m:${key}`))).toEqual(values.map(([, v]) => v));
    await cache.clear();
  });

  it('reads go to the replicas (one MGET per getMany), writes and scans only to the master', async () => {
    // Default options: reads on replicas, nothing waits for replication.
    const keyv = createKeyv(client, { namespace: 'routing', throwOnErrors: true });
    const cache = createCache({ stores: [keyv] });
    await createKeyv(client, { namespace: 'routing', waitReplicas: 2 }).setMany(
      Array.from({ length: 20 }, (_, i) => ({ key: `seed:${i}`, value: i })),
    );
    await resetStats(topology);
    const master = await topology.currentMaster();
    const replicas = await topology.replicas();

    for (let i = 0; i < 200; i++) expect(await cache.get(`seed:${i % 20}`)).toBe(i % 20);
    for (let i = 0; i < 50; i++) {
      expect(await cache.mget(['seed:1', 'seed:2', 'seed:3'])).toEqual([1, 2, 3]);
    }
    for (let i = 0; i < 20; i++) expect(await keyv.has(`seed:${i}`)).toBe(true);
    expect(await keyv.has(['seed:1', 'nope'])).toEqual([true, false]);
    for (let i = 0; i < 30; i++) await cache.set(`w:${i}`, i);
    await cache.mset(Array.from({ length: 10 }, (_, i) => ({ key: `m:${i}`, value: i })));
    await keyv.delete(['w:0', 'w:1', 'w:2']);
    await cache.del('w:3');
    await cache.clear();

    const on = (node: typeof master, command: string) => commandStats(topology, node, command);
    const served = { get: 0, mget: 0, exists: 0 };
    for (const replica of replicas) {
      const gets = await on(replica, 'get');
      served.get += gets.calls;
      served.mget += (await on(replica, 'mget')).calls;
      served.exists += (await on(replica, 'exists')).calls;
      // Measurably on both replicas.
      expect(gets.calls).toBeGreaterThan(40);
      // Nothing the client sent was refused (READONLY) and no SCAN ran there: replicas only
      // received the master's replication stream.
      for (const command of ['set', 'unlink', 'scan']) {
        expect((await on(replica, command)).rejected, command).toBe(0);
      }
      expect((await on(replica, 'scan')).calls).toBe(0);
    }
    expect(served).toEqual({ get: 200, mget: 50, exists: 22 });
    expect((await on(master, 'get')).calls).toBe(0);
    expect((await on(master, 'mget')).calls).toBe(0);
    expect((await on(master, 'exists')).calls).toBe(0);
    expect((await on(master, 'set')).calls).toBe(40);
    // deleteMany is one UNLINK; cache.del another; clear() at least one more.
    expect((await on(master, 'unlink')).calls).toBeGreaterThanOrEqual(3);
    expect((await on(master, 'scan')).calls).toBeGreaterThanOrEqual(1);
  });

  it('concurrent reads of one tick go to a replica as one MGET, each caller gets its own values', async () => {
    const { keyv, cache } = consistentCache('batch');
    await cache.mset(Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value: i })));
    await resetStats(topology);

    const [singles, many, wraps] = await Promise.all([
      Promise.all(Array.from({ length: 100 }, (_, i) => cache.get(`k${i}`))),
      Promise.all([cache.mget(['k1', 'nope', 'k2']), keyv.get(['k3', 'k4'])]),
      Promise.all(Array.from({ length: 50 }, (_, i) => cache.wrap(`k${i}`, async () => -1))),
    ]);
    expect(singles).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(many).toEqual([
      [1, undefined, 2],
      [3, 4],
    ]);
    expect(wraps).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // 100 gets + 2 getMany + 50 wraps (a get each), all asked for in one tick. The store's
    // first tick of reads follows a quiet one, so its first get goes at once (a GET); the other
    // 154 keys wait for the end of the tick and go as one MGET.
    const replicaCalls = async () => {
      const calls = { get: 0, mget: 0 };
      for (const replica of await topology.replicas()) {
        calls.get += (await commandStats(topology, replica, 'get')).calls;
        calls.mget += (await commandStats(topology, replica, 'mget')).calls;
      }
      return calls;
    };
    expect(await replicaCalls()).toEqual({ get: 1, mget: 1 });

    // After that busy tick every read of the next waits for its end. More than 500 keys in one
    // tick: MGETs of at most 500 keys.
    await resetStats(topology);
    const all = await Promise.all(Array.from({ length: 600 }, (_, i) => cache.get(`k${i}`)));
    expect(all).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(await replicaCalls()).toEqual({ get: 0, mget: 2 });
    await cache.clear();
  });

  it('concurrent sets of one tick go to the master as one script, in order; other writes do not overtake them', async () => {
    const { cache } = consistentCache('sets');
    const master = await topology.currentMaster();
    await resetStats(topology);
    const masterCalls = async () => ({
      set: (await commandStats(topology, master, 'set')).calls,
      eval: (await commandStats(topology, master, 'eval')).calls,
    });
    // 100 sets in one tick after a quiet one: the first goes at once (a SET), the other 99 as
    // one script (whose SETs Redis counts too). TTLs and values as asked.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => cache.set(`s${i}`, i, i % 2 ? 60_000 : 0)),
    );
    expect(await masterCalls()).toEqual({ set: 100, eval: 1 });
    expect(await cache.mget(Array.from({ length: 100 }, (_, i) => `s${i}`))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(await pttl('sets:s1')).toBeGreaterThan(59_000);
    expect(await pttl('sets:s2')).toBe(-1);

    await cache.clear();

    // In one busy tick: the last set of a key wins, a delete after a set deletes, a set after a
    // delete stays, setMany and clear() follow the sets before them. Called on the store: Keyv
    // itself reorders (its set awaits serialization, its delete does not). On one connection:
    // writes with waitReplicas each take a connection of their own, in no order between them.
    const ordered = createKeyv(client, { readFrom: 'master', throwOnErrors: true }).store;
    await Promise.all([ordered.set('order:warm1', '1'), ordered.set('order:warm2', '2')]);
    await Promise.all([
      ordered.set('order:a', '1'),
      ordered.set('order:a', '2'),
      ordered.set('order:b', '1'),
      ordered.delete('order:b'),
      ordered.delete('order:c'),
      ordered.set('order:c', '3'),
      ordered.set('order:d', '1'),
      ordered.setMany([{ key: 'order:d', value: '4' }]),
    ]);
    const keys = ['order:a', 'order:b', 'order:c', 'order:d'];
    expect(await ordered.getMany(keys)).toEqual(['2', undefined, '3', '4']);
    await Promise.all([ordered.set('order:e', '1'), ordered.deleteMany(['order:e'])]);
    expect(await ordered.get('order:e')).toBeUndefined();
    await ordered.deleteMany([...keys, 'order:warm1', 'order:warm2']);
  });

  it('clear() deletes only its own namespace: other namespaces and unrelated keys stay', async () => {
    const { cache } = consistentCache('app');
    const other = consistentCache('app2');
    const globby = consistentCache('a*');
    await cache.mset(Array.from({ length: 2500 }, (_, i) => ({ key: `k${i}`, value: i })));
    await other.cache.set('k1', 'other');
    await globby.cache.set('k1', 'glob');
    const unrelated = ['app', 'apple', 'app2', 'appx:1', 'APP:k1', 'user:1', 'keyv:k1'];
    for (const key of unrelated) await onMaster(topology, 'SET', key, 'unrelated');

    // `a*` is a namespace, not a pattern: its clear() must not touch `app:*`.
    await globby.cache.clear();
    expect(await keysOnMaster(topology, 'app:k*')).toHaveLength(2500);
    expect(await keysOnMaster(topology, 'a\\*:*')).toEqual([]);

    await cache.clear();
    expect(await keysOnMaster(topology, 'app:*')).toEqual([]);
    expect(await keysOnMaster(topology)).toEqual(['app2:k1', ...unrelated].sort());
    expect(await other.cache.get('k1')).toBe('other');
    for (const key of unrelated) await onMaster(topology, 'DEL', key);
    await other.cache.clear();
  });

  it('clear() with no namespace refuses unless clearWithoutNamespace, and never runs FLUSHDB', async () => {
    // A database of its own: this test deletes everything in it.
    const db3 = createSentinelClient(topology.location, { db: 3 });
    await db3.connect();
    try {
      const errors: Error[] = [];
      const refusing = new Keyv({ store: new SentinelKeyvStore(db3), namespace: '' });
      refusing.on('error', (error: Error) => errors.push(error));
      await db3.write((r) => r.mset('a', '1', 'b', '2'));
      await refusing.clear();
      expect(errors).toMatchObject([{ code: 'INVALID_OPTION', option: 'clearWithoutNamespace' }]);
      expect(await db3.write((r) => r.dbsize())).toBe(2);

      const throwing = createKeyv(db3, { namespace: '', throwOnErrors: true });
      await expect(throwing.clear()).rejects.toMatchObject({ code: 'INVALID_OPTION' });

      await onMaster(topology, 'SET', 'db0:marker', '1');
      await resetStats(topology);
      const optedIn = createKeyv(db3, { namespace: '', clearWithoutNamespace: true });
      await optedIn.clear();
      expect(await db3.write((r) => r.dbsize())).toBe(0);
      const master = await topology.currentMaster();
      expect((await commandStats(topology, master, 'flushdb')).calls).toBe(0);
      // One UNLINK per hash slot of the batch (a cluster node refuses one across slots): a and b
      // are in two slots.
      expect((await commandStats(topology, master, 'unlink')).calls).toBe(2);
      // Other databases are untouched.
      expect(await onMaster(topology, 'GET', 'db0:marker')).toBe('1');
      await onMaster(topology, 'DEL', 'db0:marker');
    } finally {
      await db3.close();
    }
  });

  it('NestJS wraps a raw store as new Keyv({ store, namespace }): one prefix, not ns::ns:key', async () => {
    // What @nestjs/cache-manager's createCacheManager does with each entry of `stores`.
    const cachingFactory = (
      store: Keyv | KeyvStoreAdapter,
      options: { ttl?: number; namespace?: string },
    ) => (store instanceof Keyv ? store : new Keyv({ store, ...options }));
    const options = { ttl: 60_000, namespace: 'nest' };
    const stores = [
      cachingFactory(new SentinelKeyvStore(client, { waitReplicas: 2 }), options),
      cachingFactory(createKeyv(client, { namespace: 'nest2', waitReplicas: 2 }), options),
    ];
    const [raw, ready] = stores;
    await createCache({ stores: [raw!] }).set('k', 'raw');
    await createCache({ stores: [ready!] }).set('k', 'ready');

    expect(await keysOnMaster(topology, '*nest*')).toEqual(['nest2:k', 'nest:k']);
    expect(await createCache({ stores: [raw!] }).get('k')).toBe('raw');
    expect(await pttl('nest:k')).toBeGreaterThan(50_000);
    // Keyv's own iterator strips the one prefix.
    const entries: [string, unknown][] = [];
    for await (const entry of raw!.iterator!(undefined)) entries.push(entry as [string, unknown]);
    expect(entries).toEqual([['k', 'raw']]);
    await Promise.all(stores.map((keyv) => keyv.clear()));
  });

  it('with Keyv serialization off the entry object is stored as JSON, not "[object Object]"', async () => {
    const keyv = new Keyv({
      store: new SentinelKeyvStore(client, { waitReplicas: 2, throwOnErrors: true }),
      namespace: 'raw',
    });
    keyv.serialize = undefined;
    await keyv.set('k', { a: [1, 'x'] }, 10_000);
    const stored = JSON.parse(String(await onMaster(topology, 'GET', 'raw:k')));
    expect(stored).toMatchObject({ value: { a: [1, 'x'] }, expires: expect.any(Number) });
    // Read back through Keyv's (default) deserializer.
    expect(await keyv.get('k')).toEqual({ a: [1, 'x'] });
    await keyv.clear();
  });

  it('keyPrefix of the core client: stored once, cleared and iterated within it', async () => {
    const tenant = createSentinelClient(topology.location, { keyPrefix: 'tenant1:' });
    await tenant.connect();
    try {
      const keyv = createKeyv(tenant, { namespace: 'ns', waitReplicas: 2, throwOnErrors: true });
      await keyv.set('a', 1);
      await keyv.set('b', 2);
      await onMaster(topology, 'SET', 'tenant2:ns:a', 'x');
      await onMaster(topology, 'SET', 'ns:a', 'x');
      expect(await keysOnMaster(topology, '*ns:*')).toEqual([
        'ns:a',
        'tenant1:ns:a',
        'tenant1:ns:b',
        'tenant2:ns:a',
      ]);
      const seen: [string, unknown][] = [];
      for await (const entry of keyv.iterator!(undefined)) seen.push(entry as [string, unknown]);
      expect(seen.sort()).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      await keyv.clear();
      expect(await keysOnMaster(topology, '*ns:*')).toEqual(['ns:a', 'tenant2:ns:a']);
      await onMaster(topology, 'DEL', 'ns:a', 'tenant2:ns:a');
    } finally {
      await tenant.close();
    }
  });

  it('a Redis error is emitted as an error event and answered as a miss, or thrown', async () => {
    // On the replicas too before anyone reads it.
    await client.write((r) => r.hset('errs:hash', 'f', 'v'), {
      waitReplicas: 2,
      waitTimeout: 2000,
    });
    const errors: Error[] = [];
    const quiet = createKeyv(client, { namespace: 'errs' });
    quiet.on('error', (error: Error) => errors.push(error));
    expect(await quiet.get('hash')).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('WRONGTYPE')]);

    const loud = createKeyv(client, { namespace: 'errs', throwOnErrors: true });
    await expect(loud.get('hash')).rejects.toThrow(/WRONGTYPE/);
    await onMaster(topology, 'DEL', 'errs:hash');
  });

  it('disconnect() closes a client the store created, never a shared one', async () => {
    const shared = createKeyv(client, { namespace: 'd' });
    const cache = createCache({ stores: [shared] });
    await cache.disconnect();
    expect(client.status).toBe('ready');
    await expect(client.read((r) => r.ping())).resolves.toBe('PONG');

    const owned = createKeyv(topology.location, { namespace: 'd', throwOnErrors: true });
    await owned.set('k', 'v');
    const store = owned.store as SentinelKeyvStore;
    expect(store.ownsClient).toBe(true);
    await createCache({ stores: [owned] }).disconnect();
    const closed = store.client;
    expect(closed.status).toBe('closed');
    // Used again, it opens a new client from its location (a Nest suite builds the next app on
    // the same store): not a silent miss.
    expect(await owned.get('k')).toBe('v');
    expect(store.client).not.toBe(closed);
    expect(closed.status).toBe('closed');
    await owned.disconnect();
    expect(store.client.status).toBe('closed');
    await onMaster(topology, 'DEL', 'd:k');
  });
});
