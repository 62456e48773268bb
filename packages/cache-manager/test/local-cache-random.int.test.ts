// The local tier under concurrent writers and readers with nodes killed: no read may return a
// value older than the last acknowledged write by more than a bound. Writers and readers are
// separate clients (as separate processes would be: each its own connections, links and tier),
// in this process so that their clocks are one.
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelKeyvStore } from '../src/index.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers.js';

const KEYS = 12;
// The measured window is a few ms (local-cache.int.test.ts); a shared 2-core machine running
// failovers adds scheduling delays. A tier that missed a flush would serve a stale entry for
// up to its ttl (60 s) or until the key's next invalidation (with the flushes and the
// placeholders disabled, one run read a value 13.5 s behind; with them, under 1 ms).
const BOUND_MS = 50;

describe('the local tier, randomized: concurrent writers and readers, replicas and the master killed', () => {
  let topology: SentinelTopology;
  const clients: SentinelClient[] = [];

  beforeAll(async () => {
    topology = await startSentinelTopology();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await topology?.stop();
  });

  const connected = async () => {
    const client = createSentinelClient(topology.location);
    clients.push(client);
    await client.connect();
    await untilReplicaCount(client, 2, 30_000);
    return client;
  };

  it('no read is older than the last acknowledged write by more than the bound', async () => {
    const writerClient = await connected();
    // A write counts as acknowledged once both replicas have it: one the master loses in a
    // failover would otherwise be "acknowledged" and gone, which no cache can be judged by.
    const writer = new SentinelKeyvStore(writerClient, {
      waitReplicas: 2,
      throwOnErrors: true,
      writeTimeout: 2000,
    });
    writer.namespace = 'rnd';
    const readers: SentinelKeyvStore[] = [];
    for (let i = 0; i < 3; i++) {
      const store = new SentinelKeyvStore(await connected(), {
        localCache: { pingInterval: 200 },
      });
      store.namespace = 'rnd';
      readers.push(store);
    }

    const acked = new Array<number>(KEYS).fill(0);
    const ackedAt = new Array<number>(KEYS).fill(0);
    /** When each version of each key was acknowledged. */
    const history = Array.from({ length: KEYS }, () => new Map<number, number>());
    const next = new Array<number>(KEYS).fill(0);
    const writing = new Set<number>();
    let running = true;
    let reads = 0;
    let writes = 0;
    let failedWrites = 0;
    let worst = 0;
    const violations: string[] = [];

    const writeLoop = async () => {
      while (running) {
        const key = Math.floor(Math.random() * KEYS);
        if (writing.has(key)) {
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        writing.add(key);
        next[key] = (next[key] as number) + 1;
        const version = next[key] as number;
        try {
          await writer.set(`rnd:k${key}`, `v${version}`);
          const at = performance.now();
          history[key]?.set(version, at);
          if (version > (acked[key] as number)) {
            acked[key] = version;
            ackedAt[key] = at;
          }
          writes++;
        } catch {
          failedWrites++; // not acknowledged: it may or may not have been applied
        } finally {
          writing.delete(key);
        }
      }
    };
    const readLoop = async (store: SentinelKeyvStore) => {
      while (running) {
        // A hit resolves without I/O: yield, as requests arriving one by one would (a timer, so
        // that nine loops do not take a shared machine's cores, then past the poll phase, so that
        // a read never runs ahead of an invalidation already in a socket, as a request, which
        // arrives by I/O itself, could not).
        await new Promise((resolve) => setTimeout(resolve, 1));
        await new Promise((resolve) => setImmediate(resolve));
        const key = Math.floor(Math.random() * KEYS);
        const known = acked[key] as number;
        const startedAt = performance.now();
        const value = await store.get(`rnd:k${key}`);
        reads++;
        const version = value === undefined ? 0 : Number(String(value).slice(1));
        if (version >= known) continue;
        // Older than an acknowledged write: how long had the next version been acknowledged?
        const supersededAt = history[key]?.get(version + 1) ?? ackedAt[key];
        const age = startedAt - (supersededAt as number);
        worst = Math.max(worst, age);
        if (age > BOUND_MS) {
          violations.push(`k${key}: read v${version} ${age.toFixed(1)} ms after v${version + 1}`);
        }
      }
    };
    const loops = [
      writeLoop(),
      writeLoop(),
      ...readers.flatMap((store) => [readLoop(store), readLoop(store), readLoop(store)]),
    ];

    try {
      // A replica killed and brought back.
      const [victim] = await topology.replicas();
      if (victim === undefined) throw new Error('no replica');
      const reader = readers[0]?.client as SentinelClient;
      const removed = nextTopologyEvent(reader, (e: TopologyEvent) => e.type === 'REPLICA_REMOVE');
      await topology.kill(victim);
      await removed;
      await topology.restart(victim);
      await untilReplicaCount(reader, 2, 30_000);
      // The master killed: a failover, then the old master back as a replica.
      const switched = nextTopologyEvent(
        writerClient,
        (e: TopologyEvent) => e.type === 'MASTER_CHANGE',
        30_000,
      );
      const oldMaster = await topology.killMaster();
      await switched;
      await topology.restart(oldMaster);
      for (const store of [writer, ...readers]) {
        await untilReplicaCount(store.client as SentinelClient, 2, 40_000);
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }

    const hits = readers.reduce((sum, store) => sum + (store.stats().localCache?.hits ?? 0), 0);
    const flushes = readers.map((store) => store.stats().localCache?.flushes);
    console.info(
      `randomized: ${reads} reads (${hits} from memory), ${writes} writes acknowledged, ${failedWrites} not; oldest read behind an acknowledged write ${worst.toFixed(1)} ms; flushes ${JSON.stringify(flushes[0])}`,
    );
    expect(violations.slice(0, 10)).toEqual([]);
    expect(hits).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
    await Promise.all([writer, ...readers].map((store) => store.disconnect()));
  }, 120_000);
});
