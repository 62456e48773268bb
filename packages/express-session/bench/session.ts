/**
 * Session store throughput: `SentinelStore` against connect-redis 9 + node-redis on the same
 * master, through express-session's Store API (`get`, `set`, `touch`), in the same run,
 * interleaved in short turns so that load from other work on the machine hits both alike.
 * Prints a markdown table and rewrites the `session-bench` section of docs/express-session.md.
 *
 *   pnpm --filter @sentinelkit/express-session bench
 *
 * Knobs (environment): BENCH_ROUNDS (default 20), BENCH_SLICE_MS (100), BENCH_WARMUP_MS (500),
 * BENCH_DOCS=0 (print only).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSentinelClient } from '@sentinelkit/core';
import { startSentinelTopology } from '@sentinelkit/testing';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { SentinelStore } from '../src/index.js';

const DOCS_PATH = fileURLToPath(new URL('../../../docs/express-session.md', import.meta.url));
const START = '<!-- session-bench:start -->';
const END = '<!-- session-bench:end -->';
const ROUNDS = envInt('BENCH_ROUNDS', 20);
const SLICE_MS = envInt('BENCH_SLICE_MS', 100);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 500);
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const SESSIONS = 200;

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: a positive integer`);
  return value;
}

type Op = () => Promise<unknown>;
interface StoreLike {
  get(sid: string): Promise<unknown>;
  set(sid: string, s: SessionData): Promise<unknown>;
  touch(sid: string, s: SessionData): Promise<unknown>;
}

/** A logged-in session of a realistic size (~400 bytes serialized). */
const session = (): SessionData =>
  ({
    cookie: {
      originalMaxAge: 86_400_000,
      expires: new Date(Date.now() + 86_400_000).toISOString(),
      httpOnly: true,
      path: '/',
    },
    user: { id: 42, name: 'Ada Lovelace', roles: ['admin', 'editor'] },
    cart: Array.from({ length: 5 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1 })),
    csrf: randomBytes(24).toString('base64url'),
  }) as unknown as SessionData;

async function measure(op: Op, inFlight: number, ms: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + ms;
  const loop = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return done / ((performance.now() - start) / 1000);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Pads a markdown table's columns, as the formatter would, so a rerun leaves the docs formatted. */
function alignTable(lines: string[]): string {
  const cells = lines.map((line) =>
    line
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim()),
  );
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => [...row[i]!].length)));
  return cells
    .map((row, r) =>
      r === 1
        ? `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`
        : `| ${row.map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length)).join(' | ')} |`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const topology = await startSentinelTopology();
  // The client as users get it: default options (no auto-pipelining).
  const client = createSentinelClient(topology.location);
  await client.connect();
  const master = await topology.currentMaster();
  // The drivers themselves, for the ceiling row: ioredis with the options the core uses for data
  // nodes (commandTimeout included), node-redis as connect-redis gets it.
  const ioredis = new Redis({
    host: master.host,
    port: master.port,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // The tuning docs/express-session.md suggests for many requests in flight.
  const piped = createSentinelClient(topology.location, {
    redisOptions: { enableAutoPipelining: true },
  });
  await piped.connect();
  const ioredisPiped = new Redis({
    host: master.host,
    port: master.port,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  });
  const nodeRedis = createClient({ url: `redis://${master.host}:${master.port}` });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  try {
    const stores: Record<'replica' | 'master' | 'connect-redis', StoreLike> = {
      replica: new SentinelStore({ client, prefix: 'bench:kit:' }),
      master: new SentinelStore({ client, prefix: 'bench:kitm:', readFrom: 'master' }),
      'connect-redis': new RedisStore({ client: nodeRedis, prefix: 'bench:cr:' }),
    };
    const pipedStore = new SentinelStore({ client: piped, prefix: 'bench:kit:' });
    const ids = Array.from({ length: SESSIONS }, () => randomBytes(24).toString('base64url'));
    const data = session();
    for (const store of Object.values(stores)) {
      for (const id of ids) await store.set(id, data);
    }
    let i = 0;
    const nextId = () => ids[i++ % SESSIONS]!;
    const ops = (store: StoreLike): Record<string, Op> => ({
      get: () => store.get(nextId()),
      set: () => store.set(nextId(), data),
      touch: () => store.touch(nextId(), data),
    });

    const rows: string[] = [];
    await ioredis.set('bench:driver', JSON.stringify(data));
    const cases: { label: string; kit: Op; raw: Op; only?: number }[] = [
      {
        label: 'driver ceiling: raw ioredis `GET` vs raw node-redis `GET`',
        kit: () => ioredis.get('bench:driver'),
        raw: () => nodeRedis.get('bench:driver'),
      },
    ];
    const pipedCases: typeof cases = [
      {
        label: 'driver ceiling, ioredis with `enableAutoPipelining`',
        kit: () => ioredisPiped.get('bench:driver'),
        raw: () => nodeRedis.get('bench:driver'),
        only: 50,
      },
      ...['get', 'set', 'touch'].map((operation) => ({
        label: `\`${operation}\`, default, client with \`enableAutoPipelining\``,
        kit: ops(pipedStore)[operation]!,
        raw: ops(stores['connect-redis'])[operation]!,
        only: 50,
      })),
    ];
    for (const variant of ['replica', 'master'] as const) {
      for (const operation of ['get', 'set', 'touch']) {
        cases.push({
          label:
            variant === 'replica'
              ? `\`${operation}\`, default (replicas, read-your-writes)`
              : `\`${operation}\`, \`readFrom: 'master'\``,
          kit: ops(stores[variant])[operation]!,
          raw: ops(stores['connect-redis'])[operation]!,
        });
      }
    }
    for (const inFlight of [1, 50]) {
      for (const { label, kit, raw, only } of [...cases, ...pipedCases]) {
        if (only !== undefined && only !== inFlight) continue;
        await measure(kit, inFlight, WARMUP_MS);
        await measure(raw, inFlight, WARMUP_MS);
        const kitRates: number[] = [];
        const rawRates: number[] = [];
        const ratios: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // raw, kit, kit, raw; the next round mirrored: drift within a round cancels.
          const order = round % 2 === 0 ? [raw, kit, kit, raw] : [kit, raw, raw, kit];
          let k = 0;
          let r = 0;
          for (const op of order) {
            const rate = await measure(op, inFlight, SLICE_MS);
            if (op === kit) k += rate / 2;
            else r += rate / 2;
          }
          kitRates.push(k);
          rawRates.push(r);
          ratios.push(k / r);
        }
        const ratio = quantile(ratios, 0.5);
        const row = `| ${label} | ${inFlight} | ${fmt(quantile(rawRates, 0.5))} | ${fmt(quantile(kitRates, 0.5))} | ${ratio.toFixed(2)}${ratio >= 1 ? '' : ' ✗'} (${quantile(ratios, 0.25).toFixed(2)}–${quantile(ratios, 0.75).toFixed(2)}) |`;
        console.log(row);
        rows.push(row);
      }
    }
    const loadAfter = os.loadavg();
    const cpu = os.cpus();
    const table = alignTable([
      '| Operation | In flight | connect-redis (node-redis) ops/s | sentinelkit (ioredis) ops/s | Ratio (interquartile range) |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ]);
    const section = [
      START,
      '<!-- Written by packages/express-session/bench/session.ts: rerun it rather than edit. -->',
      '',
      `Last run: ${new Date().toISOString().slice(0, 10)}; ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}; Node ${process.version}; ${ROUNDS} rounds of 4 × ${SLICE_MS} ms per row. Load average ${loadBefore.map((l) => l.toFixed(2)).join(' / ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' / ')} after (the machine is shared).`,
      '',
      table,
      END,
    ].join('\n');
    console.log(`\n${table}`);
    if (WRITE_DOCS) {
      const docs = await readFile(DOCS_PATH, 'utf8');
      const from = docs.indexOf(START);
      const to = docs.indexOf(END);
      if (from < 0 || to < 0)
        throw new Error(`markers ${START} / ${END} not found in ${DOCS_PATH}`);
      await writeFile(DOCS_PATH, docs.slice(0, from) + section + docs.slice(to + END.length));
      console.log(`updated ${DOCS_PATH}`);
    }
  } finally {
    await nodeRedis.quit().catch(() => undefined);
    ioredis.disconnect();
    ioredisPiped.disconnect();
    await piped.close();
    await client.close();
    await topology.stop();
  }
}

await main();
