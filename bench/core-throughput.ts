/**
 * Core throughput: sentinelkit's `read()` / `write()` against raw ioredis on the
 * same topology, in the same run, interleaved in short turns so that load from
 * other work on the machine hits both sides alike. Prints markdown tables and
 * rewrites the `core-throughput` section of docs/benchmarks.md.
 *
 *   pnpm bench:core
 *
 * Knobs (environment): BENCH_ROUNDS, BENCH_SLICE_MS, BENCH_WARMUP_MS, BENCH_ONLY,
 * BENCH_DOCS; see the options table at the end of docs/benchmarks.md.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { instrumentSentinelKit } from '@sentinelkit/core/opentelemetry';
import { startSentinelTopology } from '@sentinelkit/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { alternate, measure, type Op } from './lib/measure.js';
import {
  cpuDescription,
  envInt,
  loadAverage,
  type Machine,
  markdownTable,
  median,
  quantile,
  redisVersion,
  reflow,
  writeDocsSection,
} from './lib/report.js';

const COMMAND = 'pnpm bench:core';
const DOCS_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const START_MARKER = '<!-- core-throughput:start -->';
const END_MARKER = '<!-- core-throughput:end -->';
const GOAL = 0.95;

// A round lasts four slices: with several requests in flight, one slice each of
// raw/sentinelkit/sentinelkit/raw (the next round the mirror image), so drift
// within a round cancels; with one, request-by-request turns (see round()).
// Slices are short because load from other work on a shared machine swings
// throughput several-fold from one 100 ms window to the next.
const ROUNDS = envInt('BENCH_ROUNDS', 40);
const SLICE_MS = envInt('BENCH_SLICE_MS', 100);
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 1000);
const CASE_IDS = ['get-replica', 'get-replica-spread', 'get-master', 'set'] as const;
type CaseId = (typeof CASE_IDS)[number];
// A subset of cases (comma-separated ids), e.g. under a profiler; leaves the docs untouched.
const ONLY = caseList(process.env.BENCH_ONLY);
// BENCH_DOCS=0 prints the table without touching docs/benchmarks.md.
const WRITE_DOCS = process.env.BENCH_DOCS !== '0';
const IN_FLIGHT = [1, 50] as const;

const KEY = 'bench:core:key';
const VALUE = 'v'.repeat(64);

/**
 * The ioredis options sentinelkit uses for a data node (`dataNodeOptions` in
 * packages/core/src/connections.ts, with the client's defaults resolved), so the
 * baseline pays for the same per-command work. Neither arms ioredis' per-command
 * `commandTimeout` timer: the core enforces its timeout by watching each
 * connection's queue instead (packages/core/src/watchdog.ts).
 * {@link assertSameOptions} checks them against the core's live connections.
 */
const RAW_OPTIONS = {
  protocol: 2,
  db: 0,
  connectTimeout: 2000,
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: () => null,
  reconnectOnError: null,
} satisfies RedisOptions;

const COMPARED_OPTIONS = [
  'protocol',
  'db',
  'connectTimeout',
  'commandTimeout',
  'enableOfflineQueue',
  'maxRetriesPerRequest',
  'autoResendUnfulfilledCommands',
  'enableAutoPipelining',
  'showFriendlyErrorStack',
  'keyPrefix',
  'tls',
] as const satisfies readonly (keyof RedisOptions)[];

interface Case {
  id: CaseId;
  operation: string;
  inFlight: number;
  raw: Op;
  kit: Op;
}

interface Result {
  testCase: Case;
  /** Raw ioredis ops/s of each round. */
  raw: number[];
  /** sentinelkit ops/s of each round. */
  kit: number[];
  /** sentinelkit/raw of each round. */
  ratios: number[];
  /** Raw ioredis CPU time per operation of each slice, in microseconds (only with slices). */
  rawCpu: number[];
}

function caseList(text: string | undefined): CaseId[] | undefined {
  if (text === undefined || text === '') return undefined;
  const ids = text.split(',').map((s) => s.trim());
  for (const id of ids) {
    if (!(CASE_IDS as readonly string[]).includes(id)) {
      throw new Error(`BENCH_ONLY: unknown case ${JSON.stringify(id)}; use ${CASE_IDS.join(', ')}`);
    }
  }
  return ids as CaseId[];
}

/** Linear-interpolated quantile `q` (0–1) of `values`. */

async function waitForReplicas(client: SentinelClient, count: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (client.topology().replicas.length < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `the client has ${client.topology().replicas.length} replicas in rotation, expected ${count}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Fails when the baseline's settings drift from those of the core's own connections. */
async function assertSameOptions(client: SentinelClient, raw: Redis): Promise<void> {
  const core = [
    await client.write(async (master) => master.options),
    await client.read(async (replica) => replica.options, { readFrom: 'replica-only' }),
  ];
  const differ = core.flatMap((options) =>
    COMPARED_OPTIONS.filter(
      (key) => JSON.stringify(options[key]) !== JSON.stringify(raw.options[key]),
    ).map(
      (key) =>
        `${key}: core ${JSON.stringify(options[key])}, raw ${JSON.stringify(raw.options[key])}`,
    ),
  );
  if (differ.length > 0) {
    throw new Error(`raw ioredis baseline is not configured like the core: ${differ.join('; ')}`);
  }
}

function buildCases(
  client: SentinelClient,
  rawMaster: Redis,
  rawReplicas: readonly Redis[],
): Case[] {
  const anyReplica = () => rawReplicas[Math.floor(Math.random() * rawReplicas.length)]!;
  const cases: Case[] = [];
  for (const inFlight of IN_FLIGHT) {
    cases.push(
      {
        id: 'get-replica',
        operation: 'GET: `read()` on replicas; raw on the master',
        inFlight,
        raw: () => rawMaster.get(KEY),
        kit: () => client.read((r) => r.get(KEY)),
      },
      {
        id: 'get-replica-spread',
        operation: 'GET: `read()` on replicas; raw on the same replicas, chosen at random',
        inFlight,
        raw: () => anyReplica().get(KEY),
        kit: () => client.read((r) => r.get(KEY)),
      },
      {
        id: 'get-master',
        operation: "GET: `read(fn, { readFrom: 'master' })`; raw on the master",
        inFlight,
        raw: () => rawMaster.get(KEY),
        kit: () => client.read((r) => r.get(KEY), { readFrom: 'master' }),
      },
      {
        id: 'set',
        operation: 'SET: `write()`; raw on the master',
        inFlight,
        raw: () => rawMaster.set(KEY, VALUE),
        kit: () => client.write((r) => r.set(KEY, VALUE)),
      },
    );
  }
  return ONLY ? cases.filter((c) => ONLY.includes(c.id)) : cases;
}

/**
 * One round of 4 × {@link SLICE_MS}. With several requests in flight: slices of
 * raw, sentinelkit, sentinelkit, raw (mirrored when `mirror`). With one: the two
 * take turns request by request, timed one by one, so both see the same moment
 * of the machine.
 */
async function round(result: Result, mirror: boolean): Promise<number> {
  const { raw, kit, inFlight } = result.testCase;
  let rawOps: number;
  let kitOps: number;
  if (inFlight === 1) {
    [rawOps, kitOps] = await alternate(raw, kit, 4 * SLICE_MS);
  } else {
    const order = mirror ? [kit, raw, raw, kit] : [raw, kit, kit, raw];
    rawOps = 0;
    kitOps = 0;
    for (const op of order) {
      const slice = await measure(op, inFlight, SLICE_MS);
      if (op === raw) {
        rawOps += slice.opsPerSecond / 2;
        result.rawCpu.push(slice.cpuMicros);
      } else {
        kitOps += slice.opsPerSecond / 2;
      }
    }
  }
  result.raw.push(rawOps);
  result.kit.push(kitOps);
  result.ratios.push(kitOps / rawOps);
  return kitOps / rawOps;
}

interface WrapperCost {
  call: string;
  nanos: number;
  overNanos: number;
  /** Raw ioredis CPU time per operation of the matching command at 50 in flight, if measured. */
  rawCpuMicros: number | undefined;
}

/**
 * What `read()` / `write()` cost by themselves: CPU time per call with a
 * callback that returns an already settled promise (no I/O), against calling
 * the callback directly; best of 15 interleaved repetitions, 50 calls at a time.
 */
async function wrapperCosts(
  client: SentinelClient,
  results: readonly Result[],
): Promise<WrapperCost[]> {
  const master = await client.write(async (r) => r);
  const settled = Promise.resolve('value');
  const fn = (_redis: Redis) => settled;
  const rawCpu = (id: CaseId) => {
    const found = results.find((r) => r.testCase.id === id && r.testCase.inFlight > 1);
    return found && found.rawCpu.length > 0 ? median(found.rawCpu) : undefined;
  };
  // With OpenTelemetry metrics on: an SDK meter provider with a reader, as an app would have
  // (collected by nobody during the timing: the cost measured is recording).
  class IdleReader extends MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  let instrumented: { uninstall(): void } | undefined;
  // The default: metrics, and the trace events' operation scope (no tracer provider is set,
  // so no span is recording: what every call pays for it).
  const withMetrics = {
    before: () => {
      instrumented = instrumentSentinelKit({ meterProvider });
    },
    after: () => instrumented?.uninstall(),
  };
  const withMetricsOnly = {
    before: () => {
      instrumented = instrumentSentinelKit({ meterProvider, traces: false });
    },
    after: () => instrumented?.uninstall(),
  };
  const variants: {
    call: string;
    op: Op;
    rawCpuMicros: number | undefined;
    before?: () => void;
    after?: () => void;
  }[] = [
    { call: 'the callback, called directly', op: () => fn(master), rawCpuMicros: undefined },
    {
      call: '`read(fn)`, replica path',
      op: () => client.read(fn),
      rawCpuMicros: rawCpu('get-replica-spread'),
    },
    {
      call: "`read(fn, { readFrom: 'master' })`",
      op: () => client.read(fn, { readFrom: 'master' }),
      rawCpuMicros: rawCpu('get-master'),
    },
    { call: '`write(fn)`', op: () => client.write(fn), rawCpuMicros: rawCpu('set') },
    {
      call: '`read(fn)`, replica path, OpenTelemetry on',
      op: () => client.read(fn),
      rawCpuMicros: rawCpu('get-replica-spread'),
      ...withMetrics,
    },
    {
      call: '`write(fn)`, OpenTelemetry on',
      op: () => client.write(fn),
      rawCpuMicros: rawCpu('set'),
      ...withMetrics,
    },
    {
      call: '`write(fn)`, OpenTelemetry metrics only (`traces: false`)',
      op: () => client.write(fn),
      rawCpuMicros: rawCpu('set'),
      ...withMetricsOnly,
    },
  ];
  const calls = 100_000;
  const batch = 50;
  const time = async (op: Op) => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < calls / batch; i++) {
      const pending: Promise<unknown>[] = [];
      for (let j = 0; j < batch; j++) pending.push(op());
      await Promise.all(pending);
    }
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) * 1000) / calls;
  };
  const best = variants.map(() => Number.POSITIVE_INFINITY);
  for (let rep = 0; rep < 16; rep++) {
    for (const [i, v] of variants.entries()) {
      v.before?.();
      const nanos = await time(v.op);
      v.after?.();
      // The first repetition warms up.
      if (rep > 0) best[i] = Math.min(best[i] ?? nanos, nanos);
    }
  }
  await meterProvider.shutdown();
  const direct = best[0] ?? 0;
  return variants.map((v, i) => ({
    call: v.call,
    nanos: best[i] ?? 0,
    overNanos: (best[i] ?? 0) - direct,
    rawCpuMicros: v.rawCpuMicros,
  }));
}

const fmtOps = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtRatio = (n: number) => n.toFixed(2);

function summarize(result: Result) {
  return {
    raw: median(result.raw),
    kit: median(result.kit),
    ratio: median(result.ratios),
    low: quantile(result.ratios, 0.25),
    high: quantile(result.ratios, 0.75),
  };
}

/** A markdown table, padded the way `biome format` pads one. */

function table(results: readonly Result[]): string {
  return markdownTable(
    [
      'Operation',
      'In flight',
      'Raw ioredis ops/s',
      'sentinelkit ops/s',
      'Ratio (interquartile range)',
    ],
    results.map((result) => {
      const s = summarize(result);
      const mark = s.ratio >= GOAL ? '' : ' ✗';
      return [
        result.testCase.operation,
        String(result.testCase.inFlight),
        fmtOps(s.raw),
        fmtOps(s.kit),
        `${fmtRatio(s.ratio)}${mark} (${fmtRatio(s.low)}–${fmtRatio(s.high)})`,
      ];
    }),
  );
}

function costTable(costs: readonly WrapperCost[]): string {
  return markdownTable(
    [
      'Call (callback returns a settled promise, no I/O)',
      'CPU ns per call',
      'Added',
      'Share of raw CPU per command',
    ],
    costs.map((c, i) => [
      c.call,
      c.nanos.toFixed(0),
      i === 0 ? '' : `${c.overNanos >= 0 ? '+' : ''}${c.overNanos.toFixed(0)} ns`,
      i === 0 || c.rawCpuMicros === undefined
        ? ''
        : `${((100 * c.overNanos) / (c.rawCpuMicros * 1000)).toFixed(1)} % of ${c.rawCpuMicros.toFixed(1)} µs`,
    ]),
  );
}

/** What the run says about the goal, in words, from the figures. */
function verdict(results: readonly Result[]): string {
  const own = results.filter((r) => r.testCase.id !== 'get-replica');
  const ownBelow = own.filter((r) => summarize(r).ratio < GOAL);
  const lines = [
    ownBelow.length === 0
      ? `Where both sides use the same servers (the client's own cost), every ratio meets the goal of ≥ ${GOAL}×.`
      : `Below the goal of ≥ ${GOAL}× where both sides use the same servers (✗): ${ownBelow
          .map((r) => `${r.testCase.operation}, ${r.testCase.inFlight} in flight`)
          .join('; ')}.`,
  ];
  for (const layout of results.filter((r) => r.testCase.id === 'get-replica')) {
    const s = summarize(layout);
    if (s.ratio >= GOAL) continue;
    const spread = results.find(
      (r) =>
        r.testCase.id === 'get-replica-spread' && r.testCase.inFlight === layout.testCase.inFlight,
    );
    const spreadSummary = spread && summarize(spread);
    lines.push(
      spreadSummary && spreadSummary.ratio >= GOAL
        ? `\`read()\` on replicas against raw ioredis on the master is at ${fmtRatio(s.ratio)}× with ${layout.testCase.inFlight} in flight, but raw ioredis spread over the same two replicas does ${fmtOps(spreadSummary.raw)} ops/s against ${fmtOps(s.raw)} on the master, and \`read()\` keeps up with it (${fmtRatio(spreadSummary.ratio)}×): on this machine the replicas answer more slowly than the master, whichever client asks.`
        : `\`read()\` on replicas against raw ioredis on the master is at ${fmtRatio(s.ratio)}× with ${layout.testCase.inFlight} in flight.`,
    );
  }
  return lines.join('\n\n');
}

function section(
  results: readonly Result[],
  costs: readonly WrapperCost[],
  machine: Machine,
  date: string,
): string {
  const seconds = ((ROUNDS * 4 * SLICE_MS) / 1000).toFixed(0);
  return reflow(`Goal: sentinelkit's \`read()\` and \`write()\` run at **≥ ${GOAL}× the throughput of raw ioredis** sending the same command to the same server.

Reproduce with:

\`\`\`sh
${COMMAND}
\`\`\`

The script starts its own topology (\`startSentinelTopology({ backend: 'process' })\`: 1 master, 2 replicas, 3 sentinels, each a \`redis-server\` process on 127.0.0.1) and connects one sentinelkit client (\`createSentinelClient(topology.location)\`) and raw ioredis connections, one to the master and one to each replica, with the options the core uses for data nodes (RESP2, no offline queue, no auto-pipelining, no per-command timer: the core enforces \`commandTimeout\` by watching each connection's queue; checked against the core's live connections at start). Every operation runs with 1 and with 50 requests in flight (that many concurrent loops, each awaiting one command at a time), after ${WARMUP_MS} ms of warm-up per variant, for ${ROUNDS} rounds of ${4 * SLICE_MS} ms (${seconds} s per row); the rows take turns round by round. With 50 in flight a round is four ${SLICE_MS} ms slices: raw, sentinelkit, sentinelkit, raw (the next round mirrored). With 1 in flight the two take turns request by request, each request timed. The ops/s columns are medians over rounds; the ratio is the median over rounds of sentinelkit/raw within the round, with the interquartile range in brackets. Slices are short and turns fine-grained because the machine is shared: other work swings throughput several-fold from one 100 ms window to the next.

- **\`read()\` on replicas; raw on the master**: sentinelkit sends each read to a random replica
  (two other \`redis-server\` processes, one connection each) while raw ioredis reads from the
  master over one connection, so the ratio includes the difference in servers and connections.
- **\`read()\` on replicas; raw on the same replicas**: raw ioredis also picks one of the two
  replica connections at random per command: \`read()\`'s own cost on the replica path.
- **\`readFrom: 'master'\`**: both read from the master over one connection each: \`read()\`'s
  own cost on the master path.
- **\`write()\`**: both write to the master over one connection each.

Raw ioredis writes each command to its socket on its own. When several calls use a connection in the same tick, the core corks it until the end of the tick (see [core](core.md)), so their commands leave in one write, as node-redis sends them: with 50 in flight that is why sentinelkit can be well above raw ioredis. With 1 in flight there is nothing to batch, and a connection that saw a single call in its last tick is not corked.

Last run: ${date}; ${machine.cpus}; Node ${machine.node}; redis-server ${machine.redis}; ioredis ${machine.ioredis}; ${machine.os}. Load average ${machine.loadBefore} before and ${machine.loadAfter} after: the machine is shared, and other work ran alongside.

${table(results)}

${verdict(results)}

What the wrapper costs by itself, measured in the same run: CPU time per call of \`read()\` and \`write()\` around a callback that returns an already settled promise, against calling that callback directly (best of 15 repetitions of 100,000 calls, 50 at a time). "Share" is the added time as a part of the CPU time raw ioredis spent per command in the 50-in-flight rows above (GET on the replicas, GET on the master, SET), so it bounds what the wrapper can take from throughput. The rows "OpenTelemetry on" run with \`instrumentSentinelKit()\` installed on an SDK \`MeterProvider\` with a reader ([observability](observability.md)), its trace events' scope included; "metrics only" with \`traces: false\`; without it, the diagnostics channels have no subscriber and the first rows are what every call pays.

${costTable(costs)}`);
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  console.log(
    `core throughput: ${ROUNDS} rounds of 4 × ${SLICE_MS} ms per row; ${cpus}; load ${loadBefore}`,
  );

  // Local processes, whatever $SENTINELKIT_BACKEND says: containers would add
  // their own networking to every command and make runs incomparable.
  const topology = await startSentinelTopology({ backend: 'process' });
  const client = createSentinelClient(topology.location);
  client.on('error', (error) => console.error(`sentinelkit error: ${error.message}`));
  const raws: Redis[] = [];
  const rawTo = async (node: { host: string; port: number }) => {
    const redis = new Redis({ ...RAW_OPTIONS, host: node.host, port: node.port });
    raws.push(redis);
    redis.on('error', (error: Error) => console.error(`raw ioredis error: ${error.message}`));
    await redis.connect();
    return redis;
  };
  try {
    await client.connect();
    await waitForReplicas(client, 2, 10_000);
    const rawMaster = await rawTo(await topology.currentMaster());
    const rawReplicas = await Promise.all((await topology.replicas()).map(rawTo));
    await assertSameOptions(client, rawMaster);
    await rawMaster.set(KEY, VALUE);
    // Reads from a replica must find the key, as reads from the master do.
    await rawMaster.wait(rawReplicas.length, 5000);

    const cases = buildCases(client, rawMaster, rawReplicas);
    console.log(`warm-up: ${WARMUP_MS} ms per variant`);
    for (const c of cases) {
      await measure(c.raw, c.inFlight, WARMUP_MS);
      await measure(c.kit, c.inFlight, WARMUP_MS);
    }

    const results: Result[] = cases.map((testCase) => ({
      testCase,
      raw: [],
      kit: [],
      ratios: [],
      rawCpu: [],
    }));
    for (let i = 0; i < ROUNDS; i++) {
      const ratios: string[] = [];
      for (const result of results) ratios.push(fmtRatio(await round(result, i % 2 === 1)));
      console.log(`round ${i + 1}/${ROUNDS}: ratios ${ratios.join(' ')}`);
    }

    const stats = client.stats();
    console.log(
      `sentinelkit routing: ${stats.writes} writes, ${stats.masterReads} master reads, replica reads ${JSON.stringify(stats.replicaReads)}`,
    );
    const machine: Machine = {
      cpus,
      node: process.version,
      redis: redisVersion(await rawMaster.info('server')),
      ioredis: createRequire(import.meta.url)('ioredis/package.json').version,
      os: `${os.type()} ${os.release()}`,
      loadBefore,
      loadAfter: loadAverage(),
    };
    const costs = await wrapperCosts(client, results);
    console.log(`\n${table(results)}\n\n${costTable(costs)}\n`);
    if (WRITE_DOCS && !ONLY) {
      await writeDocsSection({
        path: DOCS_PATH,
        startMarker: START_MARKER,
        endMarker: END_MARKER,
        script: 'bench/core-throughput.ts',
        command: COMMAND,
        heading: 'Core throughput',
        body: section(results, costs, machine, new Date().toISOString().slice(0, 10)),
      });
      console.log(`wrote ${DOCS_PATH}`);
    }
  } finally {
    await Promise.allSettled([client.close(), ...raws.map((r) => r.quit())]);
    await topology.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
