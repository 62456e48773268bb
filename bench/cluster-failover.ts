/**
 * Cluster failover: what a client of a Redis Cluster sees when one shard's master is killed
 * (SIGKILL) or frozen (SIGSTOP, thawed after its replica took over), under writes spread over
 * every slot: how soon the failed shard takes writes again after the promotion, how many writes
 * fail, how many writes to the other shards are held, and how many acknowledged writes are lost.
 * sentinelkit's cluster client, ioredis' `Cluster` and node-redis' `createCluster` (both with their defaults), in the same run,
 * clients interleaved run by run. Prints markdown tables and rewrites the `cluster-failover`
 * section of docs/benchmarks.md.
 *
 *   pnpm bench:cluster-failover
 *
 * Knobs (environment): BENCH_RUNS, BENCH_FAULTS, BENCH_CLIENTS, BENCH_AFTER_MS, BENCH_SETTLE_MS,
 * BENCH_FULL_COVERAGE, BENCH_DOCS; see {@link optionsTable}. A client is one entry of
 * {@link CLIENTS}.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClusterClient, type FailoverTimings } from '@sentinelkit/core';
import {
  type ClusterTopology,
  startClusterTopology,
  type TopologyNode,
} from '@sentinelkit/testing';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import {
  cpuDescription,
  envInt,
  idList,
  loadAverage,
  type Machine,
  markdownTable,
  median,
  redisVersion,
  reflow,
  writeDocsSection,
} from './lib/report.js';
import { messageOf, now, type Send, sleep, type WriteRecord, Writer } from './lib/writer.js';

const COMMAND = 'pnpm bench:cluster-failover';
const DOCS_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const START_MARKER = '<!-- cluster-failover:start -->';
const END_MARKER = '<!-- cluster-failover:end -->';

// ----------------------------------------------------------------- clients

/** A connected client under test: sends one write, closes. */
interface Subject {
  send: Send;
  close(): Promise<void>;
  /** The client's own timings of the failover (sentinelkit's `MASTER_CHANGE`), if it has any. */
  timings?(): FailoverTimings | undefined;
}

interface ClientEntry {
  label: string;
  /** Judged against the goals of issue 17 (sentinelkit); the others are measured for comparison. */
  judged?: boolean;
  connect(cluster: ClusterTopology): Promise<Subject>;
}

/** The clients, in table order; a client is one entry (`judged`: held to the goals of issue 17). */
const CLIENTS = {
  sentinelkit: {
    label: 'sentinelkit `write(fn, { idempotent: true })`',
    judged: true,
    connect: async (cluster) => {
      const client = createClusterClient(cluster.location);
      client.on('error', () => {});
      let timings: FailoverTimings | undefined;
      client.on('topology-change', (event) => {
        if (event.type === 'MASTER_CHANGE' && event.timings) timings ??= event.timings;
      });
      await client.connect();
      return {
        send: (key, value) =>
          client.write((master) => master.set(key, value), { idempotent: true }),
        close: () => client.close(),
        timings: () => timings,
      };
    },
  },
  ioredis: {
    label: 'ioredis `new Cluster(startupNodes)`',
    connect: async (cluster) => {
      // ioredis' defaults, as an application would write it.
      const client = new Cluster(cluster.startupNodes);
      client.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('end', () => reject(new Error('ioredis Cluster ended before ready')));
      });
      return {
        send: (key, value) => client.set(key, value),
        close: async () => {
          client.disconnect();
        },
      };
    },
  },
  'node-redis': {
    label: 'node-redis `createCluster({ rootNodes })`',
    connect: async (cluster) => {
      const client = createCluster({
        rootNodes: cluster.startupNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
      });
      client.on('error', () => {});
      await client.connect();
      return {
        send: (key, value) => client.set(key, value),
        close: async () => client.destroy(),
      };
    },
  },
} satisfies Record<string, ClientEntry>;
type ClientId = keyof typeof CLIENTS;
const CLIENT_IDS = Object.keys(CLIENTS) as ClientId[];

// ----------------------------------------------------------------- settings

const FAULT_IDS = ['kill', 'freeze'] as const;
type Fault = (typeof FAULT_IDS)[number];
const FAULT_LABELS: Record<Fault, string> = {
  kill: 'Shard master killed (SIGKILL)',
  freeze: 'Shard master frozen (SIGSTOP), thawed after the promotion',
};

const RUNS = envInt('BENCH_RUNS', 3);
const FAULTS = idList('BENCH_FAULTS', FAULT_IDS);
const CLIENT_LIST = idList('BENCH_CLIENTS', CLIENT_IDS);
/** Kill: the run goes on this long after the promotion; freeze: the old master is thawed then. */
const AFTER_MS = envInt('BENCH_AFTER_MS', 5000);
/** After the run, writes still pending get this long to settle. */
const SETTLE_MS = envInt('BENCH_SETTLE_MS', 15_000);
/** `cluster-require-full-coverage`: off by default, so the other shards' writes measure the client. */
const FULL_COVERAGE = process.env.BENCH_FULL_COVERAGE === '1';
const SUBSET = FAULTS.length < FAULT_IDS.length || CLIENT_LIST.length < CLIENT_IDS.length;
const WRITE_DOCS = process.env.BENCH_DOCS !== '0' && !SUBSET;

/** Writes per second, issued by a timer whether or not earlier ones have answered. */
const RATE = 200;
/** Writes run this long before the fault. */
const BEFORE_FAULT_MS = 1000;
/** Freeze: the run goes on this long after the cluster is ready again (old master a replica). */
const AFTER_READY_MS = 1000;
/** A write to a shard that did not fail, taking longer than this, was held by the failover. */
const HELD_MS = 100;
/** `cluster-node-timeout` of the runs (the topology's default). */
const NODE_TIMEOUT_MS = 1000;
/** The shard whose master fails. */
const FAILED_SHARD = 0;

/** Goals of issue 17, for the judged (sentinelkit) rows. */
const GOAL_MEDIAN_MS = 50;

// -------------------------------------------------------------------- runs

interface RunResult {
  fault: Fault;
  client: ClientId;
  run: number;
  position: number;
  /** The promoted replica said `ROLE` master, minus the fault. */
  promotedAfterFault: number;
  /** Every running node named it, minus the fault (`waitForFailover`, polled every 50 ms). */
  agreedAfterFault: number;
  /** First write issued after the fault to the failed shard that succeeded, at its answer, minus the promotion. */
  firstToFailedShard: number | undefined;
  issued: number;
  acked: number;
  failedOnFailedShard: number;
  failedOnOtherShards: number;
  /** Writes to the other shards issued after the fault that took more than {@link HELD_MS} (or failed). */
  heldOnOtherShards: number;
  /** The slowest of those, ms. */
  worstOtherShardMs: number;
  unsettled: number;
  /** Acknowledged writes absent (or with another value) from their slot's master afterwards. */
  missing: number;
  /** Of those, acknowledged after the promotion. */
  missingAfterPromotion: number;
  errors: Record<string, number>;
  /** sentinelkit's own MASTER_CHANGE timings: suspected − fault, seen − promotion, switched − seen. */
  own: { suspected: number | undefined; seen: number; switched: number } | undefined;
}

/** Polls `node`'s `ROLE` every 5 ms until it says master; resolves with when it first did. */
function watchPromotion(node: TopologyNode): { promoted: Promise<number>; stop(): void } {
  const redis = new Redis({ host: node.host, port: node.port, lazyConnect: true });
  redis.on('error', () => {});
  let stopped = false;
  const promoted = (async () => {
    await redis.connect();
    while (!stopped) {
      const [role] = (await redis.call('ROLE')) as [string];
      if (role === 'master') return now();
      await sleep(5);
    }
    throw new Error(`stopped watching ${node}`);
  })();
  promoted.catch(() => {});
  return {
    promoted,
    stop: () => {
      stopped = true;
      redis.disconnect();
    },
  };
}

/** The acknowledged writes whose value is not on the master serving their slot now. */
async function missingWrites(
  cluster: ClusterTopology,
  acked: readonly WriteRecord[],
): Promise<Set<number>> {
  const shards = await cluster.shards();
  const missing = new Set<number>();
  for (const shard of shards) {
    const mine = acked.filter(
      (r) => cluster.shardIndexOf(cluster.slotOf(`key_${r.i}`)) === shard.index,
    );
    const redis = new Redis({
      host: shard.master.host,
      port: shard.master.port,
      lazyConnect: true,
    });
    try {
      await redis.connect();
      const pipeline = redis.pipeline();
      for (const r of mine) pipeline.get(`key_${r.i}`);
      const replies = (await pipeline.exec()) ?? [];
      mine.forEach((r, n) => {
        if (replies[n]?.[1] !== String(r.i)) missing.add(r.i);
      });
    } finally {
      redis.disconnect();
    }
  }
  return missing;
}

/** `redis_version` of the nodes, read in the first run. */
let redisServer: string | undefined;

async function runOnce(fault: Fault, client: ClientId, run: number, position: number) {
  const cluster = await startClusterTopology({
    backend: 'process',
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    requireFullCoverage: FULL_COVERAGE,
  });
  let subject: Subject | undefined;
  let writer: Writer | undefined;
  let watch: ReturnType<typeof watchPromotion> | undefined;
  try {
    redisServer ??= redisVersion(
      String(await cluster.command(cluster.nodes[0]!, 'INFO', 'server')),
    );
    subject = await CLIENTS[client].connect(cluster);
    writer = new Writer(subject.send, RATE);
    const before = await cluster.shard({ shard: FAILED_SHARD });
    const candidate = before.replicas[0];
    if (!candidate) throw new Error(`shard ${FAILED_SHARD} has no replica`);
    watch = watchPromotion(candidate);
    writer.start();
    await sleep(BEFORE_FAULT_MS);
    const old =
      fault === 'kill'
        ? await cluster.killMaster({ shard: FAILED_SHARD })
        : await cluster.freezeMaster({ shard: FAILED_SHARD });
    const faultAt = now();
    // Bounded by waitForFailover's timeout; the replica says master before every node agrees.
    const agreed = await cluster.waitForFailover({ shard: FAILED_SHARD, timeoutMs: 30_000 });
    const promotedAt = await watch.promoted;
    await sleep(promotedAt + AFTER_MS - now());
    if (fault === 'freeze') {
      await cluster.thaw(old);
      await cluster.waitForReady({ timeoutMs: 60_000 });
      await sleep(AFTER_READY_MS);
    }
    writer.stop();
    const unsettled = await writer.settle(SETTLE_MS);
    const records = writer.records;
    const acked = records.filter((r) => r.ok === true);
    const timings = subject.timings?.();
    const missing = await missingWrites(cluster, acked);

    const onFailedShard = (r: WriteRecord) =>
      cluster.shardIndexOf(cluster.slotOf(`key_${r.i}`)) === FAILED_SHARD;
    const afterFault = records.filter((r) => r.issuedAt >= faultAt);
    const firstOk = afterFault
      .filter((r) => r.ok === true && onFailedShard(r))
      .reduce<number | undefined>(
        (min, r) => Math.min(min ?? Infinity, r.doneAt ?? Infinity),
        undefined,
      );
    const others = afterFault.filter((r) => !onFailedShard(r));
    const latency = (r: WriteRecord) => (r.doneAt ?? now()) - r.issuedAt;
    const errors: Record<string, number> = {};
    for (const r of records) {
      if (r.ok !== false) continue;
      const key = (r.error ?? 'unknown')
        .replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<node>')
        .replace(/(MOVED|ASK) \d+/g, '$1 <slot>');
      errors[key] = (errors[key] ?? 0) + 1;
    }
    return {
      fault,
      client,
      run,
      position,
      promotedAfterFault: promotedAt - faultAt,
      agreedAfterFault: agreed.at - faultAt,
      firstToFailedShard: firstOk === undefined ? undefined : firstOk - promotedAt,
      issued: records.length,
      acked: acked.length,
      failedOnFailedShard: records.filter((r) => r.ok === false && onFailedShard(r)).length,
      failedOnOtherShards: records.filter((r) => r.ok === false && !onFailedShard(r)).length,
      heldOnOtherShards: others.filter((r) => r.ok !== true || latency(r) > HELD_MS).length,
      worstOtherShardMs: Math.max(0, ...others.map(latency)),
      unsettled,
      missing: missing.size,
      missingAfterPromotion: acked.filter((r) => missing.has(r.i) && (r.doneAt ?? 0) >= promotedAt)
        .length,
      errors,
      own:
        timings === undefined || timings.announcedAt === undefined
          ? undefined
          : {
              suspected: timings.lostAt === undefined ? undefined : timings.lostAt - faultAt,
              seen: timings.announcedAt - promotedAt,
              switched: timings.switchedAt - timings.announcedAt,
            },
    } satisfies RunResult;
  } finally {
    watch?.stop();
    writer?.stop();
    await subject?.close().catch(() => undefined);
    await cluster.stop();
  }
}

// ----------------------------------------------------------------- figures

const fmtMs = (n: number) => (Math.round(n) || 0).toLocaleString('en-US');
const fmtInt = (n: number) => n.toLocaleString('en-US');
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function fmtSpread(values: readonly (number | undefined)[]): string {
  const defined = values.filter((v): v is number => v !== undefined);
  if (defined.length === 0) return `none within the run (${values.length} of ${values.length})`;
  const text = `${fmtMs(median(defined))} / ${fmtMs(Math.min(...defined))} / ${fmtMs(Math.max(...defined))}`;
  const none = values.length - defined.length;
  return none === 0 ? text : `${text} (none in ${none} of ${values.length})`;
}

const runsOf = (results: readonly RunResult[], fault: Fault, client: ClientId) =>
  results.filter((r) => r.fault === fault && r.client === client);

function summaryTable(results: readonly RunResult[], fault: Fault): string {
  return markdownTable(
    [
      'Client',
      'First write to the failed shard − promotion, ms: median / min / max',
      'Failed writes: failed shard / other shards',
      `Other-shard writes held > ${HELD_MS} ms (worst, ms)`,
      'Acknowledged writes missing (after the promotion)',
    ],
    CLIENT_LIST.map((client) => {
      const runs = runsOf(results, fault, client);
      return [
        CLIENTS[client].label,
        fmtSpread(runs.map((r) => r.firstToFailedShard)),
        `${fmtInt(sum(runs.map((r) => r.failedOnFailedShard)))} / ${fmtInt(sum(runs.map((r) => r.failedOnOtherShards)))}`,
        `${fmtInt(sum(runs.map((r) => r.heldOnOtherShards)))} (${fmtMs(Math.max(0, ...runs.map((r) => r.worstOtherShardMs)))})`,
        `${fmtInt(sum(runs.map((r) => r.missing)))} (${fmtInt(sum(runs.map((r) => r.missingAfterPromotion)))})`,
      ];
    }),
  );
}

function rawTable(results: readonly RunResult[]): string {
  const orNone = (n: number | undefined) => (n === undefined ? 'none' : fmtMs(n));
  return markdownTable(
    [
      'Fault',
      'Run',
      'Client (position)',
      'Promoted − fault',
      'All nodes agree − fault',
      'First write to failed shard − promotion',
      'Issued',
      'Acked',
      'Failed (failed shard / others)',
      'Held on others',
      'Unsettled',
      'Missing (after promotion)',
    ],
    results.map((r) => [
      r.fault,
      String(r.run),
      `${r.client} (${r.position})`,
      fmtMs(r.promotedAfterFault),
      fmtMs(r.agreedAfterFault),
      orNone(r.firstToFailedShard),
      fmtInt(r.issued),
      fmtInt(r.acked),
      `${fmtInt(r.failedOnFailedShard)} / ${fmtInt(r.failedOnOtherShards)}`,
      fmtInt(r.heldOnOtherShards),
      fmtInt(r.unsettled),
      `${fmtInt(r.missing)} (${fmtInt(r.missingAfterPromotion)})`,
    ]),
  );
}

function errorList(results: readonly RunResult[]): string {
  const lines: string[] = [];
  for (const fault of FAULTS) {
    for (const client of CLIENT_LIST) {
      const counts: Record<string, number> = {};
      for (const r of runsOf(results, fault, client)) {
        for (const [message, n] of Object.entries(r.errors))
          counts[message] = (counts[message] ?? 0) + n;
      }
      for (const [message, n] of Object.entries(counts)) {
        lines.push(`- ${fault}, ${client}: ${fmtInt(n)} × \`${message.replaceAll('`', "'")}\``);
      }
    }
  }
  return lines.length === 0 ? 'No write failed.' : `Failed writes by error:\n\n${lines.join('\n')}`;
}

function goalList(results: readonly RunResult[]): string {
  const judged = CLIENT_LIST.filter((c) => (CLIENTS[c] as ClientEntry).judged);
  const lines = judged.flatMap((client) =>
    FAULTS.map((fault) => {
      const runs = runsOf(results, fault, client);
      const firsts = runs.map((r) => r.firstToFailedShard);
      const defined = firsts.filter((v): v is number => v !== undefined);
      const failed = sum(runs.map((r) => r.failedOnFailedShard + r.failedOnOtherShards));
      const held = sum(runs.map((r) => r.heldOnOtherShards));
      // After a kill, what asynchronous replication had not copied is lost whatever the client.
      const missing = sum(runs.map((r) => r.missing));
      const met =
        defined.length === firsts.length &&
        median(defined) <= GOAL_MEDIAN_MS &&
        failed === 0 &&
        held === 0 &&
        (fault === 'kill' || missing === 0);
      return `- ${client}, ${fault}: first write ${fmtSpread(firsts)} ms, ${failed} failed, ${held} held, ${missing} acknowledged missing — ${met ? '**met** ✓' : '**not met** ✗'}`;
    }),
  );
  return lines.length === 0 ? '' : `Goals (issue 17):\n\n${lines.join('\n')}`;
}

/** sentinelkit's own `MASTER_CHANGE` timings (`lostAt`, `announcedAt`, `switchedAt`), per fault. */
function ownTimings(results: readonly RunResult[]): string {
  const lines = FAULTS.flatMap((fault) => {
    const own = runsOf(results, fault, 'sentinelkit').flatMap((r) => (r.own ? [r.own] : []));
    if (own.length === 0) return [];
    return [
      `- ${fault}: suspected (\`lostAt\`) ${fmtSpread(own.map((o) => o.suspected))} ms after the fault; promotion seen (\`announcedAt\`) ${fmtSpread(own.map((o) => o.seen))} ms after it; slot map moved and old connection closed (\`switchedAt\`) ${fmtSpread(own.map((o) => o.switched))} ms after that (median / min / max).`,
    ];
  });
  return lines.length === 0
    ? ''
    : `sentinelkit's own \`MASTER_CHANGE\` timings (its watchdog suspects a master that leaves a command unanswered for \`stallTimeout\`, 500 ms, or whose connection is lost, then asks that shard's replicas \`ROLE\` every 10 ms and reads the cluster's view as soon as one says master, besides every \`failoverPollInterval\`, 50 ms, from a replica of that shard):\n\n${lines.join('\n')}`;
}

function optionsTable(): string {
  return markdownTable(
    ['Property', 'Default', 'Description'],
    [
      ['`BENCH_RUNS`', '`3`', 'Runs per fault and client.'],
      [
        '`BENCH_FAULTS`',
        `\`${FAULT_IDS.join(',')}\``,
        'Faults to run. A subset leaves this page untouched.',
      ],
      [
        '`BENCH_CLIENTS`',
        `\`${CLIENT_IDS.join(',')}\``,
        'Clients to run. A subset leaves this page untouched.',
      ],
      [
        '`BENCH_AFTER_MS`',
        '`5000`',
        'Kill: how long the run goes on after the promotion; freeze: when the old master is thawed.',
      ],
      ['`BENCH_SETTLE_MS`', '`15000`', 'How long pending writes may take to settle after the run.'],
      [
        '`BENCH_FULL_COVERAGE`',
        '`0`',
        '`1` runs with `cluster-require-full-coverage yes` (every shard refuses writes while one has no master).',
      ],
      ['`BENCH_DOCS`', '`1`', '`0` prints the tables without rewriting this page.'],
    ],
  );
}

function section(
  results: readonly RunResult[],
  machine: Machine & { nodeRedis: string },
  date: string,
): string {
  const perFault = FAULTS.map((f) => `### ${FAULT_LABELS[f]}\n\n${summaryTable(results, f)}`).join(
    '\n\n',
  );
  // Prose is rewrapped; the raw numbers' <details> block is left as it is.
  return `${reflow(`Reproduce with:

\`\`\`sh
${COMMAND}
\`\`\`

Each run starts its own cluster (\`startClusterTopology({ backend: 'process' })\`: 3 masters with 1 replica each, \`redis-server\` processes on 127.0.0.1, \`cluster-node-timeout\` ${NODE_TIMEOUT_MS}, \`cluster-require-full-coverage\` ${FULL_COVERAGE ? 'yes' : 'no'}), connects one client with its defaults and writes \`SET key_i i\` at ${RATE}/s from a timer that never waits for earlier writes; the keys spread over every slot. After ${BEFORE_FAULT_MS / 1000} s the master of shard ${FAILED_SHARD} (slots 0–5460) is killed (SIGKILL) or frozen (SIGSTOP). The promotion is when its replica first answers \`ROLE\` as master (polled every 5 ms). Kill: the run goes on ${AFTER_MS / 1000} s after the promotion. Freeze: the old master is thawed ${AFTER_MS / 1000} s after the promotion, and the run goes on until the cluster is ready again (the old master a linked replica) plus ${AFTER_READY_MS / 1000} s. Then pending writes get up to ${SETTLE_MS / 1000} s to settle, and every acknowledged key is read back from its slot's master. ${RUNS} run${RUNS === 1 ? '' : 's'} per fault and client, the clients taking turns in a rotating order.

- **First write to the failed shard − promotion**: of the writes to the failed shard issued after the fault, the one that succeeded first, at its answer, minus the promotion.
- **Other-shard writes held**: writes to the two other shards issued after the fault that failed or took more than ${HELD_MS} ms.
- **Acknowledged writes missing**: acknowledged, but absent or with another value on their slot's master afterwards; after a kill this includes what asynchronous replication had not copied.

Last run: ${date}; ${machine.cpus}; Node ${machine.node}; redis-server ${machine.redis}; ioredis ${machine.ioredis}; node-redis ${machine.nodeRedis}; ${machine.os}. Load average ${machine.loadBefore} before and ${machine.loadAfter} after.

${perFault}

${goalList(results)}

${ownTimings(results)}`)}

<details>
<summary>Raw numbers, run by run</summary>

Milliseconds.

${rawTable(results)}

${errorList(results)}

</details>

Environment variables read by \`bench/cluster-failover.ts\`:

${optionsTable()}`;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  const total = FAULTS.length * RUNS * CLIENT_LIST.length;
  console.log(
    `cluster failover: ${FAULTS.join(', ')} × ${CLIENT_LIST.join(', ')} × ${RUNS} runs (${total}); ${cpus}; load ${loadBefore}`,
  );
  const results: RunResult[] = [];
  let done = 0;
  for (const fault of FAULTS) {
    for (let run = 1; run <= RUNS; run++) {
      const order = CLIENT_LIST.map((_, i) => CLIENT_LIST[(i + run - 1) % CLIENT_LIST.length]!);
      for (const [i, client] of order.entries()) {
        let result: RunResult;
        try {
          result = await runOnce(fault, client, run, i + 1);
        } catch (error) {
          console.error(`${fault} run ${run}, ${client}: ${messageOf(error)}; repeated`);
          result = await runOnce(fault, client, run, i + 1);
        }
        results.push(result);
        console.log(
          `[${++done}/${total}] ${fault} run ${run} ${client}: promoted +${fmtMs(result.promotedAfterFault)} ms, first write ${result.firstToFailedShard === undefined ? 'none' : fmtMs(result.firstToFailedShard)} ms after; ${result.acked}/${result.issued} acked, failed ${result.failedOnFailedShard}/${result.failedOnOtherShards}, held ${result.heldOnOtherShards}, unsettled ${result.unsettled}, missing ${result.missing}`,
        );
      }
    }
  }
  const require = createRequire(import.meta.url);
  const machine: Machine & { nodeRedis: string } = {
    cpus,
    node: process.version,
    redis: redisServer ?? 'unknown',
    nodeRedis: require('redis/package.json').version,
    ioredis: require('ioredis/package.json').version,
    os: `${os.type()} ${os.release()}`,
    loadBefore,
    loadAfter: loadAverage(),
  };
  const body = section(results, machine, new Date().toISOString().slice(0, 10));
  console.log(`\n${body}\n`);
  if (WRITE_DOCS) {
    await writeDocsSection({
      path: DOCS_PATH,
      startMarker: START_MARKER,
      endMarker: END_MARKER,
      script: 'bench/cluster-failover.ts',
      command: COMMAND,
      heading: 'Cluster failover',
      body,
    });
    console.log(`wrote ${DOCS_PATH}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
