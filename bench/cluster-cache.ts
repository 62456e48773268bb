/**
 * cache-manager 7 on sentinelkit's Keyv store on a Redis Cluster against cache-manager 7 on
 * @keyv/redis in its cluster mode (node-redis `createCluster`), in the same run, on the same
 * cluster (3 masters, 1 replica each): sentinelkit from a `redis+cluster://` location, reading
 * from each slot's replica; @keyv/redis from the same nodes as `rootNodes`, reading from masters.
 * Rows interleave the two sides round by round, as bench/cache-manager.ts does. Before timing, it
 * counts the commands each side sends per `getMany` (`INFO commandstats` on every node, one call
 * at a time), the point of keyv#1559. Prints a markdown table and rewrites the `cluster-cache`
 * section of docs/benchmarks.md.
 *
 *   pnpm bench:cluster-cache
 *
 * Knobs (environment): BENCH_ROUNDS (40), BENCH_SLICE_MS (100), BENCH_WARMUP_MS (1000),
 * BENCH_COUNT_CALLS (200 getMany per side for the command count), BENCH_DOCS=0 to leave the
 * docs alone.
 */
import { fileURLToPath } from 'node:url';
import KeyvRedis from '@keyv/redis';
import { createKeyv, type SentinelKeyvStore } from '@sentinelkit/cache-manager';
import type { RoutedClient } from '@sentinelkit/core';
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { type Case, compare, resultTable, verdict } from './lib/compare.js';
import {
  cpuDescription,
  envInt,
  loadAverage,
  markdownTable,
  redisVersion,
  reflow,
  writeDocsSection,
} from './lib/report.js';

const COMMAND = 'pnpm bench:cluster-cache';
const DOCS_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const START_MARKER = '<!-- cluster-cache:start -->';
const END_MARKER = '<!-- cluster-cache:end -->';
const GOAL = 1.0;

const ROUNDS = envInt('BENCH_ROUNDS', 40);
const SLICE_MS = envInt('BENCH_SLICE_MS', 100);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 1000);
const COUNT_CALLS = envInt('BENCH_COUNT_CALLS', 200);
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const IN_FLIGHT = [1, 50] as const;
const MASTERS = 3;

/** A typical cached object: about 150 bytes of JSON. */
const VALUE = {
  id: 12345,
  name: 'sentinelkit benchmark item',
  tags: ['redis', 'sentinel', 'cache'],
  price: 19.99,
  available: true,
  updatedAt: '2026-11-22T05:00:00.000Z',
};
/** Ten keys with no hash tag: they fall in ten slots spread over the shards, as real keys do. */
const MANY = Array.from({ length: 10 }, (_, i) => `many:${i}`);
const TTL = 60_000;

function buildCases(kit: Cache, kitOnMaster: Cache, base: Cache): Case[] {
  const cases: Case[] = [];
  for (const inFlight of IN_FLIGHT) {
    cases.push(
      {
        operation: "`get` (hit): sentinelkit on the slot's replica, @keyv/redis on its master",
        inFlight,
        base: () => base.get('one'),
        kit: () => kit.get('one'),
      },
      {
        operation: "`get` (hit): both on the slot's master (`readFrom: 'master'`)",
        inFlight,
        base: () => base.get('one'),
        kit: () => kitOnMaster.get('one'),
      },
      {
        operation: '`mget` of 10 keys over 3 shards (`getMany`)',
        inFlight,
        base: () => base.mget(MANY),
        kit: () => kit.mget(MANY),
      },
      {
        operation: '`set` with a TTL',
        inFlight,
        base: () => base.set('written', VALUE, TTL),
        kit: () => kit.set('written', VALUE, TTL),
      },
    );
  }
  return cases;
}

/** Resolves once `client` reads from a replica in every shard; rejects after `timeoutMs`. */
async function untilEveryShardHasReplica(
  client: RoutedClient,
  shards: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ready = () => {
    const view = client.topology().shards;
    return view.length === shards && view.every((shard) => shard.replicas.length > 0);
  };
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`the client did not find a replica in each of the ${shards} shards`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once every seeded key reads back through `cache` (from the replicas, for the kit). */
async function untilReadable(cache: Cache, keys: readonly string[], timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const expected = JSON.stringify(VALUE);
  for (;;) {
    const values = await Promise.all(keys.map((key) => cache.get(key)));
    if (values.every((v) => JSON.stringify(v) === expected)) return;
    if (Date.now() > deadline) throw new Error('the seeded values did not read back');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Commands of each name sent to the whole cluster while `run` ran (nothing else may run). */
async function commandsDuring(
  cluster: ClusterTopology,
  names: readonly string[],
  run: () => Promise<void>,
): Promise<Map<string, number>> {
  const count = async () => {
    const totals = new Map<string, number>();
    for (const node of cluster.nodes) {
      for (const name of names) {
        totals.set(name, (totals.get(name) ?? 0) + (await cluster.commandCalls(node, name)));
      }
    }
    return totals;
  };
  const before = await count();
  await run();
  const after = await count();
  return new Map(names.map((name) => [name, (after.get(name) ?? 0) - (before.get(name) ?? 0)]));
}

/** Per side: the commands one `getMany` of {@link MANY} sends, on average, one call at a time. */
async function commandsPerGetMany(
  cluster: ClusterTopology,
  sides: readonly { label: string; cache: Cache }[],
): Promise<string> {
  const names = ['mget', 'eval_ro', 'get'];
  const rows: string[][] = [];
  for (const { label, cache } of sides) {
    const counted = await commandsDuring(cluster, names, async () => {
      for (let i = 0; i < COUNT_CALLS; i++) await cache.mget(MANY);
    });
    const per = (name: string) => ((counted.get(name) ?? 0) / COUNT_CALLS).toFixed(2);
    rows.push([label, per('mget'), per('eval_ro'), per('get')]);
  }
  return markdownTable(
    ['Store', '`MGET` per getMany', '`EVAL_RO` per getMany', '`GET` per getMany'],
    rows,
  );
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  console.log(
    `cluster-cache: ${ROUNDS} rounds of 4 × ${SLICE_MS} ms per row; ${cpus}; load ${loadBefore}`,
  );

  const cluster = await startClusterTopology({
    masters: MASTERS,
    replicasPerMaster: 1,
    backend: 'process',
  });
  const kitKeyv = createKeyv(cluster.location, { namespace: 'bench' });
  const kitStore = kitKeyv.store as SentinelKeyvStore;
  const kitMasterKeyv = createKeyv(kitStore.client, { namespace: 'bench', readFrom: 'master' });
  // @keyv/redis' cluster mode: `{ rootNodes }` makes its adapter call node-redis' `createCluster`;
  // wrapped as its `createKeyv` wraps it (whose type does not admit the cluster form).
  const rootNodes = cluster.startupNodes.map(({ host, port }) => ({
    url: `redis://${host}:${port}`,
  }));
  const baseKeyv = new Keyv(new KeyvRedis({ rootNodes }, { namespace: 'bench' }), {
    namespace: 'bench',
    useKeyPrefix: false,
  });
  for (const keyv of [kitKeyv, baseKeyv]) {
    keyv.on('error', (error: unknown) => console.error(`store error: ${String(error)}`));
  }
  const kit = createCache({ stores: [kitKeyv] });
  const kitOnMaster = createCache({ stores: [kitMasterKeyv] });
  const base = createCache({ stores: [baseKeyv] });
  try {
    await kitStore.connect();
    await untilEveryShardHasReplica(kitStore.client, MASTERS);
    const seeded = ['one', ...MANY];
    const shards = new Set(MANY.map((k) => cluster.shardIndexOf(cluster.slotOf(`bench:${k}`))));
    const slots = new Set(MANY.map((k) => cluster.slotOf(`bench:${k}`)));
    console.log(`getMany keys: ${slots.size} slots on ${shards.size} shards`);
    // One key at a time, the same way for both sides (the seeding is not measured).
    for (const key of seeded) {
      await kit.set(key, VALUE, 3_600_000);
      await base.set(key, VALUE, 3_600_000);
    }
    await untilReadable(kit, seeded);
    await untilReadable(base, seeded);

    const commands = await commandsPerGetMany(cluster, [
      { label: '@keyv/redis 5.1.6 (cluster mode)', cache: base },
      { label: 'sentinelkit', cache: kit },
    ]);
    console.log(`\n${commands}\n`);

    const results = await compare(buildCases(kit, kitOnMaster, base), {
      rounds: ROUNDS,
      sliceMs: SLICE_MS,
      warmupMs: WARMUP_MS,
      name: 'cluster-cache',
    });
    const stats = kitStore.client.stats();
    console.log(
      `sentinelkit routing: ${stats.writes} writes, ${stats.masterReads} master reads, replica reads ${JSON.stringify(stats.replicaReads)}`,
    );

    const master = (await cluster.shards())[0]?.master;
    const redis = master
      ? redisVersion(String(await cluster.command(master, 'INFO', 'server')))
      : 'unknown';
    const seconds = ((ROUNDS * 4 * SLICE_MS) / 1000).toFixed(0);
    const body = reflow(
      [
        `Goal: cache-manager 7 with sentinelkit's store on a Redis Cluster at **≥ ${GOAL.toFixed(1)}× the throughput of cache-manager 7 with @keyv/redis in its cluster mode** (the same cluster, the same run). Reproduce with \`${COMMAND}\`.`,
        `The script starts a cluster of ${MASTERS} masters with 1 replica each (\`redis-server\` processes on 127.0.0.1, \`startClusterTopology\`), then \`createCache({ stores: [createKeyv('redis+cluster://…')] })\` against \`createCache({ stores: [createKeyv({ rootNodes }) from @keyv/redis] })\` (node-redis \`createCluster\` with its defaults, reading from masters), both with namespace \`bench\` and a ~150-byte JSON object as the value. \`getMany\` asks for ${MANY.length} keys without hash tags (${slots.size} slots on ${shards.size} shards). Each row runs with 1 and with 50 requests in flight, after ${WARMUP_MS} ms of warm-up per side, for ${ROUNDS} rounds of ${4 * SLICE_MS} ms (${seconds} s per row), rows taking turns round by round, as in [the cache-manager benchmark](cache-manager.md#benchmark). Ops/s are medians over rounds; the ratio is the median of sentinelkit/@keyv/redis within each round, with the interquartile range.`,
        `Last run: ${new Date().toISOString().slice(0, 10)}; ${cpus}; Node ${process.versions.node}; redis-server ${redis}; load average ${loadBefore} before and ${loadAverage()} after.`,
        resultTable(results, { base: '@keyv/redis ops/s', kit: 'sentinelkit ops/s' }, GOAL),
        verdict(results, GOAL),
        `Commands per \`getMany\` of ${MANY.length} keys (${slots.size} slots, ${shards.size} nodes), summed over every node's \`INFO commandstats\` across ${COUNT_CALLS} calls made one at a time (keyv#1559: @keyv/redis groups by slot, so keys without a shared hash tag cost one \`MGET\` each; sentinelkit groups by node and sends one command per node, an \`EVAL_RO\` script that \`GET\`s that node's keys of every slot; Redis counts the \`GET\`s a script runs, hence the \`GET\` column):`,
        commands,
      ].join('\n\n'),
    );
    console.log(`\n${body}\n`);
    if (WRITE_DOCS) {
      await writeDocsSection({
        path: DOCS_PATH,
        startMarker: START_MARKER,
        endMarker: END_MARKER,
        script: 'bench/cluster-cache.ts',
        command: COMMAND,
        heading: 'Cache store on a Redis Cluster',
        body,
      });
      console.log(`wrote ${DOCS_PATH}`);
    }
  } finally {
    await Promise.allSettled([kit.disconnect(), base.disconnect()]);
    await cluster.stop();
  }
}

await main();
