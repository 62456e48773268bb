// The local tier (`localCache`) on a hot-key workload: Zipf-distributed keys over 10,000, 95 %
// reads, at 1 and 50 requests in flight, against the same store without it, @keyv/redis, and
// cache-manager's two tiers (a memory Keyv in front of @keyv/redis). Two "processes" per side
// (two cache instances, as two app servers would have): one reads, the other writes, so a tier
// that only this instance updates shows its stale reads. Each value carries a version; a read is
// stale when it returns a version older than one whose write was acknowledged before the read
// started, and "stale beyond the window" when that write was acknowledged more than WINDOW_MS
// before. Prints a table; the lead runs it on an idle machine and writes the figures up.
//
//   pnpm bench:local-cache                     # 5 s per row
//   LOCAL_CACHE_BENCH_MS=300 pnpm bench:local-cache   # a smoke run
//   LOCAL_CACHE_BENCH_YIELD=0 pnpm bench:local-cache  # operations chained, no turn of the event loop between them
//   LOCAL_CACHE_BENCH_SIDES=localCache pnpm bench:local-cache  # only the sides whose name has it (and @keyv/redis)
import { cpus, loadavg } from 'node:os';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { createKeyv, type SentinelKeyvStore } from '@sentinelkit/cache-manager';
import { startSentinelTopology } from '@sentinelkit/testing';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { untilReplicas } from './lib/setup.js';

const KEYS = 10_000;
const READ_SHARE = 0.95;
const ZIPF_S = 1.0;
const ROW_MS = Number(process.env.LOCAL_CACHE_BENCH_MS ?? 5_000);
const YIELD = process.env.LOCAL_CACHE_BENCH_YIELD !== '0';
const WINDOW_MS = 5; // the local tier's documented goal (docs/cache-manager.md#local-tier)
const TTL = 3_600_000;
const PAD = 'x'.repeat(120);
/** "Hot keys": the most-read keys of the Zipf ranking; with s = 1 over 10,000 the top 100 take ~53 % of reads. */
const HOT_KEYS = 100;

/** A sampler of key indexes, Zipf(s) over `n`: a few keys take most reads. */
function zipf(n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  return () => {
    const u = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Side {
  name: string;
  /** The instance that reads. */
  reader: Cache;
  /** Another instance on the same data, that writes (another app process). */
  writer: Cache;
  close(): Promise<void>;
}

interface RowResult {
  ops: number;
  reads: number;
  stale: number;
  staleBeyondWindow: number;
  /** Reads that found nothing (a replica behind the seeding, say). */
  misses: number;
  /** The oldest stale read: ms between the newer version's acknowledgement and the read. */
  maxStaleMs: number;
  /** Each read's duration (µs), as the application awaited it. */
  readMicros: number[];
  /** The same, for reads of the {@link HOT_KEYS} most-read keys only. */
  hotReadMicros: number[];
  /** Each write's duration (µs). */
  writeMicros: number[];
  /** Share of lookups the local tier answered, for a side with one. */
  tierHitRatio?: number;
}

/** Versions acknowledged per key, with when, for the stale-read check. */
class Versions {
  readonly #next = new Uint32Array(KEYS);
  readonly #acked = new Uint32Array(KEYS);
  readonly #ackedAt = new Float64Array(KEYS);
  /** When each version superseded the one before it was acknowledged, per key (latest few). */
  readonly #history = new Map<number, Map<number, number>>();

  next(key: number): number {
    this.#next[key] = (this.#next[key] as number) + 1;
    return this.#next[key] as number;
  }

  acknowledge(key: number, version: number, at: number): void {
    if (version > (this.#acked[key] as number)) {
      this.#acked[key] = version;
      this.#ackedAt[key] = at;
    }
    const history = this.#history.get(key) ?? new Map<number, number>();
    history.set(version, at);
    if (history.size > 64) history.delete(history.keys().next().value as number);
    this.#history.set(key, history);
  }

  /** The newest version acknowledged for `key` now. */
  acked(key: number): number {
    return this.#acked[key] as number;
  }

  /** When the version after `version` was acknowledged (how long `version` has been old). */
  supersededAt(key: number, version: number): number | undefined {
    return this.#history.get(key)?.get(version + 1);
  }
}

async function runRow(side: Side, inFlight: number, versions: Versions): Promise<RowResult> {
  const sample = zipf(KEYS, ZIPF_S);
  const result: RowResult = {
    ops: 0,
    reads: 0,
    stale: 0,
    staleBeyondWindow: 0,
    misses: 0,
    maxStaleMs: 0,
    readMicros: [],
    hotReadMicros: [],
    writeMicros: [],
  };
  const end = performance.now() + ROW_MS;
  // One write of a key at a time: two in flight could land in either order, and the check would
  // take the older one left on the server for a stale read.
  const writing = new Set<number>();
  const loop = async () => {
    while (performance.now() < end) {
      // Each operation a request of its own, as a server gets them: from I/O, in a new turn of
      // the event loop. Without it (LOCAL_CACHE_BENCH_YIELD=0), operations answered from memory
      // chain in microtasks and the loop turns only when all 50 wait on Redis, so every reply
      // (a miss, a write, an invalidation) waits for that turn: milliseconds, a harness effect.
      if (YIELD) await new Promise((resolve) => setImmediate(resolve));
      const key = sample();
      if (Math.random() < READ_SHARE || writing.has(key)) {
        const known = versions.acked(key);
        const startedAt = performance.now();
        // wrap, as a read-through cache reads: cache-manager fills its memory tier from Redis
        // this way (a plain get does not). Every key is seeded, so the function never runs.
        const value = await side.reader
          .wrap<{ v: number }>(
            `k${key}`,
            () => Promise.reject(new Error('a seeded key missed')),
            TTL,
          )
          .catch(() => {
            result.misses++;
            return undefined;
          });
        const micros = (performance.now() - startedAt) * 1000;
        result.readMicros.push(micros);
        if (key < HOT_KEYS) result.hotReadMicros.push(micros);
        result.reads++;
        const version = value?.v ?? 0;
        if (value !== undefined && version < known) {
          result.stale++;
          const since = versions.supersededAt(key, version);
          if (since !== undefined) {
            result.maxStaleMs = Math.max(result.maxStaleMs, startedAt - since);
            if (startedAt - since > WINDOW_MS) result.staleBeyondWindow++;
          }
        }
      } else {
        const version = versions.next(key);
        writing.add(key);
        const startedAt = performance.now();
        await side.writer.set(`k${key}`, { v: version, pad: PAD }, TTL);
        const at = performance.now();
        result.writeMicros.push((at - startedAt) * 1000);
        writing.delete(key);
        versions.acknowledge(key, version, at);
      }
      result.ops++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return result;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const BASELINE = '@keyv/redis';

/**
 * What one read costs the application, per side: mean, p50 and p99 over every read and over
 * reads of the hot keys, and @keyv/redis' mean read time divided by the side's (how many times
 * faster a read is), same in-flight count, same run.
 */
function latencyTable(
  timings: readonly { side: string; inFlight: number; r: RowResult }[],
): string {
  const us = (n: number) =>
    Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en');
  const lines = [
    '',
    `| Store | In flight | Read mean (µs) | Read p50 | Read p99 | Hot-key read mean | Hot-key read p50 | Write p50 | Local tier hits | Reads vs ${BASELINE} | Hot-key reads vs ${BASELINE} |`,
    '| ----- | --------- | -------------- | -------- | -------- | ----------------- | ---------------- | --------- | --------------- | ---------------- | -------------------- |',
  ];
  for (const { side, inFlight, r } of timings) {
    const base = timings.find((t) => t.side === BASELINE && t.inFlight === inFlight)?.r;
    const ratio = (ours: number[], theirs: number[] | undefined) =>
      theirs === undefined ? '—' : `${(mean(theirs) / mean(ours)).toFixed(2)}×`;
    lines.push(
      `| ${side} | ${inFlight} | ${us(mean(r.readMicros))} | ${us(percentile(r.readMicros, 50))} | ${us(percentile(r.readMicros, 99))} | ${us(mean(r.hotReadMicros))} | ${us(percentile(r.hotReadMicros, 50))} | ${us(percentile(r.writeMicros, 50))} | ${r.tierHitRatio === undefined ? '—' : `${(100 * r.tierHitRatio).toFixed(1)} %`} | ${ratio(r.readMicros, base?.readMicros)} | ${ratio(r.hotReadMicros, base?.hotReadMicros)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  console.log(
    `local tier bench: ${ROW_MS} ms per row, ${YIELD ? 'each operation in a turn of its own' : 'operations chained (LOCAL_CACHE_BENCH_YIELD=0)'}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load ${load}`,
  );
  const topology = await startSentinelTopology({ backend: 'process' });
  const master = await topology.currentMaster();
  const redisUrl = `redis://${master.host}:${master.port}`;
  const sides: Side[] = [];
  const kit = (namespace: string, localCache: boolean | { refresh: false }, name: string): Side => {
    const reader = createKeyv(topology.location, { namespace, localCache });
    const writer = createKeyv(topology.location, { namespace });
    return {
      name,
      reader: createCache({ stores: [reader] }),
      writer: createCache({ stores: [writer] }),
      close: async () => {
        await reader.disconnect();
        await writer.disconnect();
      },
    };
  };
  try {
    sides.push(
      kit('lt', true, 'sentinelkit, localCache'),
      kit('ln', { refresh: false }, 'sentinelkit, localCache, refresh: false'),
      kit('sk', false, 'sentinelkit'),
    );
    const keyvRedis = () => createRedisKeyv(redisUrl, { namespace: 'kr' });
    const [kr1, kr2] = [keyvRedis(), keyvRedis()];
    sides.push({
      name: '@keyv/redis',
      reader: createCache({ stores: [kr1] }),
      writer: createCache({ stores: [kr2] }),
      close: async () => {
        await kr1.disconnect();
        await kr2.disconnect();
      },
    });
    const [tt1, tt2] = [
      createRedisKeyv(redisUrl, { namespace: 'tt' }),
      createRedisKeyv(redisUrl, { namespace: 'tt' }),
    ];
    sides.push({
      name: 'cache-manager memory + @keyv/redis',
      reader: createCache({ stores: [new Keyv({ ttl: 60_000 }), tt1] }),
      writer: createCache({ stores: [new Keyv({ ttl: 60_000 }), tt2] }),
      close: async () => {
        await tt1.disconnect();
        await tt2.disconnect();
      },
    });
    for (const side of sides) {
      for (const cache of [side.reader, side.writer]) {
        for (const store of cache.stores) {
          store.on('error', (error: unknown) => console.error(`${side.name}: ${String(error)}`));
        }
      }
    }
    const first = sides[0]?.reader.stores[0]?.store as SentinelKeyvStore;
    await first.connect();
    await untilReplicas(first.client, 2);

    const rows: string[] = [];
    const timings: { side: string; inFlight: number; r: RowResult }[] = [];
    const only = process.env.LOCAL_CACHE_BENCH_SIDES?.split(',');
    for (const side of sides) {
      if (
        only !== undefined &&
        side.name !== BASELINE &&
        !only.some((o) => side.name.includes(o))
      ) {
        continue;
      }
      const versions = new Versions();
      // Every key written once, so that reads hit.
      for (let from = 0; from < KEYS; from += 500) {
        const batch = Array.from({ length: Math.min(500, KEYS - from) }, (_, i) => from + i);
        await side.writer.mset(
          batch.map((key) => {
            const version = versions.next(key);
            return { key: `k${key}`, value: { v: version, pad: PAD }, ttl: TTL };
          }),
        );
        const at = performance.now();
        for (const key of batch) versions.acknowledge(key, 1, at);
      }
      const tierStats = () =>
        (side.reader.stores[0]?.store as Partial<SentinelKeyvStore> | undefined)?.stats?.()
          .localCache;
      for (const inFlight of [1, 50]) {
        const before = tierStats();
        const r = await runRow(side, inFlight, versions);
        const after = tierStats();
        if (before !== undefined && after !== undefined) {
          const hits = after.hits - before.hits;
          r.tierHitRatio = hits / (hits + after.misses - before.misses);
        }
        const opsPerSecond = Math.round((r.ops * 1000) / ROW_MS);
        timings.push({ side: side.name, inFlight, r });
        rows.push(
          `| ${side.name} | ${inFlight} | ${opsPerSecond.toLocaleString('en')} | ${r.reads.toLocaleString('en')} | ${r.misses} | ${r.stale} | ${r.staleBeyondWindow} | ${r.maxStaleMs.toFixed(1)} |`,
        );
      }
      const store = side.reader.stores[0]?.store as Partial<SentinelKeyvStore> | undefined;
      const local = store?.stats?.();
      if (local?.localCache) console.log(`${side.name}: ${JSON.stringify(local.localCache)}`);
    }
    console.log(
      [
        '',
        `| Store | In flight | ops/s | Reads | Misses | Stale reads | Stale beyond ${WINDOW_MS} ms | Oldest stale (ms) |`,
        '| ----- | --------- | ----- | ----- | ------ | ----------- | ------------------- | ----------------- |',
        ...rows,
      ].join('\n'),
    );
    console.log(latencyTable(timings));
  } finally {
    await Promise.all(sides.map((side) => side.close().catch(() => {})));
    await topology.stop();
  }
}

await main();
