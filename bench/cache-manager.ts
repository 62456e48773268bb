/**
 * cache-manager 7 on sentinelkit's Keyv store against cache-manager 7 on @keyv/redis, in the same
 * run, on the same topology: @keyv/redis connects to the master, sentinelkit finds it (and the
 * replicas) through the sentinels. Rounds interleave the two sides so that load from other work on
 * the machine hits both alike. Prints a markdown table and rewrites the `cache-manager-bench`
 * section of docs/cache-manager.md.
 *
 *   pnpm bench:cache-manager
 *
 * Knobs (environment): BENCH_ROUNDS (40), BENCH_SLICE_MS (100), BENCH_WARMUP_MS (1000),
 * BENCH_DOCS=0 to leave the docs alone.
 */
import { fileURLToPath } from 'node:url';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { createKeyv, type SentinelKeyvStore } from '@sentinelkit/cache-manager';
import { startSentinelTopology } from '@sentinelkit/testing';
import { type Cache, createCache } from 'cache-manager';
import { type Case, compare, resultTable, verdict } from './lib/compare.js';
import { type RawDrivers, rawDrivers, referenceGet } from './lib/drivers.js';
import {
  cpuDescription,
  envInt,
  loadAverage,
  redisVersion,
  reflow,
  writeDocsSection,
} from './lib/report.js';
import { untilReplicas } from './lib/setup.js';

const COMMAND = 'pnpm bench:cache-manager';
const DOCS_PATH = fileURLToPath(new URL('../docs/cache-manager.md', import.meta.url));
const START_MARKER = '<!-- cache-manager-bench:start -->';
const END_MARKER = '<!-- cache-manager-bench:end -->';
const GOAL = 1.0;

const ROUNDS = envInt('BENCH_ROUNDS', 40);
const SLICE_MS = envInt('BENCH_SLICE_MS', 100);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 1000);
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const IN_FLIGHT = [1, 50] as const;

/** A typical cached object: about 150 bytes of JSON. */
const VALUE = {
  id: 12345,
  name: 'sentinelkit benchmark item',
  tags: ['redis', 'sentinel', 'cache'],
  price: 19.99,
  available: true,
  updatedAt: '2026-11-22T05:00:00.000Z',
};
const MANY = Array.from({ length: 10 }, (_, i) => `many:${i}`);
const TTL = 60_000;

function buildCases(kit: Cache, kitOnMaster: Cache, base: Cache, drivers: RawDrivers): Case[] {
  const cases: Case[] = [];
  const text = JSON.stringify(VALUE);
  for (const inFlight of IN_FLIGHT) {
    cases.push(
      referenceGet(drivers, inFlight, 'bench:driver'),
      {
        operation: 'reference: raw ioredis `SET … PX` against raw node-redis `SET … PX`',
        inFlight,
        base: () => drivers.nodeRedis.set('bench:driver:set', text, { PX: TTL }),
        kit: () => drivers.ioredis.set('bench:driver:set', text, 'PX', TTL),
        reference: true,
      },
      {
        operation: '`get` (hit): sentinelkit on replicas, @keyv/redis on the master',
        inFlight,
        base: () => base.get('one'),
        kit: () => kit.get('one'),
      },
      {
        operation: "`get` (hit): both on the master (`readFrom: 'master'`)",
        inFlight,
        base: () => base.get('one'),
        kit: () => kitOnMaster.get('one'),
      },
      {
        operation: '`mget` of 10 keys (`getMany`)',
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

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  console.log(
    `cache-manager: ${ROUNDS} rounds of 4 × ${SLICE_MS} ms per row; ${cpus}; load ${loadBefore}`,
  );

  // Local processes: containers would add their own networking to every command.
  const topology = await startSentinelTopology({ backend: 'process' });
  const kitKeyv = createKeyv(topology.location, { namespace: 'bench' });
  const kitStore = kitKeyv.store as SentinelKeyvStore;
  const kitMasterKeyv = createKeyv(kitStore.client, { namespace: 'bench', readFrom: 'master' });
  const master = await topology.currentMaster();
  const baseKeyv = createRedisKeyv(`redis://${master.host}:${master.port}`, { namespace: 'bench' });
  for (const keyv of [kitKeyv, baseKeyv]) {
    keyv.on('error', (error: unknown) => console.error(`store error: ${String(error)}`));
  }
  const drivers = rawDrivers(master);
  const kit = createCache({ stores: [kitKeyv] });
  const kitOnMaster = createCache({ stores: [kitMasterKeyv] });
  const base = createCache({ stores: [baseKeyv] });
  try {
    await Promise.all([kitStore.connect(), drivers.connect()]);
    await drivers.ioredis.set('bench:driver', JSON.stringify(VALUE));
    await untilReplicas(kitStore.client, 2);
    // The same data for both sides, on the replicas before anything reads it.
    const seed = [
      { key: 'one', value: VALUE, ttl: 3_600_000 },
      ...MANY.map((key) => ({ key, value: VALUE, ttl: 3_600_000 })),
    ];
    await kit.mset(seed);
    await base.mset(seed);
    await kitStore.client.write((r) => r.set('bench:sync', '1'), {
      waitReplicas: 2,
      waitTimeout: 4000,
    });
    for (const c of [kit, base]) {
      if (JSON.stringify(await c.get('one')) !== JSON.stringify(VALUE)) {
        throw new Error('the seeded value did not read back');
      }
    }

    const cases = buildCases(kit, kitOnMaster, base, drivers);
    const results = await compare(cases, {
      rounds: ROUNDS,
      sliceMs: SLICE_MS,
      warmupMs: WARMUP_MS,
      name: 'cache-manager',
    });
    const stats = kitStore.client.stats();
    console.log(
      `sentinelkit routing: ${stats.writes} writes, ${stats.masterReads} master reads, replica reads ${JSON.stringify(stats.replicaReads)}`,
    );

    const redis = redisVersion(String(await kitStore.client.write((r) => r.info('server'))));
    const seconds = ((ROUNDS * 4 * SLICE_MS) / 1000).toFixed(0);
    const body = reflow(
      [
        `Goal: cache-manager 7 with sentinelkit's store at **≥ ${GOAL.toFixed(1)}× the throughput of cache-manager 7 with @keyv/redis** (the same master, the same run). Reproduce with \`${COMMAND}\`.`,
        `The script starts a topology (1 master, 2 replicas, 3 sentinels, \`redis-server\` processes on 127.0.0.1), then \`createCache({ stores: [createKeyv(topology.location)] })\` against \`createCache({ stores: [createKeyv('redis://<master>') from @keyv/redis] })\`, both with namespace \`bench\` and a ~150-byte JSON object as the value. Each row runs with 1 and with 50 requests in flight, after ${WARMUP_MS} ms of warm-up per side, for ${ROUNDS} rounds of ${4 * SLICE_MS} ms (${seconds} s per row), rows taking turns round by round; with 50 in flight a round is four ${SLICE_MS} ms slices (@keyv/redis, sentinelkit, sentinelkit, @keyv/redis, mirrored the next round), with 1 the two take turns request by request. Ops/s are medians over rounds; the ratio is the median of sentinelkit/@keyv/redis within each round, with the interquartile range. The reference rows compare the two drivers alone (ioredis with the core's data-node options, without the core, against node-redis, which @keyv/redis uses), for scale; they are not judged.`,
        `Last run: ${new Date().toISOString().slice(0, 10)}; ${cpus}; Node ${process.versions.node}; redis-server ${redis}; load average ${loadBefore} before and ${loadAverage()} after (a shared machine).`,
        resultTable(results, { base: '@keyv/redis ops/s', kit: 'sentinelkit ops/s' }, GOAL),
        verdict(results, GOAL),
      ].join('\n\n'),
    );
    console.log(`\n${body}\n`);
    if (WRITE_DOCS) {
      await writeDocsSection({
        path: DOCS_PATH,
        startMarker: START_MARKER,
        endMarker: END_MARKER,
        script: 'bench/cache-manager.ts',
        command: COMMAND,
        heading: 'Benchmark',
        body: body,
      });
      console.log(`wrote ${DOCS_PATH}`);
    }
  } finally {
    await Promise.allSettled([kit.disconnect(), base.disconnect(), drivers.close()]);
    await topology.stop();
  }
}

await main();
