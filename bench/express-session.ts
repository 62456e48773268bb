/**
 * Session store throughput: sentinelkit's `SentinelStore` against connect-redis 9 on node-redis,
 * through express-session's Store API (`get`, `set`, `touch`), the same master, the same run.
 * Rounds interleave the two sides so that load from other work on the machine hits both alike.
 * Prints a markdown table and rewrites the `session-bench` section of docs/express-session.md.
 *
 *   pnpm bench:express-session
 *
 * Knobs (environment): BENCH_ROUNDS (30), BENCH_SLICE_MS (100), BENCH_WARMUP_MS (1000),
 * BENCH_DOCS=0 to leave the docs alone.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSentinelClient } from '@sentinelkit/core';
import { SentinelStore } from '@sentinelkit/express-session';
import { startSentinelTopology } from '@sentinelkit/testing';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
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

const COMMAND = 'pnpm bench:express-session';
const DOCS_PATH = fileURLToPath(new URL('../docs/express-session.md', import.meta.url));
const START_MARKER = '<!-- session-bench:start -->';
const END_MARKER = '<!-- session-bench:end -->';
const GOAL = 1.0;

const ROUNDS = envInt('BENCH_ROUNDS', 30);
const SLICE_MS = envInt('BENCH_SLICE_MS', 100);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 1000);
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const IN_FLIGHT = [1, 50] as const;
const SESSIONS = 200;

/** What the benchmark calls on both stores. */
interface StoreLike {
  get(sid: string): Promise<unknown>;
  set(sid: string, session: SessionData): Promise<unknown>;
  touch(sid: string, session: SessionData): Promise<unknown>;
}

/** A logged-in session of a realistic size (~400 bytes serialized). */
const SESSION = {
  cookie: {
    originalMaxAge: 86_400_000,
    expires: new Date(Date.now() + 86_400_000).toISOString(),
    httpOnly: true,
    path: '/',
  },
  user: { id: 42, name: 'Ada Lovelace', roles: ['admin', 'editor'] },
  cart: Array.from({ length: 5 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1 })),
  csrf: randomBytes(24).toString('base64url'),
} as unknown as SessionData;

function buildCases(
  stores: { replica: StoreLike; master: StoreLike; base: StoreLike },
  drivers: RawDrivers,
): Case[] {
  const ids = Array.from({ length: SESSIONS }, (_, i) => `bench-session-${i}`);
  let next = 0;
  const id = () => ids[next++ % SESSIONS] as string;
  const ops = (store: StoreLike) => ({
    get: () => store.get(id()),
    set: () => store.set(id(), SESSION),
    touch: () => store.touch(id(), SESSION),
  });
  const cases: Case[] = [];
  for (const inFlight of IN_FLIGHT) {
    cases.push(referenceGet(drivers, inFlight, 'bench:driver'));
    for (const variant of ['replica', 'master'] as const) {
      for (const operation of ['get', 'set', 'touch'] as const) {
        cases.push({
          operation:
            variant === 'replica'
              ? `\`${operation}\`, default (replicas, read-your-writes)`
              : `\`${operation}\`, \`readFrom: 'master'\``,
          inFlight,
          base: ops(stores.base)[operation],
          kit: ops(stores[variant])[operation],
        });
      }
    }
  }
  return cases;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  console.log(
    `express-session: ${ROUNDS} rounds of 4 × ${SLICE_MS} ms per row; ${cpus}; load ${loadBefore}`,
  );

  // Local processes: containers would add their own networking to every command.
  const topology = await startSentinelTopology({ backend: 'process' });
  // The client as users get it: default options.
  const client = createSentinelClient(topology.location);
  const master = await topology.currentMaster();
  const drivers = rawDrivers(master);
  try {
    await Promise.all([client.connect(), drivers.connect()]);
    await untilReplicas(client, 2);
    const stores = {
      replica: new SentinelStore({ client, prefix: 'bench:kit:' }),
      master: new SentinelStore({ client, prefix: 'bench:kitm:', readFrom: 'master' }),
      base: new RedisStore({ client: drivers.nodeRedis, prefix: 'bench:cr:' }) as StoreLike,
    };
    const cases = buildCases(stores, drivers);
    // Every session exists before anything reads it, on every side.
    for (let i = 0; i < SESSIONS; i++) {
      for (const store of Object.values(stores)) await store.set(`bench-session-${i}`, SESSION);
    }
    await drivers.ioredis.set('bench:driver', JSON.stringify(SESSION));

    const results = await compare(cases, {
      rounds: ROUNDS,
      sliceMs: SLICE_MS,
      warmupMs: WARMUP_MS,
      name: 'express-session',
    });
    const replicaStats = stores.replica.stats();
    console.log(`default store: ${JSON.stringify(replicaStats)}`);

    const redis = redisVersion(String(await client.write((r) => r.info('server'))));
    const seconds = ((ROUNDS * 4 * SLICE_MS) / 1000).toFixed(0);
    const body = reflow(
      [
        `Goal: sentinelkit's session store at **≥ ${GOAL.toFixed(1)}× the throughput of connect-redis 9 on node-redis 5** through express-session's Store API (the same master, the same run). Reproduce with \`${COMMAND}\`.`,
        `The script starts a topology (1 master, 2 replicas, 3 sentinels, \`redis-server\` processes on 127.0.0.1), then \`new SentinelStore({ client })\` with the client from \`createSentinelClient(topology.location)\` (and one with \`readFrom: 'master'\`) against \`new RedisStore({ client })\` with node-redis connected to the master, over ${SESSIONS} sessions of ~400 bytes of JSON. Each row runs with 1 and with 50 requests in flight, after ${WARMUP_MS} ms of warm-up per side, for ${ROUNDS} rounds of ${4 * SLICE_MS} ms (${seconds} s per row), rows taking turns round by round; with 50 in flight a round is four ${SLICE_MS} ms slices (connect-redis, sentinelkit, sentinelkit, connect-redis, mirrored the next round), with 1 the two take turns request by request. Ops/s are medians over rounds; the ratio is the median of sentinelkit/connect-redis within each round, with the interquartile range. The reference rows compare the two drivers alone (ioredis with the core's data-node options, without the core), for scale; they are not judged.`,
        `Last run: ${new Date().toISOString().slice(0, 10)}; ${cpus}; Node ${process.versions.node}; redis-server ${redis}; load average ${loadBefore} before and ${loadAverage()} after (a shared machine).`,
        resultTable(
          results,
          { base: 'connect-redis (node-redis) ops/s', kit: 'sentinelkit ops/s' },
          GOAL,
        ),
        verdict(results, GOAL),
      ].join('\n\n'),
    );
    console.log(`\n${body}\n`);
    if (WRITE_DOCS) {
      await writeDocsSection({
        path: DOCS_PATH,
        startMarker: START_MARKER,
        endMarker: END_MARKER,
        script: 'bench/express-session.ts',
        command: COMMAND,
        heading: 'Benchmark',
        body,
      });
      console.log(`wrote ${DOCS_PATH}`);
    }
  } finally {
    await drivers.close();
    await client.close();
    await topology.stop();
  }
}

await main();
